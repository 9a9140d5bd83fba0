//! Conditional GETs and the response cache.
//!
//! Every write bumps a data version inside its own transaction. Each process keeps the
//! version it last saw in memory and re-reads it from the database at most every
//! [`VERSION_TTL`] (and at once after a write of its own), so a write through another
//! process sharing the same PostgreSQL is seen within that time, and a write through this
//! one immediately. Read answers carry a strong `ETag` made of that version, the request
//! (path, query, `Accept`) and today's date (`as_of` defaults to today); `If-None-Match`
//! with a current tag is a 304. Anonymous `GET` answers are kept in a bounded in-memory
//! cache keyed by the same request and served without touching the database while the
//! version holds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use crate::db::Db;

/// Dashboards that poll revalidate every few seconds.
pub const CACHE_CONTROL: &str = "public, max-age=5, must-revalidate";
/// How stale this process's idea of the data version may be (writes elsewhere).
pub const VERSION_TTL: Duration = Duration::from_millis(250);
/// Memory the response cache may hold (bodies and keys).
pub const CACHE_BYTES: usize = 16 * 1024 * 1024;
/// The largest single answer kept.
const MAX_ENTRY_BYTES: usize = 1024 * 1024;

/// The data version as this process knows it.
#[derive(Debug)]
pub struct Version {
    value: AtomicI64,
    /// Microseconds since `epoch` of the last read from the database; 0 = read now.
    checked: AtomicU64,
    refreshing: AtomicBool,
    /// Bumped by every local write, so that a read of the version that started before
    /// the write committed is not taken as fresh.
    generation: AtomicU64,
    epoch: Instant,
}

impl Default for Version {
    fn default() -> Self {
        Version {
            value: AtomicI64::new(-1),
            checked: AtomicU64::new(0),
            refreshing: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }
}

impl Version {
    fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64 + 1
    }

    /// Forget the known version: the next read asks the database (after a local write).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.checked.store(0, Ordering::Release);
    }

    /// The current version, re-read when older than the TTL. One request refreshes while
    /// the others go on with the value they have; a failed read keeps the old value (and
    /// says so, so that the caller can answer 503 when it has none).
    pub async fn current(&self, db: &Db) -> Result<i64, sqlx::Error> {
        let checked = self.checked.load(Ordering::Acquire);
        let known = self.value.load(Ordering::Acquire);
        let fresh =
            checked != 0 && self.now_us().saturating_sub(checked) < VERSION_TTL.as_micros() as u64;
        if fresh && known >= 0 {
            return Ok(known);
        }
        let must_wait = checked == 0 || known < 0;
        if !must_wait && self.refreshing.swap(true, Ordering::AcqRel) {
            return Ok(known);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let result = db.data_version().await;
        self.refreshing.store(false, Ordering::Release);
        match result {
            Ok(v) => {
                self.value.fetch_max(v, Ordering::AcqRel);
                if self.generation.load(Ordering::Acquire) == generation {
                    self.checked.store(self.now_us(), Ordering::Release);
                }
                Ok(v)
            }
            Err(e) => Err(e),
        }
    }
}

/// One stored answer.
struct Entry {
    version: i64,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// The route template, for the metrics of answers served from the cache.
    route: String,
}

/// Bounded map from request to answer; entries of an older version are dropped first.
pub struct ResponseCache {
    inner: Mutex<(HashMap<String, std::sync::Arc<Entry>>, usize)>,
    max_bytes: usize,
}

impl Default for ResponseCache {
    fn default() -> Self {
        Self::with_capacity(CACHE_BYTES)
    }
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseCache")
    }
}

impl ResponseCache {
    /// A cache holding at most `max_bytes`; 0 turns it off.
    pub fn with_capacity(max_bytes: usize) -> Self {
        ResponseCache {
            inner: Mutex::new((HashMap::new(), 0)),
            max_bytes,
        }
    }

    fn get(&self, key: &str, version: i64) -> Option<std::sync::Arc<Entry>> {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.0.get(key).filter(|e| e.version == version).cloned()
    }

    fn put(&self, key: String, entry: Entry) {
        let size = key.len() + entry.body.len() + 256;
        if size > MAX_ENTRY_BYTES || size > self.max_bytes {
            return;
        }
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (map, used) = &mut *guard;
        if *used + size > self.max_bytes {
            let version = entry.version;
            map.retain(|_, e| e.version == version);
            *used = map.iter().map(|(k, e)| k.len() + e.body.len() + 256).sum();
            if *used + size > self.max_bytes {
                map.clear();
                *used = 0;
            }
        }
        if let Some(old) = map.insert(key.clone(), std::sync::Arc::new(entry)) {
            *used -= key.len() + old.body.len() + 256;
        }
        *used += size;
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).1
    }
}

fn request_key(req: &Request) -> String {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    format!(
        "{}?{}\n{accept}\n{}",
        req.uri().path(),
        req.uri().query().unwrap_or_default(),
        chrono::Utc::now().date_naive()
    )
}

fn etag_for(version: i64, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"v{version}-{short}\"")
}

fn matches(if_none_match: Option<&HeaderValue>, etag: &str) -> bool {
    let Some(v) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    v.trim() == "*"
        || v.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag)
}

fn not_modified(etag: &HeaderValue) -> Response {
    let mut resp = StatusCode::NOT_MODIFIED.into_response();
    let h = resp.headers_mut();
    h.insert(header::ETAG, etag.clone());
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    resp
}

pub async fn conditional_get(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let reads_data = (req.method() == Method::GET || req.method() == Method::HEAD)
        && path.starts_with("/v1")
        && !path.starts_with("/v1/changes");
    if !reads_data {
        return next.run(req).await;
    }
    let version = match state.version.current(&state.db).await {
        Ok(v) => v,
        // The database is not answering: say so now rather than wait for it again.
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let key = request_key(&req);
    let cacheable =
        req.method() == Method::GET && !req.headers().contains_key(header::AUTHORIZATION);
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let inm = req.headers().get(header::IF_NONE_MATCH).cloned();
    if cacheable && let Some(hit) = state.cache.get(&key, version) {
        if let Some(tag) = hit.headers.get(header::ETAG)
            && matches(inm.as_ref(), tag.to_str().unwrap_or_default())
        {
            return not_modified(tag);
        }
        let mut resp = Response::new(Body::from(hit.body.clone()));
        *resp.status_mut() = hit.status;
        *resp.headers_mut() = hit.headers.clone();
        return resp;
    }
    let etag = etag_for(version, &key);
    if matches(inm.as_ref(), &etag) {
        return not_modified(
            &HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
        );
    }
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    // Items carry their own content-based ETag (the one If-Match compares against).
    if !parts.headers.contains_key(header::ETAG)
        && let Ok(v) = HeaderValue::from_str(&etag)
    {
        parts.headers.insert(header::ETAG, v);
    }
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    parts
        .headers
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    if !cacheable {
        return Response::from_parts(parts, body);
    }
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    state.cache.put(
        key,
        Entry {
            version,
            status: parts.status,
            headers: parts.headers.clone(),
            body: bytes.clone(),
            route,
        },
    );
    Response::from_parts(parts, Body::from(bytes))
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(0);

/// The hot path, outside every other layer: an anonymous `GET` whose answer is in the
/// cache for the current data version is answered here, without routing, the database or
/// the rest of the stack. Everything else (and every request from a browser `Origin`,
/// which needs CORS headers) goes the normal way.
pub async fn fast_path(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let eligible = req.method() == Method::GET
        && req.uri().path().starts_with("/v1/")
        && !req.uri().path().starts_with("/v1/changes")
        && !req.headers().contains_key(header::AUTHORIZATION)
        && !req.headers().contains_key(header::ORIGIN)
        && state.ready.load(Ordering::Acquire);
    if !eligible {
        return next.run(req).await;
    }
    let started = Instant::now();
    let version = match state.version.current(&state.db).await {
        Ok(v) => v,
        // The database is not answering: say so now rather than wait for it again.
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let Some(hit) = state.cache.get(&request_key(&req), version) else {
        return next.run(req).await;
    };
    let inm = req.headers().get(header::IF_NONE_MATCH);
    let mut resp = match hit.headers.get(header::ETAG) {
        Some(tag) if matches(inm, tag.to_str().unwrap_or_default()) => not_modified(tag),
        _ => {
            let mut r = Response::new(Body::from(hit.body.clone()));
            *r.headers_mut() = hit.headers.clone();
            r
        }
    };
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let id = match req.headers().get("x-request-id") {
        Some(v) => v.clone(),
        None => HeaderValue::from_str(&format!(
            "c{:x}",
            REQUEST_IDS.fetch_add(1, Ordering::Relaxed)
        ))
        .unwrap_or(HeaderValue::from_static("c")),
    };
    h.insert("x-request-id", id);
    super::metrics::observe(
        "GET",
        &hit.route,
        resp.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    resp
}

/// After a write of this process: the next read must see it.
pub async fn invalidate_after_writes(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let resp = next.run(req).await;
    if writes {
        state.version.invalidate();
    }
    resp
}
