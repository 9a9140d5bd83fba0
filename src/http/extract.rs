//! Typed extractors whose rejections are problem+json: the query string as checked pairs,
//! JSON and merge-patch bodies (media type, size limit, strict parsing), and path keys.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde_json::Value;

use super::error::ApiError;
use crate::input::parse_json_strict;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long a request body may take to arrive (well inside the 10 s request timeout, so
/// that a slow or short upload is the client's 408, not the server's 503).
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether reading a body stopped at the size limit (rather than on an I/O error).
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}
/// The most query parameters one request may send (the longest real one needs about 20).
pub const MAX_QUERY_PARAMS: usize = 100;

/// The query string as pairs in order; a parameter given twice, or a NUL byte in a
/// value, is a 400.
#[derive(Debug, Clone, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    /// Parsing is linear in the query's length, and stops at the parameter limit.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        Self::parse_repeating(raw, |_| false)
    }

    /// As [`parse`](Self::parse), but the names `repeats` allows may come more than once
    /// (a list's field filters: `joined_on=gte.2020-01-01&joined_on=lt.2021-01-01`).
    pub fn parse_repeating(
        raw: Option<&str>,
        repeats: impl Fn(&str) -> bool,
    ) -> Result<Self, ApiError> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut seen = HashSet::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            if out.len() == MAX_QUERY_PARAMS {
                return Err(ApiError::BadRequest(format!(
                    "The query has more than {MAX_QUERY_PARAMS} parameters; no endpoint takes that many."
                )));
            }
            if !seen.insert(k.clone()) && !repeats(&k) {
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
        Ok(QueryPairs(out))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// 400 naming the first parameter not in `known`, and listing those that are.
    pub fn only(&self, known: &[&str], context: &str) -> Result<(), ApiError> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some((k, _)) => Err(ApiError::BadRequest(format!(
                "Unknown query parameter {k:?}; {context} takes: {}.",
                known.join(", ")
            ))),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        QueryPairs::parse(parts.uri.query())
    }
}

/// A path's one parameter as text; a path that cannot be read is a 404.
#[derive(Debug, Clone)]
pub struct PathKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(s)) => Ok(PathKey(s)),
            Err(_) => Err(ApiError::NotFound(
                "There is nothing at this path; GET /v1 lists the collections.".into(),
            )),
        }
    }
}

/// A JSON body (`application/json`), parsed strictly, with its raw bytes.
#[derive(Debug, Clone)]
pub struct JsonBody {
    pub value: Value,
    pub bytes: Bytes,
}

/// A JSON merge patch body (`application/merge-patch+json` or `application/json`): an
/// object.
#[derive(Debug, Clone)]
pub struct MergePatch(pub Value);

async fn read_json(req: Request, patch: bool) -> Result<JsonBody, ApiError> {
    let ct = req
        .headers()
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
    let read = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES);
    let bytes = match tokio::time::timeout(BODY_READ_TIMEOUT, read).await {
        Err(_) => {
            return Err(ApiError::RequestTimeout(format!(
                "The request body did not arrive within {} s; send the whole body at once.",
                BODY_READ_TIMEOUT.as_secs()
            )));
        }
        Ok(Err(e)) if is_length_limit(&e) => return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES)),
        Ok(Err(_)) => {
            return Err(ApiError::BadRequest(
                "The request body could not be read to its end.".into(),
            ));
        }
        Ok(Ok(b)) => b,
    };
    let value = parse_json_strict(&bytes).map_err(|e| {
        let what = if bytes.is_empty() {
            "The body is empty".to_string()
        } else {
            format!("The body is not valid JSON ({e})")
        };
        ApiError::BadRequest(format!("{what}; send one JSON object."))
    })?;
    Ok(JsonBody { value, bytes })
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        read_json(req, false).await
    }
}

impl<S: Send + Sync> FromRequest<S> for MergePatch {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let body = read_json(req, true).await?;
        if !body.value.is_object() {
            return Err(ApiError::field("", "a merge patch must be a JSON object"));
        }
        Ok(MergePatch(body.value))
    }
}
