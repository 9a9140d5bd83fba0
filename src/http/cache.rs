//! Conditional GETs. Every read answer carries a strong `ETag` derived from the data
//! version (bumped inside every write transaction, so it is shared by every process on
//! one database), the request (path, query, format) and, because `as_of` defaults to
//! today, the current UTC date. `If-None-Match` with a current tag is answered 304
//! without running the query.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;

/// Dashboards that poll revalidate every few seconds; a 304 costs one small query.
pub const CACHE_CONTROL: &str = "public, max-age=5, must-revalidate";

fn etag_for(version: i64, req: &Request) -> String {
    let mut h = Sha256::new();
    h.update(req.uri().path().as_bytes());
    h.update(b"?");
    h.update(req.uri().query().unwrap_or_default().as_bytes());
    h.update(b"\n");
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    h.update(accept);
    h.update(b"\n");
    h.update(chrono::Utc::now().date_naive().to_string().as_bytes());
    let digest = h.finalize();
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"v{version}-{short}\"")
}

fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.trim() == "*"
        || if_none_match
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag)
}

pub async fn conditional_get(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    if !req.uri().path().starts_with("/v1") {
        return next.run(req).await;
    }
    let version = match state.db.data_version().await {
        Ok(v) => v,
        // The database is not answering: say so now rather than wait for it again.
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let etag = etag_for(version, &req);
    let inm = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if inm.as_deref().is_some_and(|v| matches(v, &etag)) {
        let mut resp = StatusCode::NOT_MODIFIED.into_response();
        set_headers(&mut resp, &etag);
        return resp;
    }
    let mut resp = next.run(req).await;
    // Items carry their own content-based ETag (the one If-Match compares against).
    if resp.status() == StatusCode::OK && !resp.headers().contains_key(header::ETAG) {
        set_headers(&mut resp, &etag);
    }
    resp
}

fn set_headers(resp: &mut Response, etag: &str) {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
}
