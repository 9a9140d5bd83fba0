//! The in-memory answers against the SQL answers, byte for byte: random questions (every
//! question, dates around the facts' own boundaries, filters, unknown keys, JSON and
//! CSV) asked of two apps over the same database, one answering from memory and one
//! only by SQL; on the seeded data, then on data grown by random writes, with each write
//! checked at once in the writing app and within the version bound in a second one.
//! `DIFF_SEED=<n>` replays a run (the seed is printed on failure).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, header};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use pacts::facts::Facts;
use pacts::http::version::VERSION_TTL;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::cases;
use crate::harness::{Case, TestApp, random_hex};

pub fn cases() -> Vec<Case> {
    cases![in_memory_answers_equal_sql_answers_byte_for_byte]
}

/// Cases on the seed, and again after the random writes.
const SEEDED_CASES: usize = 2000;
const GROWN_CASES: usize = 1000;
const WRITES: usize = 120;

/// SplitMix64: small, seedable, good enough to pick test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What the questions can be asked about, read from the data itself.
struct World {
    states: Vec<String>,
    iso3: Vec<String>,
    orgs: Vec<String>,
    agreements: Vec<String>,
    /// Every joined_on, left_on and participation_since: the days where answers change.
    boundaries: Vec<NaiveDate>,
}

async fn all_rows(app: &TestApp, collection: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/{collection}?limit=500&cursor={c}"),
            None => format!("/v1/{collection}?limit=500"),
        };
        let r = app.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        out.extend(r.body["data"].as_array().unwrap().iter().cloned());
        match r.body["page"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

async fn world(app: &TestApp) -> World {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let states = all_rows(app, "states").await;
    let mut boundaries = Vec::new();
    for m in all_rows(app, "memberships").await {
        for k in ["joined_on", "left_on", "participation_since"] {
            if let Some(d) = m[k].as_str().and_then(|d| d.parse().ok()) {
                boundaries.push(d);
            }
        }
    }
    World {
        iso3: states.iter().map(|s| text(s, "iso3")).collect(),
        states: states.iter().map(|s| text(s, "code")).collect(),
        orgs: all_rows(app, "organisations")
            .await
            .iter()
            .map(|o| text(o, "slug"))
            .collect(),
        agreements: all_rows(app, "agreements")
            .await
            .iter()
            .map(|a| text(a, "slug"))
            .collect(),
        boundaries,
    }
}

const ROLES: &[&str] = pacts::model::ROLES;
const KINDS: &[&str] = pacts::model::ORG_KINDS;
const REGIONS: &[&str] = pacts::model::REGIONS;

fn some_case(rng: &mut Rng, s: &str) -> String {
    match rng.below(3) {
        0 => s.to_ascii_lowercase(),
        1 => s.to_ascii_uppercase(),
        _ => s.to_string(),
    }
}

/// One of `items`, in some letter case.
fn any_case(rng: &mut Rng, items: &[String]) -> String {
    let s = rng.pick(items).clone();
    some_case(rng, &s)
}

/// A day: often a boundary of some fact (or the day before), else any day 1985–2027.
fn day(rng: &mut Rng, w: &World) -> NaiveDate {
    if !w.boundaries.is_empty() && rng.chance(60) {
        let d = *rng.pick(&w.boundaries);
        return if rng.chance(30) {
            d.pred_opt().unwrap_or(d)
        } else {
            d
        };
    }
    let start = NaiveDate::from_ymd_opt(1985, 1, 1).unwrap();
    start + chrono::Days::new(rng.below(43 * 366) as u64)
}

fn state_key(rng: &mut Rng, w: &World) -> String {
    match rng.below(20) {
        0 => "ZZ".into(),
        1..=4 => any_case(rng, &w.iso3),
        _ => any_case(rng, &w.states),
    }
}

fn org_key(rng: &mut Rng, w: &World) -> String {
    if rng.chance(4) {
        return "no-such-pact".into();
    }
    any_case(rng, &w.orgs)
}

fn list(rng: &mut Rng, max: usize, mut item: impl FnMut(&mut Rng) -> String) -> String {
    let n = 1 + rng.below(max);
    (0..n).map(|_| item(rng)).collect::<Vec<_>>().join(",")
}

fn vocab(rng: &mut Rng, words: &[&str], max: usize) -> String {
    list(rng, max, |r| r.pick(words).to_string())
}

/// One random question: its path and query, and whether it asks for CSV by `Accept`.
fn question(rng: &mut Rng, w: &World) -> (String, bool) {
    let mut q: Vec<(String, String)> = Vec::new();
    let as_of = |rng: &mut Rng, q: &mut Vec<(String, String)>, all: bool| match rng.below(10) {
        0 => {}
        1 if all => q.push(("as_of".into(), "all".into())),
        _ => q.push(("as_of".into(), day(rng, w).to_string())),
    };
    let path = match rng.below(8) {
        0 | 1 => {
            as_of(rng, &mut q, true);
            if rng.chance(30) {
                q.push(("lineage".into(), "true".into()));
            }
            if rng.chance(20) {
                q.push(("role".into(), vocab(rng, ROLES, 3)));
            }
            if rng.chance(15) {
                q.push(("region".into(), rng.pick(REGIONS).to_string()));
            }
            format!("/v1/organisations/{}/members", org_key(rng, w))
        }
        2 => {
            if rng.chance(20) {
                q.push(("role".into(), vocab(rng, ROLES, 2)));
            }
            if rng.chance(15) {
                q.push(("region".into(), rng.pick(REGIONS).to_string()));
            }
            format!("/v1/organisations/{}/history", org_key(rng, w))
        }
        3 => {
            as_of(rng, &mut q, true);
            if rng.chance(20) {
                q.push(("role".into(), vocab(rng, ROLES, 3)));
            }
            if rng.chance(20) {
                q.push(("kind".into(), vocab(rng, KINDS, 3)));
            }
            if rng.chance(15) {
                q.push(("organisation".into(), list(rng, 3, |r| org_key(r, w))));
            }
            format!("/v1/states/{}/memberships", state_key(rng, w))
        }
        4 => match rng.below(2) {
            0 => format!("/v1/states/{}/agreements", state_key(rng, w)),
            _ => format!("/v1/agreements/{}/parties", any_case(rng, &w.agreements)),
        },
        5 => {
            q.push(("states".into(), list(rng, 4, |r| state_key(r, w))));
            as_of(rng, &mut q, true);
            if rng.chance(20) {
                q.push(("role".into(), vocab(rng, ROLES, 3)));
            }
            if rng.chance(20) {
                q.push(("kind".into(), vocab(rng, KINDS, 3)));
            }
            "/v1/shared".into()
        }
        6 => {
            q.push(("organisations".into(), list(rng, 3, |r| org_key(r, w))));
            as_of(rng, &mut q, true);
            if rng.chance(20) {
                q.push(("role".into(), vocab(rng, ROLES, 3)));
            }
            "/v1/overlap".into()
        }
        _ => {
            as_of(rng, &mut q, false);
            if rng.chance(30) {
                q.push(("states".into(), list(rng, 8, |r| state_key(r, w))));
            }
            if rng.chance(25) {
                q.push(("organisations".into(), list(rng, 5, |r| org_key(r, w))));
            }
            if rng.chance(30) {
                q.push(("region".into(), rng.pick(REGIONS).to_string()));
            }
            if rng.chance(15) {
                q.push(("kind".into(), vocab(rng, KINDS, 3)));
            }
            if rng.chance(15) {
                q.push(("role".into(), vocab(rng, ROLES, 3)));
            }
            "/v1/matrix".into()
        }
    };
    let (path, accept_csv) = match rng.below(6) {
        0 => (format!("{path}.csv"), false),
        1 => {
            q.push(("format".into(), "csv".into()));
            (path, false)
        }
        2 => (path, true),
        3 => {
            q.push(("format".into(), "json".into()));
            (path, false)
        }
        _ => (path, false),
    };
    let query: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if query.is_empty() {
        (path, accept_csv)
    } else {
        (format!("{path}?{}", query.join("&")), accept_csv)
    }
}

/// Status, media type and body bytes of a GET.
async fn ask(router: &axum::Router, path: &str, csv: bool) -> (u16, String, Vec<u8>) {
    let mut req = Request::builder().method(Method::GET).uri(path);
    if csv {
        req = req.header(header::ACCEPT, "text/csv");
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .expect("infallible");
    let status = resp.status().as_u16();
    let media = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, media, body.to_vec())
}

/// An app over `app`'s database with its own version and facts (a second process, as
/// far as the facts can tell), answering from memory or only by SQL; no response cache.
async fn instance(app: &TestApp, in_memory: bool) -> (axum::Router, Arc<Facts>) {
    let facts = Arc::new(Facts::new(in_memory));
    facts.load_now(&app.db).await.expect("facts load");
    let router = pacts::app_with(
        app.db.clone(),
        pacts::Options {
            cache_bytes: Some(0),
            facts: Some(facts.clone()),
            ..Default::default()
        },
    );
    (router, facts)
}

/// The two apps compared: one answering from memory (and its facts), one by SQL.
struct Pair<'a> {
    memory: &'a axum::Router,
    facts: &'a Facts,
    sql: &'a axum::Router,
}

/// Ask `n` random questions of both apps; every answer must be the same bytes, and the
/// memory app must have answered from a snapshot at the data version.
async fn compare(
    rng: &mut Rng,
    seed: u64,
    w: &World,
    apps: &Pair<'_>,
    n: usize,
    version: i64,
) -> (usize, usize) {
    let (mut ok, mut csv) = (0, 0);
    let before = apps.facts.answered();
    for i in 0..n {
        let (path, accept_csv) = question(rng, w);
        let a = ask(apps.memory, &path, accept_csv).await;
        let b = ask(apps.sql, &path, accept_csv).await;
        assert!(
            a == b,
            "case {i} (DIFF_SEED={seed}): GET {path}{}\nmemory: {} {}\n{}\nsql: {} {}\n{}",
            if accept_csv {
                " (Accept: text/csv)"
            } else {
                ""
            },
            a.0,
            a.1,
            String::from_utf8_lossy(&a.2),
            b.0,
            b.1,
            String::from_utf8_lossy(&b.2)
        );
        ok += usize::from(a.0 == 200);
        csv += usize::from(a.0 == 200 && a.1.starts_with("text/csv"));
    }
    let held = apps.facts.current().expect("a snapshot").version;
    assert_eq!(held, version, "the memory app answered at another version");
    let after = apps.facts.answered();
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (n as u64, 0),
        "every question of the memory app must be answered from memory, none by SQL"
    );
    (ok, csv)
}

/// POST a membership; its id when it was created.
async fn post(router: &axum::Router, token: &str, body: &Value) -> Option<i64> {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/memberships")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap();
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert!(
        status == 201 || status == 422,
        "POST {body}: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    v["id"].as_i64().filter(|_| status == 201)
}

fn contains_id(body: &[u8], id: i64) -> bool {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    v["data"]
        .as_array()
        .is_some_and(|rows| rows.iter().any(|r| r["membership_id"] == id))
}

fn membership_body(rng: &mut Rng, w: &World) -> Value {
    let joined = day(rng, w);
    let mut body = json!({
        "state": rng.pick(&w.states),
        "organisation": rng.pick(&w.orgs),
        "role": rng.pick(ROLES),
        "joined_on": joined.to_string(),
        "sources": ["seed-article"],
        "confidence": *rng.pick(&["high", "likely", "unverified"]),
    });
    if rng.chance(50) {
        body["left_on"] =
            json!((joined + chrono::Days::new(1 + rng.below(4000) as u64)).to_string());
        body["end_reason"] = json!("withdrew");
    }
    if rng.chance(25) {
        body["participation"] = json!(*rng.pick(&["frozen", "suspended", "inactive"]));
        body["participation_since"] =
            json!((joined + chrono::Days::new(rng.below(3000) as u64)).to_string());
    }
    body
}

async fn in_memory_answers_equal_sql_answers_byte_for_byte(app: TestApp) {
    let seed = std::env::var("DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| u64::from_str_radix(&random_hex()[..12], 16).unwrap());
    let mut rng = Rng(seed);
    let (memory, facts) = instance(&app, true).await;
    let (sql, _) = instance(&app, false).await;
    let (peer, _) = instance(&app, true).await;
    let apps = Pair {
        memory: &memory,
        facts: &facts,
        sql: &sql,
    };
    let w = world(&app).await;
    let version = app.db.data_version().await.unwrap();
    let (ok, csv) = compare(&mut rng, seed, &w, &apps, SEEDED_CASES, version).await;
    assert!(
        ok > SEEDED_CASES / 2 && csv > SEEDED_CASES / 5,
        "too few answered cases: {ok} ok, {csv} csv"
    );

    // Grow the data by random writes through the memory app; each is seen by its next
    // read, and by the peer within the version bound.
    let mut created = 0;
    for _ in 0..WRITES {
        let body = membership_body(&mut rng, &w);
        let Some(id) = post(&memory, &app.token, &body).await else {
            continue;
        };
        created += 1;
        let path = format!(
            "/v1/organisations/{}/history",
            body["organisation"].as_str().unwrap()
        );
        let seen = ask(&memory, &path, false).await;
        assert!(
            contains_id(&seen.2, id),
            "the writing app's next read misses membership {id}"
        );
        assert!(seen == ask(&sql, &path, false).await, "after writing {id}");
        let started = Instant::now();
        loop {
            if contains_id(&ask(&peer, &path, false).await.2, id) {
                break;
            }
            assert!(
                started.elapsed() < VERSION_TTL + Duration::from_millis(250),
                "the peer did not see membership {id} within the bound"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    // A third of the bodies name a confidence that does not exist, and others overlap a
    // stored period or end before their participation changes; 38 of 120 accepted was seen
    // in CI. A fifth fails when writes stop being accepted, not on an unlucky seed.
    assert!(
        created >= WRITES / 5,
        "only {created} of {WRITES} random memberships were accepted"
    );
    // Let the writing app's load catch up, then compare again on the grown data.
    let version = app.db.data_version().await.unwrap();
    let started = Instant::now();
    while facts.current().is_none_or(|s| s.version < version) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the facts never caught up"
        );
        let _ = ask(&memory, "/v1/matrix", false).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let w = world(&app).await;
    compare(&mut rng, seed, &w, &apps, GROWN_CASES, version).await;
}
