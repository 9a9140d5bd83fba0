//! The seams between the layers: the database layer reports what happened in its own
//! terms, the problem catalogue is the one source of types, each endpoint accepts exactly
//! the parameters it documents, and every request's log lines carry its id and route.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Method, Request};
use pacts::db::error::Constraint;
use pacts::db::{Error, Val};
use serde_json::json;
use tracing::instrument::WithSubscriber;

use crate::cases;
use crate::harness::{Case, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        driver_errors_arrive_classified_in_database_terms,
        every_problem_type_resolves_and_is_documented,
        every_endpoint_accepts_exactly_its_documented_query_parameters,
        question_rows_carry_every_documented_required_field,
        request_logs_carry_the_request_id_and_route_and_a_fault_is_logged_once,
    ]
}

async fn driver_errors_arrive_classified_in_database_terms(app: TestApp) {
    let mut tx = app.db.begin_write().await.unwrap();
    let dup = tx
        .execute(
            "insert into states (code, iso3, name) values ('KZ', 'KZX', 'Again')".into(),
            &[],
        )
        .await;
    assert!(
        matches!(
            dup,
            Err(Error::Constraint {
                kind: Constraint::Unique,
                ..
            })
        ),
        "{dup:?}"
    );
    drop(tx);
    let mut tx = app.db.begin_write().await.unwrap();
    let fk = tx
        .execute(
            "insert into memberships (state, organisation, role, joined_on) values ('QQ', 'csto', 'member', $1)".into(),
            &[Val::Date(chrono::NaiveDate::from_ymd_opt(2000, 1, 1))],
        )
        .await;
    assert!(
        matches!(
            fk,
            Err(Error::Constraint {
                kind: Constraint::ForeignKey,
                ..
            })
        ),
        "{fk:?}"
    );
    drop(tx);
    let mut tx = app.db.begin_write().await.unwrap();
    let check = tx
        .execute(
            "insert into memberships (state, organisation, role, joined_on) values ('KZ', 'csto', 'king', $1)".into(),
            &[Val::Date(chrono::NaiveDate::from_ymd_opt(2000, 1, 1))],
        )
        .await;
    assert!(
        matches!(
            check,
            Err(Error::Constraint {
                kind: Constraint::Check,
                ..
            })
        ),
        "{check:?}"
    );
    drop(tx);
    let missing = pacts::db::write::delete(
        &app.db,
        &pacts::model::STATES,
        &Val::text("QQ"),
        false,
        &Default::default(),
        None,
    )
    .await;
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "{missing:?}"
    );
    let bad = app
        .db
        .fetch_one_int("select count(*) from no_such_table", &[])
        .await;
    match bad {
        Err(e @ Error::Internal(_)) => assert!(!e.is_transient()),
        other => panic!("a missing table is an internal fault: {other:?}"),
    }
}

async fn every_problem_type_resolves_and_is_documented(app: TestApp) {
    let doc = app.get("/openapi.json").await.body;
    let types = doc["components"]["schemas"]["Problem"]["properties"]["type"]["description"]
        .as_str()
        .unwrap()
        .to_string();
    for p in pacts::http::problems::CATALOGUE {
        let r = app.get(&format!("/problems/{}", p.slug)).await;
        assert_eq!(r.status, 200, "{}", p.slug);
        assert_eq!(r.body["title"], p.title);
        assert_eq!(r.body["status"], p.status.as_u16());
        assert!(types.contains(&format!("/problems/{}", p.slug)), "{types}");
    }
    // The documented error responses name the type a client will get.
    let e404 = doc["paths"]["/v1/states/{key}"]["get"]["responses"]["404"]["description"]
        .as_str()
        .unwrap();
    assert!(e404.contains("/problems/not-found"), "{e404}");
    let served = app.get("/v1/states/QQ").await;
    served.assert_problem(404);
    assert_eq!(served.body["type"], "/problems/not-found");
}

/// For every GET with query parameters in the document, an unknown parameter is a 400
/// whose detail lists exactly the documented ones.
async fn every_endpoint_accepts_exactly_its_documented_query_parameters(app: TestApp) {
    let doc = app.get("/openapi.json").await.body;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(params) = item["get"]["parameters"].as_array() else {
            continue;
        };
        let names: Vec<&str> = params
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        if names.is_empty() {
            continue;
        }
        let concrete = path
            .replace("/organisations/{key}", "/organisations/csto")
            .replace("/states/{key}", "/states/KZ")
            .replace("/agreements/{key}", "/agreements/cst");
        if concrete.contains('{') {
            continue;
        }
        let r = app
            .request(
                Method::GET,
                &format!("{concrete}?zz_unknown=1"),
                None,
                Some(&app.token),
            )
            .await;
        r.assert_problem(400);
        let detail = r.body["detail"].as_str().unwrap();
        let listed = detail
            .rsplit("takes: ")
            .next()
            .unwrap()
            .trim_end_matches('.');
        assert_eq!(listed, names.join(", "), "{path}: {detail}");
        checked += 1;
    }
    assert!(checked >= 16, "lists and questions checked: {checked}");
}

async fn question_rows_carry_every_documented_required_field(app: TestApp) {
    let doc = app.get("/openapi.json").await.body;
    for (path, schema) in [
        (
            "/v1/organisations/csto/members?as_of=2013-01-01",
            "MembershipRow",
        ),
        ("/v1/agreements/cst/parties", "PartyRow"),
        ("/v1/shared?states=KZ,KG&as_of=2013-01-01", "SharedRow"),
        ("/v1/overlap?organisations=csto,sco", "OverlapRow"),
        (
            "/v1/matrix?region=central_asia&as_of=2013-01-01",
            "MatrixRow",
        ),
    ] {
        let required = doc["components"]["schemas"][schema]["required"]
            .as_array()
            .unwrap();
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        let rows = r.body["data"].as_array().unwrap();
        assert!(!rows.is_empty(), "{path}");
        for row in rows {
            for f in required {
                assert!(
                    row.get(f.as_str().unwrap()).is_some(),
                    "{path}: {f} missing"
                );
            }
        }
    }
}

/// A writer that keeps what is logged, for one thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn request_logs_carry_the_request_id_and_route_and_a_fault_is_logged_once(app: TestApp) {
    let out = Captured::default();
    let sink = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let ids = logged_requests(&app).with_subscriber(subscriber).await;
    let log = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let route = "route=\"/v1/organisations/{key}/members\"";
    let line_of = |id: &str| {
        log.lines()
            .find(|l| l.contains(&format!("id={id}")) && l.contains("answered"))
            .unwrap_or_else(|| panic!("no line for {id} in:\n{log}"))
            .to_string()
    };
    let (a, b) = (line_of(&ids[0]), line_of(&ids[1]));
    assert!(a.contains(" INFO "), "the access line is at info: {a}");
    assert!(a.contains("status=200") && a.contains("method=GET"), "{a}");
    assert!(a.contains(route) && !a.contains("cache=\"hit\""), "{a}");
    assert!(b.contains(route) && b.contains("cache=\"hit\""), "{b}");
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("WARN"))
        .collect();
    assert_eq!(errors.len(), 1, "one line per fault:\n{log}");
    assert!(
        errors[0].contains("id=fault-probe-1") && errors[0].contains("route=\"/v1/sources\""),
        "{}",
        errors[0]
    );
}

/// Two reads of one question (the second from the cache) and one write that fails.
async fn logged_requests(app: &TestApp) -> Vec<String> {
    let path = "/v1/organisations/csto/members?as_of=2011-05-05";
    let first = app.get(path).await;
    let second = app.get(path).await;
    assert_eq!((first.status.as_u16(), second.status.as_u16()), (200, 200));
    let ids: Vec<String> = [&first, &second]
        .iter()
        .map(|r| r.header("x-request-id").unwrap().to_string())
        .collect();
    assert_ne!(ids[0], ids[1]);
    // A fault: the change log's table is gone, so a write cannot be recorded.
    let mut tx = app.db.begin_write().await.unwrap();
    tx.execute("alter table changes rename to changes_gone".into(), &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/sources")
        .header("authorization", format!("Bearer {}", app.token))
        .header("content-type", "application/json")
        .header("x-request-id", "fault-probe-1")
        .body(Body::from(
            json!({"slug": "probe", "title": "Probe"}).to_string(),
        ))
        .unwrap();
    let failed = app.send(req).await;
    failed.assert_problem(500);
    assert_eq!(failed.header("x-request-id"), Some("fault-probe-1"));
    let mut tx = app.db.begin_write().await.unwrap();
    tx.execute("alter table changes_gone rename to changes".into(), &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    ids
}
