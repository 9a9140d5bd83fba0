//! `/metrics` in the Prometheus text format: requests by route and status, a latency
//! histogram per route, database errors and pool usage. Kept in-process, without a
//! metrics crate: a mutex-guarded map updated once per request.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::db::Db;

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Registry {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);
static DB_ERRORS: AtomicU64 = AtomicU64::new(0);
static DB_UNAVAILABLE: AtomicU64 = AtomicU64::new(0);

/// Count a database error that reached a handler (`unavailable`: the database could not
/// be reached; otherwise an internal fault).
pub fn count_db_error(unavailable: bool) {
    if unavailable {
        DB_UNAVAILABLE.fetch_add(1, Ordering::Relaxed);
    } else {
        DB_ERRORS.fetch_add(1, Ordering::Relaxed);
    }
}

fn observe(method: &str, route: &str, status: u16, seconds: f64) {
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let reg = guard.get_or_insert_with(Registry::default);
    *reg.requests
        .entry((method.to_string(), route.to_string(), status))
        .or_default() += 1;
    let h = reg.latency.entry(route.to_string()).or_default();
    for (i, b) in BUCKETS.iter().enumerate() {
        if seconds <= *b {
            h.counts[i] += 1;
        }
    }
    h.sum += seconds;
    h.count += 1;
}

/// Time every request; label it with its route template, never the raw path.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let resp = next.run(req).await;
    observe(
        &method,
        &route,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub async fn render(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    {
        let guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let empty = Registry::default();
        let reg = guard.as_ref().unwrap_or(&empty);
        out.push_str("# HELP pacts_http_requests_total HTTP requests by method, route and status.\n# TYPE pacts_http_requests_total counter\n");
        for ((m, r, s), n) in &reg.requests {
            let _ = writeln!(
                out,
                "pacts_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{s}\"}} {n}",
                escape(r)
            );
        }
        out.push_str("# HELP pacts_http_request_duration_seconds Time to answer, by route.\n# TYPE pacts_http_request_duration_seconds histogram\n");
        for (r, h) in &reg.latency {
            let r = escape(r);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "pacts_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "pacts_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "pacts_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "pacts_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.count
            );
        }
    }
    let (size, idle) = match &state.db {
        Db::Sqlite(p) => (p.size(), p.num_idle()),
        Db::Postgres(p) => (p.size(), p.num_idle()),
    };
    let _ = write!(
        out,
        "# HELP pacts_db_pool_connections Open database connections.\n# TYPE pacts_db_pool_connections gauge\npacts_db_pool_connections{{backend=\"{b}\"}} {size}\n\
         # HELP pacts_db_pool_idle Idle database connections.\n# TYPE pacts_db_pool_idle gauge\npacts_db_pool_idle{{backend=\"{b}\"}} {idle}\n\
         # HELP pacts_db_errors_total Database errors that reached a request, by kind.\n# TYPE pacts_db_errors_total counter\n\
         pacts_db_errors_total{{kind=\"unavailable\"}} {}\npacts_db_errors_total{{kind=\"internal\"}} {}\n",
        DB_UNAVAILABLE.load(Ordering::Relaxed),
        DB_ERRORS.load(Ordering::Relaxed),
        b = state.db.backend(),
    );
    let mut resp = out.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}
