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
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    resp
}

/// Set the `ETag` header (tags are ASCII by construction).
pub fn set_etag(resp: &mut Response, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
}

/// An `If-Match` header: `*` (the item exists) or a list of strong tags.
#[derive(Debug, Clone)]
pub struct IfMatch(String);

impl IfMatch {
    /// The request's `If-Match`, if it sent one; 400 if it is not text.
    pub fn from_headers(headers: &HeaderMap) -> ApiResult<Option<IfMatch>> {
        match headers.get(header::IF_MATCH) {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .map(|s| Some(IfMatch(s.to_string())))
                .map_err(|_| {
                    ApiError::BadRequest("If-Match must be an ETag such as \"3f2a…\" or *.".into())
                }),
        }
    }
}

impl Precondition for IfMatch {
    /// Strong comparison: a weak tag never matches.
    fn holds(&self, current: Option<&Value>) -> bool {
        match current {
            None => false,
            Some(_) if self.0.trim() == "*" => true,
            Some(item) => {
                let tag = item_etag(item);
                self.0.split(',').map(str::trim).any(|t| t == tag)
            }
        }
    }
}
