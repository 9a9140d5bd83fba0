//! Write handlers (POST, PUT, PATCH, DELETE on every collection) and the change log
//! (`GET /v1/changes`, `POST /v1/changes/{id}/revert`). The auth middleware has already
//! checked the token; these read the body, validate, and hand over to `db::write`.

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::AppState;
use super::auth::Writer;
use super::resources::{P, path_key, query_pairs};
use crate::db::Val;
use crate::db::write::{self, ChangeQuery, Created, Idem, WriteCtx, item_etag};
use crate::error::{ApiError, ApiResult};
use crate::model::{KeyKind, Resource};
use crate::validate::{self, Mode};

/// The write context of a request: the token's name, the request id as batch, If-Match.
fn context(writer: Option<Extension<Writer>>, headers: &HeaderMap) -> ApiResult<WriteCtx> {
    let Some(Extension(Writer(token))) = writer else {
        return Err(ApiError::Unauthorized(
            "A valid write token is required.".into(),
        ));
    };
    let batch = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!(
                "{:x}",
                Sha256::digest(chrono::Utc::now().to_rfc3339().as_bytes())
            )[..32]
                .to_string()
        });
    let if_match = match headers.get(header::IF_MATCH) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| {
                    ApiError::BadRequest("If-Match must be an ETag such as \"3f2a…\" or *.".into())
                })?
                .to_string(),
        ),
    };
    Ok(WriteCtx {
        token,
        batch,
        if_match,
    })
}

/// Read a JSON body after checking its media type. `patch` also accepts merge-patch.
async fn read_json(
    headers: &HeaderMap,
    body: Body,
    patch: bool,
) -> ApiResult<(Value, axum::body::Bytes)> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    let wanted = if patch {
        "application/merge-patch+json or application/json"
    } else {
        "application/json"
    };
    match ct.as_deref() {
        Some("application/json") => {}
        Some("application/merge-patch+json") if patch => {}
        Some(other) => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "The body must be sent as {wanted}, not {other}."
            )));
        }
        None => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "The request has no Content-Type; send the body as {wanted}."
            )));
        }
    }
    let bytes = axum::body::to_bytes(body, super::MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let value = validate::parse_json_strict(&bytes).map_err(|e| {
        let what = if bytes.is_empty() {
            "The body is empty".to_string()
        } else {
            format!("The body is not valid JSON ({e})")
        };
        ApiError::BadRequest(format!("{what}; send one JSON object."))
    })?;
    Ok((value, bytes))
}

fn location(res: &Resource, key: &Val) -> String {
    let k = match key {
        Val::Int(Some(n)) => n.to_string(),
        Val::Text(Some(s)) => s.clone(),
        _ => String::new(),
    };
    format!("/v1/{}/{k}", res.name)
}

/// An item answer with its ETag (and Location when created).
fn item_response(status: StatusCode, item: &Value, location: Option<String>) -> Response {
    let mut resp = (status, axum::Json(item)).into_response();
    if let Ok(v) = HeaderValue::from_str(&item_etag(item)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(header::LOCATION, l);
    }
    resp
}

pub async fn create(
    State(state): State<AppState>,
    res: &'static Resource,
    writer: Option<Extension<Writer>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let ctx = context(writer, &headers)?;
    let idem_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "Idempotency-Key must be 1 to 200 visible characters, such as a UUID."
                            .into(),
                    )
                })?;
            Some(k.to_string())
        }
    };
    let (value, bytes) = read_json(&headers, body, false).await?;
    let input = validate::validate(res, &value, Mode::Create)?;
    let idem = idem_key.map(|key| {
        let mut h = Sha256::new();
        h.update(res.name.as_bytes());
        h.update(b"\n");
        h.update(&bytes);
        Idem {
            key,
            request_hash: h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        }
    });
    match write::create(&state.db, res, input, &ctx, idem.as_ref()).await? {
        Created::New { key, item } => {
            tracing::info!(token = %ctx.token, collection = res.name, key = ?key, "created");
            Ok(item_response(
                StatusCode::CREATED,
                &item,
                Some(location(res, &key)),
            ))
        }
        Created::Replayed {
            status,
            location,
            body,
        } => {
            let item: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
            let mut resp = item_response(status, &item, location);
            resp.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(resp)
        }
    }
}

pub async fn put_item(
    State(state): State<AppState>,
    res: &'static Resource,
    p: P,
    writer: Option<Extension<Writer>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let ctx = context(writer, &headers)?;
    let key = path_key(&state, res, p).await?;
    if res.key_kind == KeyKind::StateCode && key.as_text().is_some_and(|k| k.len() != 2) {
        return Err(ApiError::field(
            "code",
            "a new state is created under its alpha-2 code: PUT /v1/states/{alpha-2}",
        ));
    }
    let (value, _) = read_json(&headers, body, false).await?;
    let input = validate::validate(res, &value, Mode::Replace)?;
    let (created, item) = write::replace(&state.db, res, &key, input, &ctx).await?;
    tracing::info!(token = %ctx.token, collection = res.name, key = ?key, created, "replaced");
    Ok(if created {
        item_response(StatusCode::CREATED, &item, Some(location(res, &key)))
    } else {
        item_response(StatusCode::OK, &item, None)
    })
}

pub async fn patch_item(
    State(state): State<AppState>,
    res: &'static Resource,
    p: P,
    writer: Option<Extension<Writer>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let ctx = context(writer, &headers)?;
    let key = path_key(&state, res, p).await?;
    let (patch, _) = read_json(&headers, body, true).await?;
    if !patch.is_object() {
        return Err(ApiError::field("", "a merge patch must be a JSON object"));
    }
    let item = write::patch(&state.db, res, &key, &patch, &ctx).await?;
    tracing::info!(token = %ctx.token, collection = res.name, key = ?key, "patched");
    Ok(item_response(StatusCode::OK, &item, None))
}

pub async fn delete_item(
    State(state): State<AppState>,
    res: &'static Resource,
    p: P,
    writer: Option<Extension<Writer>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let ctx = context(writer, &headers)?;
    let mut cascade = false;
    for (k, v) in query_pairs(raw.as_deref())? {
        match (k.as_str(), v.as_str()) {
            ("cascade", "true") => cascade = true,
            ("cascade", "false") => cascade = false,
            ("cascade", _) => {
                return Err(ApiError::BadRequest(
                    "cascade must be true or false.".into(),
                ));
            }
            (other, _) => {
                return Err(ApiError::BadRequest(format!(
                    "Unknown query parameter {other:?}; DELETE takes only cascade."
                )));
            }
        }
    }
    let key = path_key(&state, res, p).await?;
    write::delete(&state.db, res, &key, cascade, &ctx).await?;
    tracing::info!(token = %ctx.token, collection = res.name, key = ?key, cascade, "deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v1/changes`: the change log, newest first (token required).
pub async fn list_changes(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let mut q = ChangeQuery {
        limit: super::resources::DEFAULT_LIMIT,
        ..Default::default()
    };
    for (k, v) in query_pairs(raw.as_deref())? {
        match k.as_str() {
            "collection" => {
                if crate::model::resource(&v).is_none() {
                    return Err(ApiError::BadRequest(format!(
                        "collection: {v:?} is not a collection."
                    )));
                }
                q.collection = Some(v);
            }
            "key" => q.key = Some(v),
            "token" => q.token = Some(v),
            "batch" => q.batch = Some(v),
            "action" => {
                if !["create", "replace", "delete"].contains(&v.as_str()) {
                    return Err(ApiError::BadRequest(
                        "action must be create, replace or delete.".into(),
                    ));
                }
                q.action = Some(v);
            }
            "limit" => {
                q.limit = v
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=super::resources::MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "limit must be a whole number from 1 to {}.",
                            super::resources::MAX_LIMIT
                        ))
                    })?;
            }
            "cursor" => {
                q.before_id = Some(v.parse::<i64>().map_err(|_| {
                    ApiError::BadRequest(
                        "The cursor is not valid; pass page.next_cursor unchanged.".into(),
                    )
                })?);
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "Unknown query parameter {other:?}; /v1/changes takes collection, key, token, batch, action, limit, cursor."
                )));
            }
        }
    }
    let (rows, total, next) = write::changes(&state.db, &q).await?;
    Ok(axum::Json(json!({"data": rows, "page": {"limit": q.limit, "next_cursor": next.map(|n| n.to_string()), "total": total}})).into_response())
}

/// `GET /v1/changes/{id}`.
pub async fn get_change(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("No change has the id {id:?}.")))?;
    match write::change(&state.db, id).await? {
        Some(c) => Ok(axum::Json(c).into_response()),
        None => Err(ApiError::NotFound(format!("No change has the id {id}."))),
    }
}

/// `POST /v1/changes/{id}/revert`: undo the request that made this change.
pub async fn revert(
    State(state): State<AppState>,
    Path(id): Path<String>,
    writer: Option<Extension<Writer>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let ctx = WriteCtx {
        if_match: None,
        ..context(writer, &headers)?
    };
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("No change has the id {id:?}.")))?;
    let made = write::revert(&state.db, id, &ctx).await?;
    tracing::info!(token = %ctx.token, change = id, "reverted");
    Ok(axum::Json(json!({"reverted": id, "batch": ctx.batch, "changes": made})).into_response())
}
