//! Write authorisation. Every POST, PUT, PATCH and DELETE, and every read of the change
//! log, needs a live bearer token; this middleware checks it before any handler runs and
//! hands the token's name on. Failed attempts are counted per client address: past a
//! limit that address gets 429 for a while, and nobody else is slowed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::db::tokens;

/// The name of the token that authorised this request (never the token itself).
#[derive(Debug, Clone)]
pub struct Writer(pub String);

/// Failed authentications per client address in a sliding window.
#[derive(Debug)]
pub struct AuthLimiter {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    pub max_failures: u32,
    pub window: Duration,
}

/// Addresses remembered at most; older entries are dropped first when full.
const MAX_TRACKED: usize = 10_000;

impl Default for AuthLimiter {
    fn default() -> Self {
        AuthLimiter {
            failures: Mutex::new(HashMap::new()),
            max_failures: 10,
            window: Duration::from_secs(60),
        }
    }
}

impl AuthLimiter {
    /// `max_failures` failed attempts per address per minute.
    pub fn per_minute(max_failures: u32) -> Self {
        AuthLimiter {
            max_failures: max_failures.max(1),
            ..Default::default()
        }
    }

    /// Seconds to wait when the address is blocked.
    fn blocked_for(&self, ip: IpAddr) -> Option<u64> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let (n, since) = map.get(&ip)?;
        let elapsed = since.elapsed();
        (*n >= self.max_failures && elapsed < self.window)
            .then(|| (self.window - elapsed).as_secs() + 1)
    }

    fn fail(&self, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED {
            let window = self.window;
            map.retain(|_, (_, since)| since.elapsed() < window);
            if map.len() >= MAX_TRACKED
                && let Some(oldest) = map.iter().min_by_key(|(_, (_, s))| *s).map(|(k, _)| *k)
            {
                map.remove(&oldest);
            }
        }
        let entry = map.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }
}

fn needs_token(method: &Method, path: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || path.starts_with("/v1/changes")
}

/// The token's name, or 401 (429 once an address has failed too often).
async fn authorise(state: &AppState, headers: &HeaderMap, ip: Option<IpAddr>) -> ApiResult<String> {
    if let Some(ip) = ip
        && let Some(secs) = state.auth_limiter.blocked_for(ip)
    {
        return Err(ApiError::TooManyRequests(
            format!("Too many failed authentications from this address; retry in {secs} s."),
            secs,
        ));
    }
    let result = check_header(state, headers).await;
    if let (Err(ApiError::Unauthorized(_)), Some(ip)) = (&result, ip) {
        state.auth_limiter.fail(ip);
    }
    result
}

async fn check_header(state: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::Unauthorized(
            "This request changes data and needs an Authorization: Bearer <token> header. Operators create tokens with `pacts token create NAME`.".into(),
        ));
    };
    let presented = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(|| {
            ApiError::Unauthorized(
                "The Authorization header must have the form: Bearer <token>.".into(),
            )
        })?;
    match tokens::verify(&state.db, presented).await? {
        Some(name) => Ok(name),
        None => Err(ApiError::Unauthorized(
            "The token is not valid or has been revoked.".into(),
        )),
    }
}

/// Check the token where one is needed, or where one is sent at all: a bad token on a
/// public read is a 401 too, never a silent downgrade to anonymous. Answers to
/// authenticated requests are never stored by caches.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let sent = req.headers().contains_key(header::AUTHORIZATION);
    if !needs_token(req.method(), req.uri().path()) && !sent {
        return next.run(req).await;
    }
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let mut resp = match authorise(&state, req.headers(), ip).await {
        Ok(name) => {
            req.extensions_mut().insert(Writer(name));
            next.run(req).await
        }
        Err(e) => e.into_response(),
    };
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    resp
}
