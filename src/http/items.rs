//! Reads of any collection (list, get) and the routes of every collection; the
//! `Resource` a route is built for decides fields, keys and references.

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};

use super::AppState;
use super::conditional::{self, CACHE_CONTROL};
use super::error::{ApiError, ApiResult};
use super::extract::{PathKey, QueryPairs};
use super::format::{self, Format};
use super::list::{ListRequest, encode_cursor};
use super::params::{FORMAT, ParamSpec, Parsed};
use super::writes;
use crate::db::{Val, read};
use crate::model::{Resource, SOURCES};

/// The parameters of `GET /v1/{collection}/{key}`.
pub const ITEM_SPEC: &[ParamSpec] = &[FORMAT];

pub fn collection_routes(res: &'static Resource) -> MethodRouter<AppState> {
    get(move |s: State<AppState>, uri: OriginalUri, h: HeaderMap| list(s, res, uri, h, false))
        .post(move |s, w, h, b| writes::create(s, res, w, h, b))
}

/// `GET /v1/{collection}.csv`: the list as CSV.
pub fn csv_routes(res: &'static Resource) -> MethodRouter<AppState> {
    get(move |s: State<AppState>, uri: OriginalUri, h: HeaderMap| list(s, res, uri, h, true))
}

pub fn item_routes(res: &'static Resource) -> MethodRouter<AppState> {
    get(
        move |s: State<AppState>, p: PathKey, q: QueryPairs, h: HeaderMap| {
            get_item(s, res, p, q, h)
        },
    )
    .put(move |s, p, w, h, b| writes::put_item(s, res, p, w, h, b))
    .patch(move |s, p, w, h, b| writes::patch_item(s, res, p, w, h, b))
    .delete(move |s, p, w, h, q| writes::delete_item(s, res, p, w, h, q))
}

async fn list(
    State(state): State<AppState>,
    res: &'static Resource,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    twin: bool,
) -> ApiResult<Response> {
    // A field filter may be given twice or more: a range is two comparisons.
    let pairs = QueryPairs::parse_repeating(uri.query(), |k| {
        k == res.key || res.scalar_fields().any(|f| f.name == k)
    })?;
    let req = ListRequest::parse(&state, res, &pairs, &headers, twin).await?;
    if req.all {
        return super::stream::all(&state, res, req).await;
    }
    let q = &req.query;
    let page = read::list(&state.db, res, q).await?;
    let next_cursor = page.next.as_ref().map(|a| encode_cursor(&req.sort, a));
    let page_json = json!({"limit": q.limit, "next_cursor": next_cursor, "total": page.total});
    let mut items = page.items;
    if req.embed_sources {
        embed_sources(&state, &mut items).await?;
    }
    let columns = match &req.fields {
        Some(f) => {
            items = items.into_iter().map(|i| only_fields(i, f)).collect();
            f.clone()
        }
        None => format::columns_of(&items, &[res.key]),
    };
    let mut resp = format::respond(req.format, columns, items, page_json, Default::default());
    if let Ok(v) = HeaderValue::from_str(&page.total.to_string()) {
        resp.headers_mut().insert("x-total-count", v);
    }
    if let Some(c) = &next_cursor {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.0.iter().filter(|(k, _)| k != "cursor") {
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

/// A row with only the fields named, in their order.
pub(super) fn only_fields(item: Value, fields: &[String]) -> Value {
    let Value::Object(mut m) = item else {
        return item;
    };
    Value::Object(
        fields
            .iter()
            .map(|f| (f.clone(), m.remove(f).unwrap_or(Value::Null)))
            .collect(),
    )
}

/// Each row's `sources` slugs replaced by the source objects, read in one query.
pub(super) async fn embed_sources(state: &AppState, items: &mut [Value]) -> ApiResult<()> {
    let mut slugs: Vec<Val> = Vec::new();
    for s in items
        .iter()
        .flat_map(|i| i["sources"].as_array().into_iter().flatten())
    {
        if let Some(s) = s.as_str().map(Val::text)
            && !slugs.contains(&s)
        {
            slugs.push(s);
        }
    }
    if slugs.is_empty() {
        return Ok(());
    }
    let q = read::ListQuery {
        limit: slugs.len() as i64,
        filters: vec![read::Cond {
            field: "slug",
            op: "in",
            vals: slugs,
        }],
        ..Default::default()
    };
    let found = read::list(&state.db, &SOURCES, &q).await?.items;
    let by_slug = |slug: &str| {
        found.iter().find(|s| s["slug"] == slug).map(|s| {
            json!({"slug": s["slug"], "title": s["title"], "url": s["url"],
                   "publisher": s["publisher"], "kind": s["kind"]})
        })
    };
    for item in items.iter_mut() {
        if let Some(list) = item.get_mut("sources").and_then(Value::as_array_mut) {
            for s in list.iter_mut() {
                if let Some(obj) = s.as_str().and_then(by_slug) {
                    *s = obj;
                }
            }
        }
    }
    Ok(())
}

/// The canonical key a path names, or 404.
pub(super) async fn path_key(
    state: &AppState,
    res: &'static Resource,
    PathKey(raw): &PathKey,
) -> ApiResult<Val> {
    match read::resolve_key(&state.db, res, raw).await? {
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
    raw: PathKey,
    pairs: QueryPairs,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let context = format!("/v1/{}/{{key}}", res.name);
    let format = Parsed::new(&pairs, &headers, ITEM_SPEC, &context)?.format()?;
    let key = path_key(&state, res, &raw).await?;
    let item = read::get(&state.db, res, &key)
        .await?
        .ok_or(crate::db::Error::NotFound {
            collection: res,
            key,
        })?;
    let etag = conditional::item_etag(&item);
    let mut resp = if conditional::none_match(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if format == Format::Csv {
        let columns = format::columns_of(std::slice::from_ref(&item), &[res.key]);
        format::csv_response(format::to_csv(&columns, &[item]))
    } else {
        axum::Json(item).into_response()
    };
    conditional::set_etag(&mut resp, &etag);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    Ok(resp)
}
