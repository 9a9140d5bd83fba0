//! `limit` and `cursor` on the question endpoints. A question's answer is computed whole
//! (from memory or by SQL); a page is a slice of it. The cursor holds the position and
//! the data version the answer was computed at: a page asked for after the data changed
//! is a 409 (start again from the first page), never a page of a different answer with
//! rows skipped or repeated. Without `limit` and `cursor` an answer is not touched.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::QueryPairs;
use super::params::{MAX_LIMIT, cursor_decode, cursor_encode};

/// The page asked for, for a handler that cuts its own page (the time questions) rather
/// than have this layer slice its whole answer: it then writes only the rows of the page.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    offset: usize,
    limit: Option<usize>,
    version: i64,
}

/// What a handler that cut its own page says about it.
#[derive(Debug, Clone)]
pub struct Paged {
    total: usize,
    next_cursor: Option<String>,
}

impl Window {
    /// Of `total` rows: those on this page, the `page` object, and the note for the layer.
    pub fn cut(&self, total: usize) -> (std::ops::Range<usize>, Value, Paged) {
        let (range, next) = cut(self.offset, self.limit, self.version, total);
        let page = json!({"limit": self.limit, "next_cursor": next, "total": total});
        (
            range,
            page,
            Paged {
                total,
                next_cursor: next,
            },
        )
    }
}

/// The rows `[offset, offset + limit)` of `total`, and the cursor of the next page.
fn cut(
    offset: usize,
    limit: Option<usize>,
    version: i64,
    total: usize,
) -> (std::ops::Range<usize>, Option<String>) {
    let end = limit.map_or(total, |l| offset.saturating_add(l).min(total));
    let next = (end < total).then(|| {
        encode(&Position {
            offset: end,
            version,
        })
    });
    (offset.min(total)..end, next)
}

/// Pages served, by who cut them: the handler (only the page's rows were written) or this
/// layer (the whole answer was written, then sliced). `/metrics` reports both.
#[derive(Debug, Default)]
pub struct Counters {
    pub by_handler: std::sync::atomic::AtomicU64,
    pub by_layer: std::sync::atomic::AtomicU64,
}

/// Largest answer body the pager reads (a question's whole answer).
const MAX_ANSWER_BYTES: usize = 256 << 20;

/// Where a page starts, and the data version of the answer it is a page of.
struct Position {
    offset: usize,
    version: i64,
}

fn encode(p: &Position) -> String {
    cursor_encode(&json!({"o": p.offset, "v": p.version}))
}

fn decode(c: &str) -> ApiResult<Position> {
    let bad = || {
        ApiError::BadRequest(
            "The cursor is not valid for this question; pass page.next_cursor from the previous page unchanged.".into(),
        )
    };
    let v = cursor_decode(c, 256).ok_or_else(bad)?;
    match (v["o"].as_u64(), v["v"].as_i64()) {
        (Some(o), Some(version)) if o > 0 => Ok(Position {
            offset: o as usize,
            version,
        }),
        _ => Err(bad()),
    }
}

/// `limit`: 1 to [`MAX_LIMIT`] or `all`; `None` for every row.
pub fn answer_limit(raw: Option<&str>) -> ApiResult<Option<usize>> {
    match raw {
        None | Some("all") => Ok(None),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT as usize).contains(n))
            .map(Some)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}, or all (got {v:?})."
                ))
            }),
    }
}

fn internal(why: &str) -> ApiError {
    crate::db::Error::internal(why).into()
}

/// The layer over the question routes.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match page(state, req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn page(state: AppState, req: Request, next: Next) -> ApiResult<Response> {
    let pairs = QueryPairs::parse(req.uri().query())?;
    let (raw_limit, raw_cursor) = (pairs.get("limit"), pairs.get("cursor"));
    if raw_limit.is_none() && raw_cursor.is_none() {
        return Ok(next.run(req).await);
    }
    let limit = answer_limit(raw_limit)?;
    let start = raw_cursor.map(decode).transpose()?;
    let version = state.version.current(&state.db).await?;
    if let Some(p) = &start
        && p.version != version
    {
        return Err(ApiError::Conflict(format!(
            "The data changed since this cursor was made (data version {} then, {version} now); ask for the first page again.",
            p.version
        )));
    }
    let offset = start.map_or(0, |p| p.offset);
    let path = req.uri().path().to_string();
    let mut req = req;
    req.extensions_mut().insert(Window {
        offset,
        limit,
        version,
    });
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK {
        return Ok(resp);
    }
    let counted = |c: &std::sync::atomic::AtomicU64| {
        c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    if let Some(p) = resp.extensions().get::<Paged>().cloned() {
        counted(&state.pages.by_handler);
        let (mut parts, body) = resp.into_parts();
        page_headers(&mut parts.headers, &pairs, &path, p.total, p.next_cursor);
        return Ok(Response::from_parts(parts, body));
    }
    counted(&state.pages.by_layer);
    let (mut parts, body) = resp.into_parts();
    let bytes = to_bytes(body, MAX_ANSWER_BYTES)
        .await
        .map_err(|_| internal("reading an answer to page it"))?;
    let csv = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let cut = |total: usize| cut(offset, limit, version, total);
    let (body, total, next_cursor) = if csv {
        let text = String::from_utf8_lossy(&bytes);
        let records = csv_records(&text);
        let total = records.len().saturating_sub(1);
        let (range, next) = cut(total);
        let mut out = String::from(records.first().copied().unwrap_or(""));
        for r in &records[1 + range.start..1 + range.end] {
            out.push_str(r);
        }
        (out, total, next)
    } else {
        let mut v: Value = serde_json::from_slice(&bytes)
            .map_err(|_| internal("an answer to page was not JSON"))?;
        let rows = match v.get_mut("data").map(Value::take) {
            Some(Value::Array(rows)) => rows,
            _ => return Err(internal("an answer to page has no data list")),
        };
        let total = rows.len();
        let (range, next) = cut(total);
        let rows: Vec<Value> = rows
            .into_iter()
            .skip(range.start)
            .take(range.len())
            .collect();
        v["data"] = Value::Array(rows);
        v["page"] = json!({"limit": limit, "next_cursor": next, "total": total});
        (v.to_string(), total, next)
    };
    for h in [header::CONTENT_LENGTH, header::ETAG] {
        parts.headers.remove(h);
    }
    page_headers(&mut parts.headers, &pairs, &path, total, next_cursor);
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// `X-Total-Count`, and `Link` to the next page.
fn page_headers(
    headers: &mut axum::http::HeaderMap,
    pairs: &QueryPairs,
    path: &str,
    total: usize,
    next_cursor: Option<String>,
) {
    headers.insert("x-total-count", HeaderValue::from(total));
    if let Some(c) = next_cursor {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.0.iter().filter(|(k, _)| k != "cursor") {
            ser.append_pair(k, v);
        }
        ser.append_pair("cursor", &c);
        let link = format!("<{path}?{}>; rel=\"next\"", ser.finish());
        if let Ok(v) = HeaderValue::from_str(&link) {
            headers.insert(header::LINK, v);
        }
    }
}

/// A CSV text's records (header first), each with its line end; a quoted field may hold
/// line breaks.
pub fn csv_records(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                out.push(&text[start..=i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}
