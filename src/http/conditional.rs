//! HTTP validators in one place: how ETags are made (items by content, other answers by
//! data version and request), how `If-None-Match` and `If-Match` are compared (RFC 9110
//! §13.1), the 304 answer, and `If-Match` as the precondition a write checks inside its
//! transaction.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::{ApiError, ApiResult};
use crate::db::write::Precondition;

/// How long a public answer may be reused before revalidating.
pub const CACHE_CONTROL: &str = "public, max-age=5, must-revalidate";

fn short_hash(bytes: &[u8], n: usize) -> String {
    Sha256::digest(bytes)[..n]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A strong validator for one item: its representation's hash. `If-Match` compares
/// against it.
pub fn item_etag(item: &Value) -> String {
    format!("\"{}\"", short_hash(item.to_string().as_bytes(), 10))
}

/// A strong validator for any other answer: the data version and the request it answers.
pub fn data_etag(version: i64, request: &str) -> String {
    format!("\"v{version}-{}\"", short_hash(request.as_bytes(), 8))
}

/// A validator for fixed content (the embedded pages).
pub fn content_etag(body: &[u8]) -> String {
    format!("\"{}\"", short_hash(body, 8))
}

/// `If-None-Match` against the current tag: `*`, or any listed tag equal under weak
/// comparison (a `W/` prefix is ignored).
pub fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let Some(v) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    v.trim() == "*"
        || v.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag)
}

/// The 304 answer, with the validator and caching headers a 200 would carry.
pub fn not_modified(etag: &HeaderValue, cache_control: &'static str) -> Response {
    let mut resp = StatusCode::NOT_MODIFIED.into_response();
    let h = resp.headers_mut();
    h.insert(header::ETAG, etag.clone());
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Encoding"),
    );
    resp
}

/// Set the `ETag` header (tags are ASCII by construction).
pub fn set_etag(resp: &mut Response, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
}

/// The preconditions of a write (RFC 9110 §13.1): `If-Match` (`*` = the item exists, or
/// a list of strong tags) and `If-None-Match` (`*` = the item does not exist, or tags the
/// current one must not match). Checked inside the write's transaction.
#[derive(Debug, Clone, Default)]
pub struct WriteConditions {
    if_match: Option<String>,
    if_none_match: Option<String>,
}

impl WriteConditions {
    /// The request's conditions; 400 if a header is not text.
    pub fn from_headers(headers: &HeaderMap) -> ApiResult<WriteConditions> {
        let text = |name: header::HeaderName, example: &str| -> ApiResult<Option<String>> {
            match headers.get(&name) {
                None => Ok(None),
                Some(v) => v.to_str().map(|s| Some(s.to_string())).map_err(|_| {
                    ApiError::BadRequest(format!("{name} must be an ETag such as {example} or *."))
                }),
            }
        };
        Ok(WriteConditions {
            if_match: text(header::IF_MATCH, "\"3f2a…\"")?,
            if_none_match: text(header::IF_NONE_MATCH, "\"3f2a…\"")?,
        })
    }

    /// The conditions as the database layer takes them, if there are any.
    pub fn precondition(&self) -> Option<&dyn Precondition> {
        (self.if_match.is_some() || self.if_none_match.is_some())
            .then_some(self as &dyn Precondition)
    }
}

impl Precondition for WriteConditions {
    fn holds(&self, current: Option<&Value>) -> bool {
        let tag = current.map(item_etag);
        let listed = |v: &str, weak_ok: bool| {
            v.split(',').map(str::trim).any(|t| {
                let t = if weak_ok {
                    t.trim_start_matches("W/")
                } else {
                    t
                };
                Some(t) == tag.as_deref()
            })
        };
        if let Some(m) = &self.if_match {
            // Strong comparison: a weak tag never matches.
            let ok = current.is_some() && (m.trim() == "*" || listed(m, false));
            if !ok {
                return false;
            }
        }
        if let Some(n) = &self.if_none_match {
            let exists = current.is_some();
            if exists && (n.trim() == "*" || listed(n, true)) {
                return false;
            }
        }
        true
    }
}
