//! Cases that only PostgreSQL has: a COMMIT whose answer does not come in time, and
//! writers that lock only the keys they check. Listed as ignored without
//! `TEST_DATABASE_URL` (never as passed).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, header};
use libtest_mimic::Trial;
use serde_json::json;

use crate::cases;
use crate::harness::{self, Backend, TestApp};
use pacts::db::{LockKey, Scope, locks};

pub fn trials(pg: Option<String>) -> Vec<Trial> {
    let cases = cases![
        a_commit_without_an_answer_is_outcome_unknown_and_the_retry_gets_the_stored_answer,
        writes_to_other_keys_go_on_while_a_peer_holds_one,
    ];
    cases
        .into_iter()
        .map(|case| {
            let (name, f) = (case.name, case.run);
            let url = pg.clone();
            let t = Trial::test(format!("pg_only::{name}"), move || match url {
                Some(url) => harness::run(Backend::Postgres(url), f, true),
                None => Err("TEST_DATABASE_URL is not set".into()),
            });
            t.with_ignored_flag(pg.is_none())
        })
        .collect()
}

/// A deferred trigger makes one COMMIT take 3 s, past the 2 s deadline: the client is
/// told the outcome is unknown (not that it failed), and a retry with the same
/// Idempotency-Key gets the answer that was in fact stored; exactly one row exists.
async fn a_commit_without_an_answer_is_outcome_unknown_and_the_retry_gets_the_stored_answer(
    app: TestApp,
) {
    app.db
        .admin_exec(
            "create function slow_commit() returns trigger language plpgsql as $$ begin perform pg_sleep(3); return null; end $$;
             create constraint trigger slow_commit after insert on sources deferrable initially deferred
               for each row when (new.slug = 'slow-commit') execute function slow_commit();",
        )
        .await
        .unwrap();
    let post = || {
        Request::builder()
            .method(Method::POST)
            .uri("/v1/sources")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "commit-in-doubt-1")
            .body(Body::from(
                json!({"slug": "slow-commit", "title": "Slow to commit"}).to_string(),
            ))
            .unwrap()
    };
    let t = Instant::now();
    let first = app.send(post()).await;
    first.assert_problem(503);
    assert_eq!(
        first.body["type"], "/problems/outcome-unknown",
        "{}",
        first.text
    );
    assert!(first.header("retry-after").is_some());
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    // Retried (as Retry-After says) until answered: the stored answer, replayed.
    let mut retry = app.send(post()).await;
    for _ in 0..20 {
        if retry.status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        retry = app.send(post()).await;
    }
    assert_eq!(retry.status, 201, "{}", retry.text);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body["slug"], "slow-commit");
    let all = app.get("/v1/sources?q=slow").await;
    assert_eq!(all.body["page"]["total"], 1, "{}", all.text);
}

/// A transaction holding one source's key (as a peer frozen inside its write would)
/// holds up writes to that key only: a write to another source, a new membership and
/// reads go on at once; the write to the held key ends in a 503 with Retry-After after
/// the lock timeout, not a hang.
async fn writes_to_other_keys_go_on_while_a_peer_holds_one(app: TestApp) {
    let mut held = app.db.begin_write(Scope::Keys).await.unwrap();
    held.lock(&[locks::row(
        "sources",
        &pacts::db::Val::text("seed-article"),
        false,
    )])
    .await
    .unwrap();
    held.lock(&[LockKey::exclusive(&[
        "memberships",
        "overlap",
        "KZ",
        "csto",
        "pa_observer",
    ])])
    .await
    .unwrap();
    let t = Instant::now();
    let other = app
        .write(
            Method::PATCH,
            "/v1/sources/iso-lukes",
            Some(&json!({"title": "ISO-3166 countries"})),
        )
        .await;
    assert!(other.status.is_success(), "{}", other.text);
    let m = app
        .write(
            Method::POST,
            "/v1/memberships",
            Some(
                &json!({"state": "UZ", "organisation": "sco", "role": "pa_observer",
                "joined_on": "2200-01-01", "left_on": "2200-01-02", "sources": ["iso-lukes"]}),
            ),
        )
        .await;
    assert_eq!(m.status, 201, "{}", m.text);
    assert_eq!(app.get("/v1/states/KZ").await.status, 200);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    let t = Instant::now();
    let same = app
        .write(
            Method::PATCH,
            "/v1/sources/seed-article",
            Some(&json!({"title": "held"})),
        )
        .await;
    same.assert_problem(503);
    assert!(same.header("retry-after").is_some());
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "{:?}",
        t.elapsed()
    );
    let overlapping = app
        .write(
            Method::POST,
            "/v1/memberships",
            Some(
                &json!({"state": "KZ", "organisation": "csto", "role": "pa_observer",
                "joined_on": "2200-01-01", "left_on": "2200-01-02", "sources": ["iso-lukes"]}),
            ),
        )
        .await;
    overlapping.assert_problem(503);
    drop(held);
    // Released: the held key takes writes again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let again = app
        .write(
            Method::PATCH,
            "/v1/sources/seed-article",
            Some(&json!({"title": "Seed article"})),
        )
        .await;
    assert!(again.status.is_success(), "{}", again.text);
}
