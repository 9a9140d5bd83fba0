//! Writes that can be trusted: the change log and revert, optimistic concurrency,
//! idempotent retries, failed-authentication limits, concurrent writers, metrics.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, header};
use serde_json::{Value, json};

use crate::cases;
use crate::harness::{Case, Resp, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        every_write_is_in_the_change_log_with_before_and_after,
        the_change_log_needs_a_token_and_filters,
        revert_restores_a_cascade_delete_completely,
        revert_restores_a_patch_and_can_itself_be_reverted,
        revert_is_refused_when_the_item_changed_since,
        if_match_guards_put_patch_and_delete,
        items_answer_if_none_match_with_304,
        a_retried_post_with_an_idempotency_key_creates_once,
        failed_authentication_is_limited_per_address_only,
        guessing_one_tokens_secret_is_bounded,
        a_revert_undoes_its_own_request_whatever_request_id_clients_send,
        behind_a_trusted_proxy_clients_are_limited_one_by_one,
        concurrent_writers_all_succeed,
        metrics_count_requests_by_route_and_status,
    ]
}

async fn changes(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app
        .request(
            Method::GET,
            &format!("/v1/changes?{query}"),
            None,
            Some(&app.token),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].as_array().unwrap().clone()
}

async fn every_write_is_in_the_change_log_with_before_and_after(app: TestApp) {
    assert!(
        changes(&app, "").await.is_empty(),
        "the seed is not a change"
    );
    let body = json!({"slug": "log-src", "title": "T"});
    let created = app.write(Method::POST, "/v1/sources", Some(&body)).await;
    assert_eq!(created.status, 201);
    app.write(
        Method::PATCH,
        "/v1/sources/log-src",
        Some(&json!({"publisher": "P"})),
    )
    .await;
    app.write(Method::DELETE, "/v1/sources/log-src", None).await;
    let log = changes(&app, "collection=sources&key=log-src").await;
    let actions: Vec<&str> = log.iter().map(|c| c["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["delete", "replace", "create"], "newest first");
    assert_eq!(log[2]["before"], Value::Null);
    assert_eq!(log[2]["after"], created.body);
    assert_eq!(log[1]["before"]["publisher"], Value::Null);
    assert_eq!(log[1]["after"]["publisher"], "P");
    assert_eq!(log[0]["after"], Value::Null);
    assert!(
        log.iter()
            .all(|c| c["token"] == "tester" && c["at"].as_str().unwrap().len() >= 20)
    );
    // A write that fails leaves no trace.
    app.write(
        Method::PATCH,
        "/v1/states/KZ",
        Some(&json!({"confidence": "sure"})),
    )
    .await
    .assert_problem(422);
    assert_eq!(changes(&app, "collection=states").await.len(), 0);
}

async fn the_change_log_needs_a_token_and_filters(app: TestApp) {
    app.get("/v1/changes").await.assert_problem(401);
    app.get("/v1/changes/1").await.assert_problem(401);
    let r = app
        .request(
            Method::GET,
            "/v1/changes?colour=red",
            None,
            Some(&app.token),
        )
        .await;
    r.assert_problem(400);
    let r = app
        .request(
            Method::GET,
            "/v1/changes?collection=nope",
            None,
            Some(&app.token),
        )
        .await;
    r.assert_problem(400);
    for i in 0..5 {
        app.write(
            Method::PATCH,
            "/v1/states/KZ",
            Some(&json!({"note": format!("n{i}")})),
        )
        .await;
    }
    let r = app
        .request(Method::GET, "/v1/changes?limit=2", None, Some(&app.token))
        .await;
    assert_eq!(r.body["page"]["total"], 5);
    let mut seen: Vec<i64> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    let mut cursor = r.body["page"]["next_cursor"].as_str().map(String::from);
    while let Some(c) = cursor {
        let r = app
            .request(
                Method::GET,
                &format!("/v1/changes?limit=2&cursor={c}"),
                None,
                Some(&app.token),
            )
            .await;
        seen.extend(
            r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap()),
        );
        cursor = r.body["page"]["next_cursor"].as_str().map(String::from);
    }
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(seen, sorted, "each change once, newest first");
    let one = app
        .request(
            Method::GET,
            &format!("/v1/changes/{}", seen[0]),
            None,
            Some(&app.token),
        )
        .await;
    assert_eq!(one.body["after"]["note"], "n4");
}

async fn revert_restores_a_cascade_delete_completely(app: TestApp) {
    let before = app.snapshot().await;
    let r = app
        .write(Method::DELETE, "/v1/states/UZ?cascade=true", None)
        .await;
    assert_eq!(r.status, 204);
    let log = changes(&app, "limit=500").await;
    let n_memberships = log
        .iter()
        .filter(|c| c["collection"] == "memberships")
        .count();
    let n_parties = log
        .iter()
        .filter(|c| c["collection"] == "agreement-parties")
        .count();
    assert!(
        n_memberships >= 10 && n_parties >= 5,
        "each cascaded row is recorded: {n_memberships} {n_parties}"
    );
    assert!(
        log.iter().all(|c| c["batch"] == log[0]["batch"]),
        "one request, one batch"
    );
    let state_change = log.iter().find(|c| c["collection"] == "states").unwrap();
    let rv = app
        .write(
            Method::POST,
            &format!("/v1/changes/{}/revert", state_change["id"]),
            None,
        )
        .await;
    assert_eq!(rv.status, 200, "{}", rv.text);
    assert_eq!(rv.body["changes"].as_array().unwrap().len(), log.len());
    assert!(
        app.snapshot().await == before,
        "the revert restored every row exactly"
    );
    let report = app.db.check().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

async fn revert_restores_a_patch_and_can_itself_be_reverted(app: TestApp) {
    let original = app.get("/v1/organisations/sco").await.body;
    let p = app
        .write(
            Method::PATCH,
            "/v1/organisations/sco",
            Some(&json!({"headquarters": "Elsewhere", "aliases": ["X"]})),
        )
        .await;
    assert_eq!(p.status, 200);
    let id = changes(&app, "collection=organisations&key=sco").await[0]["id"]
        .as_i64()
        .unwrap();
    let rv = app
        .write(Method::POST, &format!("/v1/changes/{id}/revert"), None)
        .await;
    assert_eq!(rv.status, 200, "{}", rv.text);
    assert_eq!(app.get("/v1/organisations/sco").await.body, original);
    let undo_id = rv.body["changes"][0]["id"].as_i64().unwrap();
    assert_eq!(rv.body["changes"][0]["reverts"], id);
    let again = app
        .write(Method::POST, &format!("/v1/changes/{undo_id}/revert"), None)
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(app.get("/v1/organisations/sco").await.body, p.body);
    app.write(Method::POST, "/v1/changes/999999/revert", None)
        .await
        .assert_problem(404);
    app.request(
        Method::POST,
        &format!("/v1/changes/{id}/revert"),
        None,
        None,
    )
    .await
    .assert_problem(401);
}

async fn revert_is_refused_when_the_item_changed_since(app: TestApp) {
    app.write(
        Method::PATCH,
        "/v1/states/KZ",
        Some(&json!({"note": "first"})),
    )
    .await;
    let first = changes(&app, "collection=states&key=KZ").await[0]["id"]
        .as_i64()
        .unwrap();
    app.write(
        Method::PATCH,
        "/v1/states/KZ",
        Some(&json!({"note": "second"})),
    )
    .await;
    let r = app
        .write(Method::POST, &format!("/v1/changes/{first}/revert"), None)
        .await;
    r.assert_problem(409);
    assert!(r.body["detail"].as_str().unwrap().contains("changed since"));
    assert_eq!(app.get("/v1/states/KZ").await.body["note"], "second");
}

async fn send_with(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Resp {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {}", app.token));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    app.send(req).await
}

async fn if_match_guards_put_patch_and_delete(app: TestApp) {
    let got = app.get("/v1/states/KG").await;
    let etag = got.header("etag").unwrap().to_string();
    let stale = "\"0000000000\"";
    let r = send_with(
        &app,
        Method::PATCH,
        "/v1/states/KG",
        Some(&json!({"note": "x"})),
        &[("if-match", stale)],
    )
    .await;
    r.assert_problem(412);
    assert_eq!(
        app.get("/v1/states/KG").await.body,
        got.body,
        "nothing changed"
    );
    let r = send_with(
        &app,
        Method::PATCH,
        "/v1/states/KG",
        Some(&json!({"note": "x"})),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new_tag = r.header("etag").unwrap().to_string();
    assert_ne!(new_tag, etag);
    assert_eq!(
        app.get("/v1/states/KG").await.header("etag"),
        Some(new_tag.as_str())
    );
    // The old tag no longer works for PUT or DELETE.
    let mut body = r.body.clone();
    body["note"] = json!("y");
    send_with(
        &app,
        Method::PUT,
        "/v1/states/KG",
        Some(&body),
        &[("if-match", &etag)],
    )
    .await
    .assert_problem(412);
    send_with(
        &app,
        Method::DELETE,
        "/v1/memberships/1",
        None,
        &[("if-match", stale)],
    )
    .await
    .assert_problem(412);
    assert_eq!(app.get("/v1/memberships/1").await.status, 200);
    // If-Match: * means "only if it exists".
    let new = json!({"iso3": "XQQ", "name": "Q", "sources": ["seed-article"]});
    send_with(
        &app,
        Method::PUT,
        "/v1/states/XQ",
        Some(&new),
        &[("if-match", "*")],
    )
    .await
    .assert_problem(412);
    app.get("/v1/states/XQ").await.assert_problem(404);
    let m1 = app.get("/v1/memberships/1").await;
    let r = send_with(
        &app,
        Method::DELETE,
        "/v1/memberships/1",
        None,
        &[("if-match", m1.header("etag").unwrap())],
    )
    .await;
    assert_eq!(r.status, 204);
}

async fn items_answer_if_none_match_with_304(app: TestApp) {
    let got = app.get("/v1/organisations/csto").await;
    let etag = got.header("etag").unwrap().to_string();
    let req = Request::builder()
        .uri("/v1/organisations/csto")
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, 304);
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    app.write(
        Method::PATCH,
        "/v1/organisations/csto",
        Some(&json!({"headquarters": "Moscow (Secretariat)"})),
    )
    .await;
    let req = Request::builder()
        .uri("/v1/organisations/csto")
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.status, 200);
}

async fn a_retried_post_with_an_idempotency_key_creates_once(app: TestApp) {
    let body = json!({"state": "TM", "organisation": "sco", "role": "observer", "joined_on": "2031-01-01", "sources": ["seed-article"]});
    let first = send_with(
        &app,
        Method::POST,
        "/v1/memberships",
        Some(&body),
        &[("idempotency-key", "k-123")],
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = send_with(
        &app,
        Method::POST,
        "/v1/memberships",
        Some(&body),
        &[("idempotency-key", "k-123")],
    )
    .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    // As after a restart: a new app over the same database still knows the key.
    let restarted = TestApp {
        router: pacts::app(app.db.clone()),
        db: app.db.clone(),
        token: app.token.clone(),
    };
    let third = send_with(
        &restarted,
        Method::POST,
        "/v1/memberships",
        Some(&body),
        &[("idempotency-key", "k-123")],
    )
    .await;
    assert_eq!(third.body["id"], first.body["id"]);
    assert_eq!(app.total("memberships").await, 365);
    // The same key with another body is refused; another key creates (and overlaps).
    let mut other = body.clone();
    other["joined_on"] = json!("2040-01-01");
    send_with(
        &app,
        Method::POST,
        "/v1/memberships",
        Some(&other),
        &[("idempotency-key", "k-123")],
    )
    .await
    .assert_problem(422);
    assert_eq!(app.total("memberships").await, 365);
    send_with(
        &app,
        Method::POST,
        "/v1/memberships",
        Some(&body),
        &[("idempotency-key", "k-456")],
    )
    .await
    .assert_problem(422);
}

async fn from(app: &TestApp, ip: [u8; 4], token: &str) -> Resp {
    from_via(app, ip, None, token).await
}

/// A write from peer `ip`, optionally forwarded for `client` (X-Forwarded-For).
async fn from_via(app: &TestApp, ip: [u8; 4], client: Option<&str>, token: &str) -> Resp {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/v1/sources")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(c) = client {
        req = req.header("x-forwarded-for", c);
    }
    let mut req = req
        .body(Body::from(
            json!({"slug": format!("s-{}-{}", ip[3], crate::harness::random_hex()), "title": "T"})
                .to_string(),
        ))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
    app.send(req).await
}

async fn failed_authentication_is_limited_per_address_only(app: TestApp) {
    let attacker = [10, 0, 0, 66];
    let curator = [10, 0, 0, 7];
    let mut limited = None;
    for i in 0..30 {
        let r = from(&app, attacker, "pacts_000000000000_guess").await;
        if r.status == 429 {
            limited = Some(i);
            r.assert_problem(429);
            let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=61).contains(&wait));
            break;
        }
        r.assert_problem(401);
    }
    assert_eq!(limited, Some(10), "blocked after 10 failures");
    // The blocked address gets nothing more evaluated for unknown tokens…
    assert_eq!(
        from(&app, attacker, "pacts_111111111111_x").await.status,
        429
    );
    // …but a valid token from the same address (another client behind one NAT) works,
    assert_eq!(from(&app, attacker, &app.token).await.status, 201);
    // and another address works normally.
    assert_eq!(from(&app, curator, &app.token).await.status, 201);
    assert_eq!(from(&app, curator, "wrong").await.status, 401);
    assert_eq!(from(&app, curator, &app.token).await.status, 201);
}

/// Guessing the secret of a known token id is bounded per address and that id: after the
/// limit even the right secret is refused from that address (nothing more is evaluated),
/// while the same token from elsewhere works.
async fn guessing_one_tokens_secret_is_bounded(app: TestApp) {
    let lookup = app.token.split('_').nth(1).unwrap().to_string();
    let guesser = [10, 0, 0, 90];
    for _ in 0..10 {
        from(&app, guesser, &format!("pacts_{lookup}_{}", "0".repeat(52)))
            .await
            .assert_problem(401);
    }
    from(&app, guesser, &format!("pacts_{lookup}_{}", "1".repeat(52)))
        .await
        .assert_problem(429);
    assert_eq!(from(&app, guesser, &app.token).await.status, 429);
    assert_eq!(from(&app, [10, 0, 0, 91], &app.token).await.status, 201);
}

/// Behind a trusted proxy, clients are told apart by X-Forwarded-For; from anyone else
/// the header is ignored (so a client cannot dodge its limit by inventing addresses).
async fn behind_a_trusted_proxy_clients_are_limited_one_by_one(app: TestApp) {
    let router = pacts::app_with(
        app.db.clone(),
        pacts::Options {
            trusted_proxies: vec!["10.1.0.0/16".parse().unwrap()],
            ..Default::default()
        },
    );
    let app = TestApp { router, ..app };
    let proxy = [10, 1, 0, 5];
    for _ in 0..10 {
        from_via(&app, proxy, Some("203.0.113.9"), "pacts_000000000000_guess")
            .await
            .assert_problem(401);
    }
    from_via(&app, proxy, Some("203.0.113.9"), "pacts_000000000000_guess")
        .await
        .assert_problem(429);
    // Another client through the same proxy is not affected, valid token or not.
    assert_eq!(
        from_via(&app, proxy, Some("203.0.113.10"), &app.token)
            .await
            .status,
        201
    );
    assert_eq!(
        from_via(
            &app,
            proxy,
            Some("203.0.113.10"),
            "pacts_000000000000_guess"
        )
        .await
        .status,
        401
    );
    // An untrusted peer's X-Forwarded-For is ignored: its failures count against itself.
    let stranger = [192, 0, 2, 1];
    for i in 0..11 {
        let r = from_via(
            &app,
            stranger,
            Some(&format!("198.51.100.{i}")),
            "pacts_000000000000_guess",
        )
        .await;
        assert_eq!(r.status, if i < 10 { 401 } else { 429 }, "attempt {i}");
    }
}

async fn concurrent_writers_all_succeed(app: TestApp) {
    for writers in [1usize, 4, 16, 64] {
        let before = app.total("memberships").await;
        let mut set = tokio::task::JoinSet::new();
        for w in 0..writers {
            let router = app.router.clone();
            let token = app.token.clone();
            set.spawn(async move {
                let mut statuses = vec![];
                for i in 0..3 {
                    // Distinct one-day periods: none overlaps another writer's.
                    let day = chrono::NaiveDate::from_ymd_opt(2200 + writers as i32, 1, 1).unwrap() + chrono::Days::new((w * 3 + i) as u64);
                    let body = json!({"state": "KZ", "organisation": "csto", "role": "pa_observer",
                        "joined_on": day.to_string(), "left_on": (day + chrono::Days::new(1)).to_string(),
                        "note": format!("w{w} i{i}"), "sources": ["seed-article"]});
                    let req = Request::builder().method(Method::POST).uri("/v1/memberships")
                        .header(header::CONTENT_TYPE, "application/json")
                        .header(header::AUTHORIZATION, format!("Bearer {token}"))
                        .body(Body::from(body.to_string())).unwrap();
                    let resp = tower::ServiceExt::oneshot(router.clone(), req).await.unwrap();
                    statuses.push(resp.status().as_u16());
                }
                statuses
            });
        }
        let mut created = 0;
        let mut other = vec![];
        while let Some(r) = set.join_next().await {
            for s in r.unwrap() {
                match s {
                    201 => created += 1,
                    s => other.push(s),
                }
            }
        }
        assert!(
            other.is_empty(),
            "{writers} writers: unexpected statuses {other:?}"
        );
        assert_eq!(
            app.total("memberships").await - before,
            created as i64,
            "{writers} writers: rows = acknowledged creates"
        );
        assert_eq!(
            created,
            writers * 3,
            "{writers} writers: every write acknowledged"
        );
    }
}

async fn metrics_count_requests_by_route_and_status(app: TestApp) {
    app.get("/v1/states/KZ").await;
    app.get("/v1/states/QQ").await;
    let m = app.get("/metrics").await;
    assert_eq!(m.status, 200);
    assert!(m.header("content-type").unwrap().starts_with("text/plain"));
    for needle in [
        "pacts_http_requests_total{method=\"GET\",route=\"/v1/states/{key}\",status=\"200\"}",
        "pacts_http_requests_total{method=\"GET\",route=\"/v1/states/{key}\",status=\"404\"}",
        "pacts_http_request_duration_seconds_bucket{route=\"/v1/states/{key}\",le=\"+Inf\"}",
        "pacts_db_pool_connections{backend=",
        "pacts_db_errors_total{kind=\"unavailable\"}",
        "pacts_response_cache_bytes ",
        "pacts_questions_answered_total{by=\"memory\"}",
        "pacts_facts_loads_total{outcome=\"ok\"}",
        "pacts_facts_version ",
        "pacts_facts_bytes ",
    ] {
        assert!(m.text.contains(needle), "{needle} in\n{}", m.text);
    }
    assert!(
        !m.text.contains("/v1/states/QQ"),
        "routes are templates, not raw paths"
    );
}

/// Batches are the server's: two writes sent with the same X-Request-Id are two batches,
/// and reverting one leaves the other. A long request id is replaced, not stored.
async fn a_revert_undoes_its_own_request_whatever_request_id_clients_send(app: TestApp) {
    let patch = |path: &str, body: serde_json::Value, id: &str| {
        Request::builder()
            .method(Method::PATCH)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .header(header::CONTENT_TYPE, "application/merge-patch+json")
            .header("x-request-id", id)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let a = app
        .send(patch(
            "/v1/sources/seed-article",
            json!({"supports": "A"}),
            "same-id",
        ))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let b = app
        .send(patch("/v1/states/KZ", json!({"note": "B"}), "same-id"))
        .await;
    assert_eq!(b.status, 200, "{}", b.text);
    let log = app
        .write(Method::GET, "/v1/changes?limit=2", None)
        .await
        .body;
    let (newest, older) = (&log["data"][0], &log["data"][1]);
    assert_eq!(newest["request_id"], "same-id");
    assert_eq!(older["request_id"], "same-id");
    assert_ne!(
        newest["batch"], older["batch"],
        "one batch per request, whatever the client sent"
    );
    let id = older["id"].as_i64().unwrap();
    let undone = app
        .write(Method::POST, &format!("/v1/changes/{id}/revert"), None)
        .await;
    assert_eq!(undone.status, 200, "{}", undone.text);
    assert_ne!(
        app.get("/v1/sources/seed-article").await.body["supports"],
        "A"
    );
    assert_eq!(
        app.get("/v1/states/KZ").await.body["note"],
        "B",
        "the other request stays"
    );
    // A 60 KB request id is not kept: the answer and the log carry the server's own.
    let long = "x".repeat(60_000);
    let c = app
        .send(patch("/v1/states/KZ", json!({"note": "C"}), &long))
        .await;
    assert_eq!(c.status, 200);
    let echoed = c.header("x-request-id").unwrap();
    assert!(echoed.len() <= 128 && echoed != long, "{}", echoed.len());
    let log = app
        .write(Method::GET, "/v1/changes?limit=1", None)
        .await
        .body;
    assert_eq!(log["data"][0]["request_id"], echoed);
}
