//! Write handlers: POST, PUT, PATCH and DELETE on every collection. The auth middleware
//! has already checked the token; these read the body, validate it, turn `If-Match`
//! into a precondition, and hand over to `db::write`.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::AppState;
use super::auth::Writer;
use super::conditional::{WriteConditions, item_etag};
use super::error::{ApiError, ApiResult};
use super::extract::{JsonBody, MergePatch, PathKey, QueryPairs};
use super::items::path_key;
use super::params::{ParamKind, ParamSpec, Parsed};
use crate::db::Val;
use crate::db::idempotency::Idem;
use crate::db::write::{self, Created, WriteCtx};
use crate::input::{self, Mode};
use crate::model::Resource;

/// The parameters of `DELETE /v1/{collection}/{key}`.
pub const DELETE_SPEC: &[ParamSpec] = &[ParamSpec::new(
    "cascade",
    ParamKind::Flag,
    "Also delete (or unlink) the rows that refer to this one.",
)];

/// The writer's identity, set by the auth middleware.
pub type W = Option<Extension<Writer>>;

/// The write context of a request: the token's name, a new batch, and the request id
/// (already bounded by the front middleware) as a label.
pub fn context(writer: W, headers: &HeaderMap) -> ApiResult<WriteCtx> {
    let Some(Extension(Writer(token))) = writer else {
        return Err(ApiError::Unauthorized(
            "A valid write token is required.".into(),
        ));
    };
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok(WriteCtx::new(token, request_id))
}

/// Where an item lives: `/v1/{collection}/{key}`.
pub fn location(res: &Resource, key: &Val) -> String {
    format!("/v1/{}/{}", res.name, key.key_text())
}

/// An item answer with its ETag (and Location when created).
fn item_response(status: StatusCode, item: &Value, location: Option<String>) -> Response {
    let mut resp = (status, axum::Json(item)).into_response();
    super::conditional::set_etag(&mut resp, &item_etag(item));
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(header::LOCATION, l);
    }
    resp
}

/// The `Idempotency-Key` header, if sent: 1 to 200 visible characters.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .map(|k| Some(k.to_string()))
        .ok_or_else(|| {
            ApiError::BadRequest(
                "Idempotency-Key must be 1 to 200 visible characters, such as a UUID.".into(),
            )
        })
}

pub async fn create(
    State(state): State<AppState>,
    res: &'static Resource,
    writer: W,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let ctx = context(writer, &headers)?;
    let idem_key = idempotency_key(&headers)?;
    let input = input::validate(res, &body.value, Mode::Create)?;
    let idem = idem_key.map(|key| {
        let mut h = Sha256::new();
        h.update(res.name.as_bytes());
        h.update(b"\n");
        h.update(&body.bytes);
        Idem {
            key,
            request_hash: h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
            location,
        }
    });
    match write::create(&state.db, res, input, &ctx, idem.as_ref()).await? {
        Created::New { key, item } => {
            tracing::info!(token = %ctx.token, collection = res.name, key = %key.key_text(), "created");
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
    raw: PathKey,
    writer: W,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let ctx = context(writer, &headers)?;
    let cond = WriteConditions::from_headers(&headers)?;
    let key = path_key(&state, res, &raw).await?;
    let input = input::validate(res, &body.value, Mode::Replace)?;
    let (created, item) =
        write::replace(&state.db, res, &key, input, &ctx, cond.precondition()).await?;
    tracing::info!(token = %ctx.token, collection = res.name, key = %key.key_text(), created, "replaced");
    Ok(if created {
        item_response(StatusCode::CREATED, &item, Some(location(res, &key)))
    } else {
        item_response(StatusCode::OK, &item, None)
    })
}

pub async fn patch_item(
    State(state): State<AppState>,
    res: &'static Resource,
    raw: PathKey,
    writer: W,
    headers: HeaderMap,
    MergePatch(patch): MergePatch,
) -> ApiResult<Response> {
    let ctx = context(writer, &headers)?;
    let cond = WriteConditions::from_headers(&headers)?;
    let key = path_key(&state, res, &raw).await?;
    let item = write::patch(&state.db, res, &key, &patch, &ctx, cond.precondition()).await?;
    tracing::info!(token = %ctx.token, collection = res.name, key = %key.key_text(), "patched");
    Ok(item_response(StatusCode::OK, &item, None))
}

pub async fn delete_item(
    State(state): State<AppState>,
    res: &'static Resource,
    raw: PathKey,
    writer: W,
    headers: HeaderMap,
    pairs: QueryPairs,
) -> ApiResult<Response> {
    let ctx = context(writer, &headers)?;
    let cond = WriteConditions::from_headers(&headers)?;
    let cascade = Parsed::new(&pairs, &headers, DELETE_SPEC, "DELETE")?.flag("cascade")?;
    let key = path_key(&state, res, &raw).await?;
    write::delete(&state.db, res, &key, cascade, &ctx, cond.precondition()).await?;
    tracing::info!(token = %ctx.token, collection = res.name, key = %key.key_text(), cascade, "deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}
