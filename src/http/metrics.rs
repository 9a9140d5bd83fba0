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

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// Everything recorded for one route template.
#[derive(Default)]
struct Route {
    /// (method, status, count); a route sees a handful of combinations.
    requests: Vec<(String, u16, u64)>,
    latency: Histogram,
}

static REGISTRY: Mutex<BTreeMap<String, Route>> = Mutex::new(BTreeMap::new());
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

/// Record one answer. Allocates only the first time a route, method or status is seen.
pub fn observe(method: &str, route: &str, status: u16, seconds: f64) {
    let mut reg = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    if !reg.contains_key(route) {
        reg.insert(route.to_string(), Route::default());
    }
    let r = reg.get_mut(route).expect("just inserted");
    match r
        .requests
        .iter_mut()
        .find(|(m, s, _)| m == method && *s == status)
    {
        Some(entry) => entry.2 += 1,
        None => r.requests.push((method.to_string(), status, 1)),
    }
    let h = &mut r.latency;
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
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    if let Some(r) = &route {
        tracing::Span::current().record("route", r.as_str());
    }
    let resp = next.run(req).await;
    let route = route.as_ref().map_or("unmatched", |m| m.as_str());
    observe(
        method.as_str(),
        route,
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
        let reg = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        out.push_str("# HELP pacts_http_requests_total HTTP requests by method, route and status.\n# TYPE pacts_http_requests_total counter\n");
        for (route, r) in reg.iter() {
            for (m, s, n) in &r.requests {
                let _ = writeln!(
                    out,
                    "pacts_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{s}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP pacts_http_request_duration_seconds Time to answer, by route.\n# TYPE pacts_http_request_duration_seconds histogram\n");
        for (route, r) in reg.iter() {
            let (route, h) = (escape(route), &r.latency);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "pacts_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "pacts_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "pacts_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "pacts_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
    }
    let (size, idle) = state.db.pool_stats();
    let _ = write!(
        out,
        "# HELP pacts_db_pool_connections Open database connections.\n# TYPE pacts_db_pool_connections gauge\npacts_db_pool_connections{{backend=\"{b}\"}} {size}\n\
         # HELP pacts_db_pool_idle Idle database connections.\n# TYPE pacts_db_pool_idle gauge\npacts_db_pool_idle{{backend=\"{b}\"}} {idle}\n\
         # HELP pacts_db_errors_total Database errors that reached a request, by kind.\n# TYPE pacts_db_errors_total counter\n\
         pacts_db_errors_total{{kind=\"unavailable\"}} {}\npacts_db_errors_total{{kind=\"internal\"}} {}\n\
         # HELP pacts_response_cache_bytes Memory held by the response cache (at most 16 MiB).\n# TYPE pacts_response_cache_bytes gauge\n\
         pacts_response_cache_bytes {}\n",
        DB_UNAVAILABLE.load(Ordering::Relaxed),
        DB_ERRORS.load(Ordering::Relaxed),
        state.cache.bytes(),
        b = state.db.backend(),
    );
    let (loads, failed, seconds, version, bytes) = state.facts.stats();
    let (from_memory, from_sql) = state.facts.answered();
    let by_handler = state.pages.by_handler.load(Ordering::Relaxed);
    let by_layer = state.pages.by_layer.load(Ordering::Relaxed);
    let _ = write!(
        out,
        "# HELP pacts_questions_answered_total Questions answered, from the in-memory facts or by SQL (while they load).\n# TYPE pacts_questions_answered_total counter\n\
         pacts_questions_answered_total{{by=\"memory\"}} {from_memory}\npacts_questions_answered_total{{by=\"sql\"}} {from_sql}\n\
         # HELP pacts_question_pages_total Pages of question answers, by who cut them: the handler (only the page written) or the paging layer (the whole answer written, then sliced).\n# TYPE pacts_question_pages_total counter\n\
         pacts_question_pages_total{{cut=\"handler\"}} {by_handler}\npacts_question_pages_total{{cut=\"layer\"}} {by_layer}\n\
         # HELP pacts_facts_loads_total Loads of the facts into memory, by outcome.\n# TYPE pacts_facts_loads_total counter\n\
         pacts_facts_loads_total{{outcome=\"ok\"}} {loads}\npacts_facts_loads_total{{outcome=\"failed\"}} {failed}\n\
         # HELP pacts_facts_load_seconds How long the last load took.\n# TYPE pacts_facts_load_seconds gauge\npacts_facts_load_seconds {seconds}\n\
         # HELP pacts_facts_version The data version of the facts in memory (-1: none).\n# TYPE pacts_facts_version gauge\npacts_facts_version {version}\n\
         # HELP pacts_facts_bytes Memory the facts hold, estimated.\n# TYPE pacts_facts_bytes gauge\npacts_facts_bytes {bytes}\n",
    );
    let mut resp = out.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}
