//! The response cache and the middleware that answers from it. Anonymous `GET` answers
//! are kept in a bounded in-memory map keyed by the request (path, query, `Accept`, and
//! today's date, since `as_of` defaults to today) and served without touching the
//! database while the data version holds. Every read answer carries a strong `ETag` of
//! that version and request, and `If-None-Match` with a current tag is a 304.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::conditional::{CACHE_CONTROL, data_etag, none_match, not_modified};
use super::encoding::{self, Encoding};
use super::error::ApiError;

/// Memory the response cache may hold (bodies and keys).
pub const CACHE_BYTES: usize = 16 * 1024 * 1024;
/// The largest single answer kept.
const MAX_ENTRY_BYTES: usize = 1024 * 1024;

/// One stored answer.
struct Entry {
    version: i64,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// The body gzip- and brotli-encoded, made once when stored (large answers only).
    encoded: Option<(Bytes, Bytes)>,
    /// The route template, for the metrics and spans of answers served from the cache.
    route: String,
}

impl Entry {
    fn size(&self, key: &str) -> usize {
        let encoded = self.encoded.as_ref().map_or(0, |(g, b)| g.len() + b.len());
        key.len() + self.body.len() + encoded + 256
    }
}

/// Bounded map from request to answer; entries of an older version are dropped first.
/// An answer is kept only when its request is seen a second time at the same data
/// version (the doorkeeper): questions asked once (a new date on every request, say)
/// cost neither compression nor the eviction of answers that are asked again.
pub struct ResponseCache {
    inner: Mutex<(HashMap<String, Arc<Entry>>, usize)>,
    seen: Mutex<Doorkeeper>,
    max_bytes: usize,
}

/// Hashes of requests answered once, at one data version.
#[derive(Default)]
struct Doorkeeper {
    version: i64,
    hashes: std::collections::HashSet<u64>,
}

/// Requests the doorkeeper remembers before it starts again.
const DOORKEEPER_ENTRIES: usize = 65_536;

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
            seen: Mutex::new(Doorkeeper::default()),
            max_bytes,
        }
    }

    fn get(&self, key: &str, version: i64) -> Option<Arc<Entry>> {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.0.get(key).filter(|e| e.version == version).cloned()
    }

    /// Whether an answer to `key` at `version` is worth keeping: its second sighting.
    fn admits(&self, key: &str, version: i64) -> bool {
        if self.max_bytes == 0 {
            return false;
        }
        let hash = {
            use std::hash::{BuildHasher, BuildHasherDefault};
            BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(key)
        };
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.version != version || seen.hashes.len() >= DOORKEEPER_ENTRIES {
            seen.version = version;
            seen.hashes.clear();
        }
        !seen.hashes.insert(hash)
    }

    fn put(&self, key: String, entry: Entry) {
        let size = entry.size(&key);
        if size > MAX_ENTRY_BYTES || size > self.max_bytes {
            return;
        }
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (map, used) = &mut *guard;
        if *used + size > self.max_bytes {
            let version = entry.version;
            map.retain(|_, e| e.version == version);
            *used = map.iter().map(|(k, e)| e.size(k)).sum();
            if *used + size > self.max_bytes {
                map.clear();
                *used = 0;
            }
        }
        if let Some(old) = map.insert(key.clone(), Arc::new(entry)) {
            *used -= old.size(&key);
        }
        *used += size;
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).1
    }
}

fn request_key(req: &Request) -> String {
    key_of(req.uri(), req.headers())
}

/// The cache key: path, query, `Accept`, and today's date (`as_of` defaults to today).
fn key_of(uri: &axum::http::Uri, headers: &HeaderMap) -> String {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    format!(
        "{}?{}\n{accept}\n{}",
        uri.path(),
        uri.query().unwrap_or_default(),
        chrono::Utc::now().date_naive()
    )
}

/// Reads of data: the collections and questions, not the change log.
fn reads_data(req: &Request) -> bool {
    let path = req.uri().path();
    path.starts_with("/v1") && !path.starts_with("/v1/changes")
}

/// A stored answer, in the encoding the client prefers when one was made.
fn from_entry(hit: &Entry, headers: &HeaderMap) -> Response {
    if let Some(tag) = hit.headers.get(header::ETAG)
        && none_match(headers, tag.to_str().unwrap_or_default())
    {
        return not_modified(tag, CACHE_CONTROL);
    }
    let chosen = match (&hit.encoded, encoding::preferred(headers)) {
        (Some((_, br)), Some(Encoding::Brotli)) => Some((br.clone(), Encoding::Brotli)),
        (Some((gz, _)), Some(Encoding::Gzip)) => Some((gz.clone(), Encoding::Gzip)),
        _ => None,
    };
    let mut r = match &chosen {
        Some((body, _)) => Response::new(Body::from(body.clone())),
        None => Response::new(Body::from(hit.body.clone())),
    };
    *r.status_mut() = hit.status;
    *r.headers_mut() = hit.headers.clone();
    if let Some((_, enc)) = chosen {
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, enc.header());
    }
    r
}

/// Conditional GETs and the cache, inside the router: answer 304 or from the cache where
/// the data version allows, otherwise run the handler and keep its answer.
pub async fn conditional_get(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_read = req.method() == Method::GET || req.method() == Method::HEAD;
    if !is_read || !reads_data(&req) {
        return next.run(req).await;
    }
    let version = match state.version.current(&state.db).await {
        Ok(v) => v,
        // The database is not answering: say so now rather than wait for it again.
        Err(e) => return ApiError::from(e).into_response(),
    };
    let key = request_key(&req);
    let cacheable =
        req.method() == Method::GET && !req.headers().contains_key(header::AUTHORIZATION);
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    if cacheable && let Some(hit) = state.cache.get(&key, version) {
        return from_entry(&hit, req.headers());
    }
    let etag = data_etag(version, &key);
    if none_match(req.headers(), &etag) {
        return not_modified(
            &HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
            CACHE_CONTROL,
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
    parts.headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Encoding"),
    );
    // A streamed answer (a whole collection) is passed through as it is written.
    let streamed = axum::body::HttpBody::size_hint(&body).exact().is_none();
    if streamed || !cacheable || !state.cache.admits(&key, version) {
        return Response::from_parts(parts, body);
    }
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let mut stored = parts.headers.clone();
    stored.remove(header::CONTENT_LENGTH);
    state.cache.put(
        key,
        Entry {
            version,
            status: parts.status,
            encoded: encoding::precompress(&bytes, stored.get(header::CONTENT_TYPE)),
            headers: stored,
            body: bytes.clone(),
            route,
        },
    );
    Response::from_parts(parts, Body::from(bytes))
}

/// The hot path: an anonymous `GET` whose answer is in the cache for the current data
/// version, answered without routing, the other layers or the database (`None`: take the
/// normal way; so does every request from a browser `Origin`, which needs CORS headers).
/// Called by the outermost middleware, inside the request's span.
pub async fn from_cache(
    state: &AppState,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    span: &tracing::Span,
) -> Option<Response> {
    let path = uri.path();
    let eligible = method == Method::GET
        && path.starts_with("/v1/")
        && !path.starts_with("/v1/changes")
        && !headers.contains_key(header::AUTHORIZATION)
        && !headers.contains_key(header::ORIGIN)
        && state.ready.load(std::sync::atomic::Ordering::Acquire);
    if !eligible {
        return None;
    }
    let started = Instant::now();
    let version = match state.version.current(&state.db).await {
        Ok(v) => v,
        // The database is not answering: say so now rather than wait for it again.
        Err(e) => return Some(ApiError::from(e).into_response()),
    };
    let hit = state.cache.get(&key_of(uri, headers), version)?;
    let mut resp = from_entry(&hit, headers);
    resp.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    span.record("route", hit.route.as_str());
    span.record("cache", "hit");
    super::metrics::observe(
        "GET",
        &hit.route,
        resp.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    Some(resp)
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
        // Bring the facts in memory up to date now rather than at the next question (not
        // after a refused write: that changed nothing, and must not cost a load).
        if resp.status().is_success() {
            state.facts.load_in_background(&state.db);
        }
    }
    resp
}
