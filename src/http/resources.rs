//! CRUD handlers shared by all seven collections; the `Resource` they are built for
//! decides fields, keys and references.

use axum::body::Body;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};

use super::AppState;
use super::output;
use super::writes;
use crate::db::Val;
use crate::db::crud::{self, After, ListQuery, Sort};
use crate::error::{ApiError, ApiResult};
use crate::model::{KeyKind, Kind, Resource};
use crate::validate;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// The writer's identity, set by the auth middleware.
type W = Option<axum::Extension<super::auth::Writer>>;
/// A path key, or why it could not be read.
pub type P = Result<Path<String>, axum::extract::rejection::PathRejection>;

pub fn collection_routes(res: &'static Resource) -> MethodRouter<AppState> {
    get(
        move |s: State<AppState>, q: RawQuery, uri: OriginalUri, h: HeaderMap| {
            list(s, res, q, uri, h)
        },
    )
    .post(move |s: State<AppState>, w: W, h: HeaderMap, b: Body| writes::create(s, res, w, h, b))
}

pub fn item_routes(res: &'static Resource) -> MethodRouter<AppState> {
    get(move |s: State<AppState>, p: P, h: HeaderMap| get_item(s, res, p, h))
        .put(
            move |s: State<AppState>, p: P, w: W, h: HeaderMap, b: Body| {
                writes::put_item(s, res, p, w, h, b)
            },
        )
        .patch(
            move |s: State<AppState>, p: P, w: W, h: HeaderMap, b: Body| {
                writes::patch_item(s, res, p, w, h, b)
            },
        )
        .delete(
            move |s: State<AppState>, p: P, w: W, h: HeaderMap, q: RawQuery| {
                writes::delete_item(s, res, p, w, h, q)
            },
        )
}

/// Split a raw query string into pairs; a parameter given twice is a 400.
pub fn query_pairs(raw: Option<&str>) -> ApiResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if out.iter().any(|(x, _)| *x == k) {
            return Err(ApiError::BadRequest(format!(
                "The query parameter {k:?} is given more than once."
            )));
        }
        if v.contains('\0') {
            return Err(ApiError::BadRequest(format!(
                "The query parameter {k:?} contains a NUL byte."
            )));
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Ok(out)
}

fn json_to_val(v: &Value, kind: Kind) -> Option<Val> {
    Some(match (kind, v) {
        (Kind::Bool, Value::Null) => Val::Bool(None),
        (Kind::Int, Value::Null) => Val::Int(None),
        (Kind::Date { .. }, Value::Null) => Val::Date(None),
        (_, Value::Null) => Val::Text(None),
        (Kind::Bool, Value::Bool(b)) => Val::Bool(Some(*b)),
        (Kind::Int, Value::Number(n)) => Val::Int(Some(n.as_i64()?)),
        (Kind::Date { .. }, Value::String(s)) => Val::Date(Some(validate::parse_date(s)?)),
        (Kind::Bool | Kind::Int | Kind::Date { .. }, _) => return None,
        (_, Value::String(s)) => Val::text(s.clone()),
        _ => return None,
    })
}

/// The cursor is the page's last position, as hex of a small JSON object. It names the
/// sort it belongs to, so it cannot be replayed against another order.
fn encode_cursor(sort: &str, after: &After) -> String {
    let plain = json!({"s": sort, "v": after.sort_value.as_ref().map(Val::to_json), "k": after.key.to_json()}).to_string();
    plain.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(res: &Resource, sort: &str, sort_kind: Option<Kind>, c: &str) -> ApiResult<After> {
    let bad = || {
        ApiError::BadRequest(
            "The cursor is not valid for this list and sort; pass page.next_cursor from the previous page unchanged.".into(),
        )
    };
    if !c.len().is_multiple_of(2) || c.len() > 2048 {
        return Err(bad());
    }
    let bytes: Option<Vec<u8>> = (0..c.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(c.get(i..i + 2)?, 16).ok())
        .collect();
    let v: Value = serde_json::from_slice(&bytes.ok_or_else(bad)?).map_err(|_| bad())?;
    if v["s"].as_str() != Some(sort) {
        return Err(bad());
    }
    let key_kind = if res.key_kind == KeyKind::Id {
        Kind::Int
    } else {
        Kind::Text
    };
    let key = json_to_val(&v["k"], key_kind)
        .filter(|k| !k.is_null())
        .ok_or_else(bad)?;
    let sort_value = match sort_kind {
        Some(kind) => Some(json_to_val(&v["v"], kind).ok_or_else(bad)?),
        None => None,
    };
    Ok(After { sort_value, key })
}

/// A filter value typed as the field is stored.
async fn filter_value(state: &AppState, res: &Resource, name: &str, raw: &str) -> ApiResult<Val> {
    let f = res.field(name).expect("checked by caller");
    let bad =
        |m: String| ApiError::BadRequest(format!("The filter {name}={raw:?} is not valid: {m}."));
    Ok(match f.kind {
        Kind::Bool => match raw {
            "true" => Val::Bool(Some(true)),
            "false" => Val::Bool(Some(false)),
            _ => return Err(bad("use true or false".into())),
        },
        Kind::Int => Val::Int(Some(raw.parse().map_err(|_| bad("use an integer".into()))?)),
        Kind::Date { .. } => Val::Date(Some(
            validate::parse_date(raw).ok_or_else(|| bad("use a date YYYY-MM-DD".into()))?,
        )),
        Kind::Enum(set) => {
            if !set.contains(&raw) {
                return Err(bad(format!("use one of {}", set.join(", "))));
            }
            Val::text(raw)
        }
        Kind::Precision => {
            if !crate::model::PRECISION.contains(&raw) {
                return Err(bad("use day, month or year".into()));
            }
            Val::text(raw)
        }
        Kind::Ref(target) => {
            let target = crate::model::resource(target).expect("known target");
            let key = crud::resolve_key(&state.db, target, raw).await?;
            match key {
                Some(k) if crud::get(&state.db, target, &k).await?.is_some() => k,
                _ => {
                    return Err(ApiError::NotFound(format!(
                        "The filter {name} names {raw:?}, but no {} has that key.",
                        target.singular
                    )));
                }
            }
        }
        Kind::Strings => return Err(bad("this field cannot be filtered on".into())),
        Kind::Text | Kind::Token => Val::text(raw),
    })
}

/// The fields a list can be sorted on: the key and every scalar field.
fn sortable(res: &Resource) -> Vec<&'static str> {
    let mut v = vec![res.key];
    v.extend(
        res.fields
            .iter()
            .filter(|f| f.kind != Kind::Strings)
            .map(|f| f.name),
    );
    v
}

async fn list(
    State(state): State<AppState>,
    res: &'static Resource,
    RawQuery(raw): RawQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let pairs = query_pairs(raw.as_deref())?;
    let mut q = ListQuery {
        limit: DEFAULT_LIMIT,
        ..Default::default()
    };
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let format = output::negotiate(&headers, get("format"))?;
    let sort_param = get("sort").unwrap_or_default().to_string();
    if !sort_param.is_empty() {
        let (desc, name) = match sort_param.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, sort_param.as_str()),
        };
        if !sortable(res).contains(&name) {
            return Err(ApiError::BadRequest(format!(
                "sort: cannot sort /v1/{} by {name:?}. Sortable fields (prefix - for descending): {}.",
                res.name,
                sortable(res).join(", ")
            )));
        }
        if name != res.key {
            q.sort = Some(Sort {
                field: res.field(name).expect("sortable").name,
                desc,
            });
        } else if desc {
            return Err(ApiError::BadRequest(format!(
                "sort: -{name} is not supported; lists are in ascending {name} order by default."
            )));
        }
    }
    for (k, v) in &pairs {
        match k.as_str() {
            "format" | "sort" => {}
            "limit" => {
                q.limit = v
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "limit must be a whole number from 1 to {MAX_LIMIT} (got {v:?})."
                        ))
                    })?;
            }
            "cursor" => {
                let kind = q.sort.map(|s| res.field(s.field).expect("sort field").kind);
                q.after = Some(decode_cursor(res, &sort_param, kind, v)?);
            }
            "q" => {
                let text = v.trim().to_lowercase();
                if text.is_empty() || text.chars().count() > 200 {
                    return Err(ApiError::BadRequest(
                        "q must be 1 to 200 characters of text to search for.".into(),
                    ));
                }
                q.search = Some(text);
            }
            "sources" if res.is_fact() => q.source = Some(v.clone()),
            name if name != res.key && res.field(name).is_some() => {
                let f = res.field(name).expect("just checked");
                let val = filter_value(&state, res, name, v).await?;
                q.filters.push((f.name, val));
            }
            name if name == res.key => {
                match crud::resolve_key(&state.db, res, v).await? {
                    Some(key) => q.filters.push((res.key, key)),
                    // A well-formed key of no stored item (an unknown alpha-3 code): no rows.
                    None if res.key_kind == KeyKind::StateCode
                        && validate::normalise_path_key(res, v).is_some() =>
                    {
                        q.filters.push((res.key, Val::text(v.to_ascii_uppercase())));
                    }
                    None => {
                        return Err(ApiError::BadRequest(format!(
                            "The filter {}={v:?} is not valid: it is not a {} key.",
                            res.key, res.singular
                        )));
                    }
                }
            }
            other => {
                let mut known: Vec<&str> = vec!["limit", "cursor", "sort", "q", "format", res.key];
                if res.is_fact() {
                    known.push("sources");
                }
                known.extend(
                    res.fields
                        .iter()
                        .filter(|f| f.kind != Kind::Strings)
                        .map(|f| f.name),
                );
                return Err(ApiError::BadRequest(format!(
                    "Unknown query parameter {other:?}. Parameters of /v1/{}: {}.",
                    res.name,
                    known.join(", ")
                )));
            }
        }
    }
    let page = crud::list(&state.db, res, &q).await?;
    let next_cursor = page.next.as_ref().map(|a| encode_cursor(&sort_param, a));
    let page_json = json!({"limit": q.limit, "next_cursor": next_cursor, "total": page.total});
    let columns = output::columns_of(&page.items, &[res.key]);
    let mut resp = output::respond(format, columns, page.items, page_json, Default::default());
    if let Some(c) = &next_cursor {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(k, _)| k != "cursor") {
            ser.append_pair(k, v);
        }
        ser.append_pair("cursor", c);
        let link = format!("<{}?{}>; rel=\"next\"", uri.path(), ser.finish());
        if let Ok(v) = HeaderValue::from_str(&link) {
            resp.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(resp)
}

/// The canonical key named by a path, or 404.
pub(super) async fn path_key(
    state: &AppState,
    res: &'static Resource,
    p: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> ApiResult<Val> {
    let raw = p.map(|Path(s)| s).unwrap_or_default();
    match crud::resolve_key(&state.db, res, &raw).await? {
        Some(k) => Ok(k),
        None => Err(ApiError::NotFound(format!(
            "No {} has the {} {raw:?}.",
            res.singular, res.key
        ))),
    }
}

async fn get_item(
    State(state): State<AppState>,
    res: &'static Resource,
    p: P,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let key = path_key(&state, res, p).await?;
    let item = crud::get(&state.db, res, &key)
        .await?
        .ok_or_else(|| crud::not_found(res, &key))?;
    let etag = crate::db::write::item_etag(&item);
    let inm = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut resp = if inm.split(',').map(str::trim).any(|t| t == etag || t == "*") {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        axum::Json(item).into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(super::cache::CACHE_CONTROL),
    );
    Ok(resp)
}
