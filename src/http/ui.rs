//! The built-in dashboard (`GET /`) and API reference (`GET /docs`): static files embedded
//! in the binary, served with a strict Content-Security-Policy and no outside resources,
//! so they work offline. They use only the public JSON API.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::conditional::{content_etag, none_match, set_etag};
use super::error::ApiError;

const FILES: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../assets/index.html"),
    ),
    (
        "docs.html",
        "text/html; charset=utf-8",
        include_str!("../../assets/docs.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/app.js"),
    ),
    (
        "docs.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/docs.js"),
    ),
    (
        "countries-110m.json",
        "application/json",
        include_str!("../../assets/countries-110m.json"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/app.css"),
    ),
];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn etags() -> &'static Vec<String> {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        FILES
            .iter()
            .map(|(_, _, body)| content_etag(body.as_bytes()))
            .collect()
    })
}

fn serve(name: &str, headers: &HeaderMap) -> Response {
    let Some(i) = FILES.iter().position(|(n, _, _)| *n == name) else {
        return ApiError::NotFound(format!("There is no asset called {name:?}.")).into_response();
    };
    let (_, content_type, body) = FILES[i];
    let etag = &etags()[i];
    let fresh = none_match(headers, etag);
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    set_etag(&mut resp, etag);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

pub async fn dashboard(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

pub async fn docs(headers: HeaderMap) -> Response {
    serve("docs.html", &headers)
}

pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    if name.ends_with(".html") {
        return ApiError::NotFound(format!("There is no asset called {name:?}.")).into_response();
    }
    serve(&name, &headers)
}
