//! Who is asking, and may they write. Every POST, PUT, PATCH and DELETE, and every read of
//! the change log, needs a live bearer token; this middleware checks it before any handler
//! runs and hands the token's name on.
//!
//! The client's address is the TCP peer, or, when the peer is a trusted proxy
//! (`PACTS_TRUSTED_PROXIES`), the nearest untrusted address in `Forwarded` /
//! `X-Forwarded-For`. Failed authentications are counted per client address *and* per
//! token id (the public `lookup` part of a token): past a limit, that address's attempts
//! with unknown or malformed tokens get 429, and so do its attempts with that one token id.
//! A different client's valid token is never refused: brute force stays bounded (nothing
//! more is evaluated for a blocked pair) while nobody else is locked out.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::db::tokens::{self, Verdict};

/// The name of the token that authorised this request (never the token itself).
#[derive(Debug, Clone)]
pub struct Writer(pub String);

/// An address block: `10.0.0.0/8`, `::1/128`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl FromStr for Cidr {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (addr, bits) = match s.split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().map_err(|_| ())?)),
            None => (s, None),
        };
        let net: IpAddr = addr.parse().map_err(|_| ())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        if bits > max {
            return Err(());
        }
        Ok(Cidr { net, bits })
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let (a, b, len) = match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => (u32::from(n) as u128, u32::from(i) as u128, 32),
            (IpAddr::V6(n), IpAddr::V6(i)) => (u128::from(n), u128::from(i), 128),
            _ => return false,
        };
        if self.bits == 0 {
            return true;
        }
        let shift = len - self.bits as u32;
        (a >> shift) == (b >> shift)
    }
}

/// The client's address: the peer, or the nearest untrusted hop a trusted proxy names.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    // Hops in order, nearest last: `Forwarded: for=…` (RFC 7239) wins over X-Forwarded-For.
    let mut hops: Vec<IpAddr> = Vec::new();
    for v in headers.get_all(header::FORWARDED) {
        for element in v.to_str().unwrap_or_default().split(',') {
            for pair in element.split(';') {
                let Some((k, val)) = pair.trim().split_once('=') else {
                    continue;
                };
                if k.trim().eq_ignore_ascii_case("for")
                    && let Some(ip) = parse_node(val.trim().trim_matches('"'))
                {
                    hops.push(ip);
                }
            }
        }
    }
    if hops.is_empty() {
        for v in headers.get_all("x-forwarded-for") {
            hops.extend(
                v.to_str()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|h| parse_node(h.trim())),
            );
        }
    }
    hops.into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip))
        .unwrap_or(peer)
}

/// `192.0.2.1`, `192.0.2.1:80`, `[2001:db8::1]` or `[2001:db8::1]:80`.
fn parse_node(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    s.strip_prefix('[')?.split(']').next()?.parse().ok()
}

/// A client address and a token id (`None`: every unknown or malformed token).
type Attempter = (IpAddr, Option<String>);

/// Failed authentications per attempter in a sliding window: the count and when it began.
#[derive(Debug)]
pub struct AuthLimiter {
    failures: Mutex<HashMap<Attempter, (u32, Instant)>>,
    pub max_failures: u32,
    pub window: Duration,
}

/// Entries remembered at most; older ones are dropped first when full.
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
    /// `max_failures` failed attempts per address (and token id) per minute.
    pub fn per_minute(max_failures: u32) -> Self {
        AuthLimiter {
            max_failures: max_failures.max(1),
            ..Default::default()
        }
    }

    /// Seconds to wait when this address is blocked for this token id.
    fn blocked_for(&self, ip: IpAddr, id: Option<&str>) -> Option<u64> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let (n, since) = map.get(&(ip, id.map(str::to_string)))?;
        let elapsed = since.elapsed();
        (*n >= self.max_failures && elapsed < self.window)
            .then(|| (self.window - elapsed).as_secs() + 1)
    }

    fn fail(&self, ip: IpAddr, id: Option<&str>) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED {
            let window = self.window;
            map.retain(|_, (_, since)| since.elapsed() < window);
            if map.len() >= MAX_TRACKED
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, (_, s))| *s)
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let entry = map
            .entry((ip, id.map(str::to_string)))
            .or_insert((0, Instant::now()));
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

fn too_many(secs: u64) -> ApiError {
    ApiError::TooManyRequests(
        format!("Too many failed authentications from this address; retry in {secs} s."),
        secs,
    )
}

/// The bearer token in the header, or why there is none.
fn presented(headers: &HeaderMap) -> Result<&str, &'static str> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(
            "This request changes data and needs an Authorization: Bearer <token> header. Operators create tokens with `pacts token create NAME`.",
        );
    };
    value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or("The Authorization header must have the form: Bearer <token>.")
}

/// The token's name, or 401 (429 once this address failed too often with this token id).
/// Without a client address (a request made in-process) nothing is counted.
async fn authorise(state: &AppState, headers: &HeaderMap, ip: Option<IpAddr>) -> ApiResult<String> {
    let limiter = &state.auth_limiter;
    let failed = |id: Option<&str>, why: &'static str| {
        let client = ip.map(|i| i.to_string()).unwrap_or_else(|| "-".into());
        tracing::info!(%client, reason = why, "authentication failed");
        if let Some(ip) = ip {
            limiter.fail(ip, id);
        }
    };
    let blocked = |id: Option<&str>| ip.and_then(|ip| limiter.blocked_for(ip, id));
    let token = match presented(headers) {
        Ok(t) => t,
        Err(msg) => {
            if let Some(secs) = blocked(None) {
                return Err(too_many(secs));
            }
            failed(None, "missing or malformed Authorization header");
            return Err(ApiError::Unauthorized(msg.into()));
        }
    };
    let invalid = || ApiError::Unauthorized("The token is not valid or has been revoked.".into());
    match tokens::check(&state.db, token).await? {
        Verdict::Valid { name, lookup } => match blocked(Some(&lookup)) {
            Some(secs) => Err(too_many(secs)),
            None => Ok(name),
        },
        Verdict::WrongSecret { lookup } => {
            if let Some(secs) = blocked(Some(&lookup)) {
                return Err(too_many(secs));
            }
            failed(Some(&lookup), "wrong secret for a known token id");
            Err(invalid())
        }
        Verdict::Unknown => {
            if let Some(secs) = blocked(None) {
                return Err(too_many(secs));
            }
            failed(None, "unknown or revoked token");
            Err(invalid())
        }
    }
}

/// Find the client's address, then check the token where one is needed, or where one is
/// sent at all: a bad token on a public read is a 401 too, never a silent downgrade to
/// anonymous. Answers to authenticated requests are never stored by caches.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = peer.map(|p| client_addr(p, req.headers(), &state.trusted_proxies));
    let sent = req.headers().contains_key(header::AUTHORIZATION);
    if !needs_token(req.method(), req.uri().path()) && !sent {
        return next.run(req).await;
    }
    let mut resp = match authorise(&state, req.headers(), ip).await {
        Ok(name) => {
            req.extensions_mut().insert(Writer(name));
            next.run(req).await
        }
        Err(e) => e.into_response(),
    };
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidrs(s: &[&str]) -> Vec<Cidr> {
        s.iter().map(|c| c.parse().unwrap()).collect()
    }

    #[test]
    fn cidrs_match_their_addresses() {
        let c: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(c.contains("10.9.8.7".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.2.3".parse().unwrap()));
        let one: Cidr = "2001:db8::1".parse().unwrap();
        assert!(one.contains("2001:db8::1".parse().unwrap()));
        assert!(!one.contains("2001:db8::2".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("proxy".parse::<Cidr>().is_err());
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let trusted = cidrs(&["10.0.0.0/8"]);
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.3".parse().unwrap());
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let stranger: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(
            client_addr(proxy, &h, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_addr(stranger, &h, &trusted), stranger);
        // A client cannot push its own claim past the proxy: the nearest untrusted hop wins.
        h.insert("x-forwarded-for", "1.2.3.4, 203.0.113.9".parse().unwrap());
        assert_eq!(
            client_addr(proxy, &h, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let mut f = HeaderMap::new();
        f.insert(
            header::FORWARDED,
            "for=\"[2001:db8::7]:4711\";proto=https".parse().unwrap(),
        );
        assert_eq!(
            client_addr(proxy, &f, &trusted),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_addr(proxy, &HeaderMap::new(), &trusted), proxy);
    }
}
