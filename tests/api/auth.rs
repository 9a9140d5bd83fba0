//! Writes need a live bearer token; reads do not.

use axum::body::Body;
use axum::http::{Method, Request, header};
use serde_json::json;

use crate::cases;
use crate::harness::{Case, TestApp};
use pacts::db::tokens;

pub fn cases() -> Vec<Case> {
    cases![
        reads_need_no_token,
        writes_without_a_valid_token_are_401_and_change_nothing,
        revoked_tokens_stop_working_at_once,
        only_a_hash_of_each_token_is_stored,
        token_names_are_unique,
    ]
}

async fn reads_need_no_token(app: TestApp) {
    assert_eq!(app.get("/v1/states/KZ").await.status, 200);
    assert_eq!(app.get("/v1/memberships").await.status, 200);
    // A bad token on a read is refused, not silently ignored.
    app.request(
        Method::GET,
        "/v1/states/KZ",
        None,
        Some("pacts_000000000000_nope"),
    )
    .await
    .assert_problem(401);
    // Authenticated answers are never cached.
    let r = app
        .request(Method::GET, "/v1/states/KZ", None, Some(&app.token))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let w = app
        .write(Method::PATCH, "/v1/states/KZ", Some(&json!({"note": "n"})))
        .await;
    assert_eq!(w.header("cache-control"), Some("no-store"));
}

async fn writes_without_a_valid_token_are_401_and_change_nothing(app: TestApp) {
    let before = app.snapshot().await;
    let body = json!({"slug": "x", "title": "X"});
    let wrong = format!("{}x", app.token);
    let swapped = format!("pacts_{}_{}", "0".repeat(12), "a".repeat(52));
    let headers: Vec<Option<String>> = vec![
        None,
        Some(String::new()),
        Some("Bearer".into()),
        Some("Bearer ".into()),
        Some(format!("Basic {}", app.token)),
        Some(format!("Bearer {wrong}")),
        Some(format!("Bearer {swapped}")),
        Some("Bearer pacts_zz_zz".into()),
        Some(format!("Token {}", app.token)),
    ];
    for h in &headers {
        for (method, path) in [
            (Method::POST, "/v1/sources"),
            (Method::PUT, "/v1/sources/x"),
            (Method::PATCH, "/v1/sources/seed-article"),
            (Method::DELETE, "/v1/sources/seed-article"),
            (Method::DELETE, "/v1/states/KZ?cascade=true"),
        ] {
            let mut req = Request::builder()
                .method(method.clone())
                .uri(path)
                .header(header::CONTENT_TYPE, "application/json");
            if let Some(h) = h {
                req = req.header(header::AUTHORIZATION, h.as_str());
            }
            let r = app
                .send(req.body(Body::from(body.to_string())).unwrap())
                .await;
            r.assert_problem(401);
            assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
            assert!(!r.text.contains(&app.token));
        }
    }
    assert!(app.snapshot().await == before);
    // The scheme is case-insensitive, as RFC 9110 says.
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/v1/sources")
        .header(header::CONTENT_TYPE, "application/json");
    req = req.header(header::AUTHORIZATION, format!("bearer {}", app.token));
    assert_eq!(
        app.send(req.body(Body::from(body.to_string())).unwrap())
            .await
            .status,
        201
    );
}

async fn revoked_tokens_stop_working_at_once(app: TestApp) {
    let t = tokens::create(&app.db, "temp").await.unwrap();
    let body = json!({"slug": "r1", "title": "R"});
    let ok = app
        .request(Method::POST, "/v1/sources", Some(&body), Some(&t.token))
        .await;
    assert_eq!(ok.status, 201);
    tokens::revoke(&app.db, "temp").await.unwrap();
    let r = app
        .request(
            Method::POST,
            "/v1/sources",
            Some(&json!({"slug": "r2", "title": "R"})),
            Some(&t.token),
        )
        .await;
    r.assert_problem(401);
    app.get("/v1/sources/r2").await.assert_problem(404);
    // Other tokens are unaffected.
    assert_eq!(
        app.write(
            Method::POST,
            "/v1/sources",
            Some(&json!({"slug": "r3", "title": "R"}))
        )
        .await
        .status,
        201
    );
    assert!(tokens::revoke(&app.db, "nobody").await.is_err());
    let listed = tokens::list(&app.db).await.unwrap();
    let temp = listed.iter().find(|t| t.name == "temp").unwrap();
    assert!(temp.revoked_at.is_some(), "revocation time recorded");
}

async fn only_a_hash_of_each_token_is_stored(app: TestApp) {
    let rows = app
        .db
        .fetch(
            "select lookup, hash from api_tokens".into(),
            &[],
            &[pacts::db::Col::Text, pacts::db::Col::Text],
        )
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let hash = r[1].as_text().unwrap();
        assert_eq!(hash.len(), 64);
        assert!(!app.token.contains(hash) && !hash.contains(&app.token[6..]));
        assert!(
            app.token.contains(r[0].as_text().unwrap()),
            "lookup is the token's public prefix"
        );
    }
}

async fn token_names_are_unique(app: TestApp) {
    assert!(matches!(
        tokens::create(&app.db, "tester").await,
        Err(tokens::TokenError::Exists(_))
    ));
    assert!(matches!(
        tokens::create(&app.db, "bad name!").await,
        Err(tokens::TokenError::BadName)
    ));
}
