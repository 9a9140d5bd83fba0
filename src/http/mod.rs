//! The HTTP layer: the router and its layers. Requests flow one way: layers → extractor →
//! handler → `db` → database. Every error response, including those made by axum or
//! tower-http themselves (404, 405, 413, 503 on timeout), leaves as problem+json.

pub mod auth;
pub mod cache;
pub mod changes;
pub mod conditional;
pub mod edge;
pub mod encoding;
pub mod error;
pub mod extract;
pub mod filters;
pub mod format;
pub mod items;
pub mod list;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod paging;
pub mod params;
pub mod problems;
pub mod questions;
pub mod stream;
pub mod timeline;
pub mod ui;
pub mod version;
pub mod writes;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use axum::Router;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::db::Db;
use crate::model::RESOURCES;
pub use extract::MAX_BODY_BYTES;

/// How long one request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What every handler and layer shares, behind one `Arc`: the layers clone the state for
/// each request, and one reference count is cheaper than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub db: Db,
    pub ready: Arc<AtomicBool>,
    pub openapi: Arc<serde_json::Value>,
    pub auth_limiter: Arc<auth::AuthLimiter>,
    pub version: Arc<version::Version>,
    pub cache: Arc<cache::ResponseCache>,
    /// The facts in memory the questions are answered from.
    pub facts: Arc<crate::facts::Facts>,
    /// Request ids for requests that come without one.
    pub request_ids: crate::telemetry::RequestIds,
    /// Proxies whose forwarding headers name the client.
    pub trusted_proxies: Arc<Vec<auth::Cidr>>,
    /// Pages of question answers served, by who cut them.
    pub pages: paging::Counters,
}

/// Settings of the HTTP layer that come from configuration.
#[derive(Debug, Default)]
pub struct Options {
    /// Origins allowed to write from a browser; reads are allowed from any origin.
    pub cors_origins: Vec<HeaderValue>,
    /// Set once migrations and the seed are in place; until then `/v1` answers 503.
    /// `None`: ready from the start.
    pub ready: Option<Arc<AtomicBool>>,
    /// Response cache size in bytes (default 16 MiB; 0 turns it off).
    pub cache_bytes: Option<usize>,
    /// Failed-authentication limits (default: 10 a minute per address).
    pub auth_limiter: Option<auth::AuthLimiter>,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client.
    pub trusted_proxies: Vec<auth::Cidr>,
    /// The in-memory facts, loaded by the caller before it says ready (`None`: a new
    /// set, loaded by the first question, which SQL answers meanwhile).
    pub facts: Option<Arc<crate::facts::Facts>>,
}

/// The whole HTTP application over a database, with default options.
pub fn app(db: Db) -> Router {
    app_with(db, Options::default())
}

/// The whole HTTP application; tests and the server build the same one.
pub fn app_with(db: Db, options: Options) -> Router {
    let state = AppState(Arc::new(Shared {
        db,
        ready: options
            .ready
            .clone()
            .unwrap_or_else(|| Arc::new(AtomicBool::new(true))),
        openapi: Arc::new(openapi::document()),
        auth_limiter: Arc::new(options.auth_limiter.unwrap_or_default()),
        version: Arc::new(version::Version::default()),
        cache: Arc::new(cache::ResponseCache::with_capacity(
            options.cache_bytes.unwrap_or(cache::CACHE_BYTES),
        )),
        trusted_proxies: Arc::new(options.trusted_proxies),
        facts: options.facts.unwrap_or_default(),
        request_ids: crate::telemetry::RequestIds::default(),
        pages: paging::Counters::default(),
    }));
    let mut router = Router::new();
    for res in RESOURCES {
        router = router
            .route(&format!("/v1/{}", res.name), items::collection_routes(res))
            .route(
                &params::CsvTwin::path(&format!("/v1/{}", res.name)),
                items::csv_routes(res),
            )
            .route(
                &format!("/v1/{}/{{key}}", res.name),
                items::item_routes(res),
            );
    }
    router
        .merge(
            questions::routes()
                .merge(timeline::routes())
                .route_layer(from_fn_with_state(state.clone(), paging::layer)),
        )
        .route("/", get(ui::dashboard))
        .route("/docs", get(ui::docs))
        .route("/assets/{name}", get(ui::asset))
        .route("/v1", get(ops::index))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/openapi.json", get(ops::openapi))
        .route("/problems/{slug}", get(ops::problem_type))
        .route("/metrics", get(metrics::render))
        .route("/v1/changes", get(changes::list))
        .route("/v1/changes/{id}", get(changes::get))
        .route("/v1/changes/{id}/revert", post(changes::revert))
        .fallback(ops::not_found)
        .layer(from_fn(format::download_headers))
        .layer(from_fn_with_state(state.clone(), cache::conditional_get))
        .layer(from_fn_with_state(
            state.clone(),
            cache::invalidate_after_writes,
        ))
        .layer(from_fn_with_state(state.clone(), auth::guard))
        .layer(from_fn_with_state(state.clone(), ready_gate))
        .layer(from_fn(metrics::track))
        .with_state(state.clone())
        .layer(map_response(problem_for_bare_errors))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(cors(options.cors_origins))
        .layer(encoding::layer())
        .layer(from_fn_with_state(state, crate::telemetry::front))
}

/// CORS: reads from any origin; writes (and their preflights) only from the configured
/// origins. Preflights are answered here, without touching the database.
fn cors(write_origins: Vec<HeaderValue>) -> CorsLayer {
    let allow = AllowOrigin::predicate(move |origin: &HeaderValue, parts: &Parts| {
        let method = if parts.method == Method::OPTIONS {
            parts
                .headers
                .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
                .unwrap_or(Method::GET)
        } else {
            parts.method.clone()
        };
        let read = method == Method::GET || method == Method::HEAD;
        read || write_origins.iter().any(|o| o == origin)
    });
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::LOCATION,
            header::LINK,
            header::ETAG,
            header::RETRY_AFTER,
            header::CONTENT_DISPOSITION,
            HeaderName::from_static("x-total-count"),
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(Duration::from_secs(600))
}

/// Until the database is migrated, the API answers 503 (health and metrics still work).
async fn ready_gate(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if req.uri().path().starts_with("/v1")
        && !state.ready.load(std::sync::atomic::Ordering::Acquire)
    {
        return error::ApiError::unavailable(
            "The service is starting: the database is not migrated yet; retry shortly.",
        )
        .into_response();
    }
    next.run(req).await
}

/// Error responses made below the handlers (routing, timeouts) have no body; give them a
/// problem body from the catalogue, keeping their headers (`Allow` on a 405).
async fn problem_for_bare_errors(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error())
        || resp.headers().contains_key(header::CONTENT_TYPE)
    {
        return resp;
    }
    let (parts, _) = resp.into_parts();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            "This method is not allowed on this resource; the Allow header lists those that are."
                .to_string()
        }
        StatusCode::NOT_FOUND => "There is nothing at this path.".to_string(),
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("The request body is larger than {MAX_BODY_BYTES} bytes.")
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            "The request took too long and was stopped; retry shortly.".to_string()
        }
        _ => status.canonical_reason().unwrap_or("Error").to_string(),
    };
    let kind = problems::by_status(status);
    let mut out = error::problem_response(kind, status, detail, None);
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_LENGTH && k != header::CONTENT_TYPE {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        out.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    out
}
