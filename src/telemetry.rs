//! Logging, set up once: a `tracing` subscriber writing text or JSON to stderr (no colours
//! unless stderr is a terminal), and the span every request runs in, carrying its request
//! id, method, matched route and whether the cache answered it. Tests share the same set-up.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// The longest client request id kept (a longer one is replaced by the server's).
pub const MAX_REQUEST_ID: usize = 128;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Install the process's subscriber. `filter` is tracing's EnvFilter syntax (already
/// checked by the configuration). A second call does nothing.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = match format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(ansi)
            .with_writer(std::io::stderr)
            .try_init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .try_init(),
    };
}

/// For test binaries: logs only when `PACTS_TEST_LOG` names a filter (the suite provokes
/// errors on purpose; they would drown its report).
pub fn init_for_tests() {
    if let Ok(filter) = std::env::var("PACTS_TEST_LOG") {
        init(&filter, LogFormat::Text);
    }
}

/// The outermost middleware: give the request an id (the client's `X-Request-Id`, or a
/// new one) and answer with it, run it inside its span `request{id, method, route, cache}`
/// (the route is filled in once routing or the cache knows it; every log line of the
/// request, errors included, carries these fields), answer it from the response cache when
/// possible (the hot path needs no other layer), and log one access line at info with the
/// status and the time taken.
pub async fn front(
    axum::extract::State(state): axum::extract::State<crate::http::AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    // A client's id is kept when it is a short, visible label; otherwise it is replaced.
    let id = match req.headers().get("x-request-id") {
        Some(v) if v.len() <= MAX_REQUEST_ID && v.to_str().is_ok_and(|s| !s.is_empty()) => {
            v.clone()
        }
        _ => {
            let v = state.request_ids.next();
            req.headers_mut().insert("x-request-id", v.clone());
            v
        }
    };
    let span = tracing::info_span!(
        "request",
        id = %id.to_str().unwrap_or("-"),
        method = %req.method(),
        route = tracing::field::Empty,
        cache = tracing::field::Empty,
    );
    let answer = async {
        let current = tracing::Span::current();
        let cached = crate::http::cache::from_cache(
            &state,
            req.method(),
            req.uri(),
            req.headers(),
            &current,
        )
        .await;
        match cached {
            Some(resp) => resp,
            None => next.run(req).await,
        }
    };
    let mut resp = answer.instrument(span.clone()).await;
    resp.headers_mut().insert("x-request-id", id);
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            ms = (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
            "answered"
        )
    });
    resp
}

/// Request ids that cost an atomic increment: a random per-process prefix and a counter
/// (`3f9a1c2b-000000000000002a`), unique across processes and restarts without a random
/// draw per request. A client's own `X-Request-Id` is kept as it is.
#[derive(Clone, Debug)]
pub struct RequestIds {
    prefix: std::sync::Arc<str>,
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        let mut b = [0u8; 4];
        let _ = getrandom::fill(&mut b);
        let prefix: String = b.iter().map(|x| format!("{x:02x}")).collect();
        RequestIds {
            prefix: prefix.into(),
            next: Default::default(),
        }
    }
}

impl RequestIds {
    /// The next id.
    pub fn next(&self) -> axum::http::HeaderValue {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        axum::http::HeaderValue::from_str(&format!("{}-{n:016x}", self.prefix))
            .unwrap_or(axum::http::HeaderValue::from_static("-"))
    }
}
