//! List operators (PostgREST's syntax), `as_of` and `region` on memberships, `fields=`,
//! `embed=sources`, and complete exports (`limit=all`, streamed) with their download
//! headers. Every expectation is checked against an unfiltered read of the same data,
//! so the filters are tested against what is stored, not against numbers copied here.

use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::cases;
use crate::harness::{Case, Resp, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        list_operators_match_a_filter_of_everything,
        list_operator_errors_are_clear,
        memberships_as_of_and_region,
        fields_and_embedded_sources,
        complete_exports_stream_every_row,
        complete_exports_compress,
    ]
}

async fn ok(app: &TestApp, path: &str) -> Resp {
    let r = app.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r
}

fn rows(r: &Resp) -> Vec<Value> {
    r.body["data"].as_array().expect("data").clone()
}

fn ids(rows: &[Value]) -> Vec<i64> {
    let mut v: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    v.sort_unstable();
    v
}

/// Every membership, read with `limit=all`.
async fn everything(app: &TestApp) -> Vec<Value> {
    let all = rows(&ok(app, "/v1/memberships?limit=all").await);
    assert_eq!(all.len() as i64, app.total("memberships").await);
    all
}

async fn list_operators_match_a_filter_of_everything(app: TestApp) {
    let all = everything(&app).await;
    let pick =
        |f: &dyn Fn(&Value) -> bool| ids(&all.iter().filter(|m| f(m)).cloned().collect::<Vec<_>>());
    let cases: Vec<(&str, Vec<i64>)> = vec![
        (
            "joined_on=gte.2020-01-01",
            pick(&|m| m["joined_on"].as_str().unwrap() >= "2020-01-01"),
        ),
        (
            "joined_on=gte.2020-01-01&joined_on=lt.2021-01-01",
            pick(&|m| {
                let d = m["joined_on"].as_str().unwrap();
                ("2020-01-01".."2021-01-01").contains(&d)
            }),
        ),
        ("left_on=is.null", pick(&|m| m["left_on"].is_null())),
        ("left_on=not.is.null", pick(&|m| !m["left_on"].is_null())),
        (
            "organisation=in.(csto,cst)",
            pick(&|m| m["organisation"] == "csto" || m["organisation"] == "cst"),
        ),
        (
            "confidence=in.(likely,unverified)",
            pick(&|m| m["confidence"] != "confirmed"),
        ),
        (
            "role=neq.member&organisation=sco",
            pick(&|m| m["role"] != "member" && m["organisation"] == "sco"),
        ),
        (
            "state=not.in.(KZ,RU)&organisation=eq.csto",
            pick(&|m| m["state"] != "KZ" && m["state"] != "RU" && m["organisation"] == "csto"),
        ),
        ("id=lt.10", pick(&|m| m["id"].as_i64().unwrap() < 10)),
        ("founding=true", pick(&|m| m["founding"] == true)),
    ];
    for (query, expected) in cases {
        assert!(!expected.is_empty(), "{query} selects something");
        let r = ok(&app, &format!("/v1/memberships?limit=all&{query}")).await;
        assert_eq!(ids(&rows(&r)), expected, "{query}");
        // The same filter, paged, gives the same total.
        let paged = ok(&app, &format!("/v1/memberships?limit=5&{query}")).await;
        assert_eq!(paged.body["page"]["total"], expected.len(), "{query}");
    }
    // Text comparisons are by byte on both backends.
    let states = rows(&ok(&app, "/v1/states?limit=all&name=gte.U").await);
    assert!(!states.is_empty());
    assert!(states.iter().all(|s| s["name"].as_str().unwrap() >= "U"));
}

async fn list_operator_errors_are_clear(app: TestApp) {
    for bad in [
        "joined_on=gt.banana",
        "founding=gt.true",
        "left_on=is.nul",
        "organisation=in.csto,cst",
        "organisation=in.()",
        "role=in.(member,boss)",
        "fields=state,nope",
        "limit=al",
        "as_of=2013-02-30",
        "region=atlantis",
        "embed=claims",
    ] {
        let r = app.get(&format!("/v1/memberships?{bad}")).await;
        r.assert_problem(400);
        let key = bad.split('=').next().unwrap();
        assert!(
            r.body["detail"].as_str().unwrap().contains(key),
            "{bad}: {}",
            r.text
        );
    }
    app.get("/v1/memberships?organisation=in.(csto,nope)")
        .await
        .assert_problem(404);
    app.get("/v1/memberships.csv?embed=sources")
        .await
        .assert_problem(400);
    // Only field filters may repeat.
    app.get("/v1/memberships?limit=5&limit=6")
        .await
        .assert_problem(400);
}

async fn memberships_as_of_and_region(app: TestApp) {
    let r = ok(
        &app,
        "/v1/memberships?as_of=2013-01-01&organisation=csto&limit=all",
    )
    .await;
    let members = ok(&app, "/v1/organisations/csto/members?as_of=2013-01-01").await;
    let mut member_ids: Vec<i64> = rows(&members)
        .iter()
        .map(|m| m["membership_id"].as_i64().unwrap())
        .collect();
    member_ids.sort_unstable();
    assert_eq!(ids(&rows(&r)), member_ids);
    let all = everything(&app).await;
    let states = rows(&ok(&app, "/v1/states?region=central_asia&limit=all").await);
    let ca: Vec<&str> = states.iter().map(|s| s["code"].as_str().unwrap()).collect();
    let expected = ids(&all
        .iter()
        .filter(|m| ca.contains(&m["state"].as_str().unwrap()))
        .cloned()
        .collect::<Vec<_>>());
    let r = ok(&app, "/v1/memberships?region=central_asia&limit=all").await;
    assert_eq!(ids(&rows(&r)), expected);
    let parties = rows(&ok(&app, "/v1/agreement-parties?region=central_asia&limit=all").await);
    assert!(!parties.is_empty());
    assert!(
        parties
            .iter()
            .all(|p| ca.contains(&p["state"].as_str().unwrap()))
    );
}

async fn fields_and_embedded_sources(app: TestApp) {
    let r = ok(
        &app,
        "/v1/memberships?fields=state,organisation,role&limit=3",
    )
    .await;
    for row in rows(&r) {
        let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["state", "organisation", "role"]);
    }
    let csv = ok(&app, "/v1/memberships.csv?fields=role,state&limit=2").await;
    assert!(csv.text.starts_with("role,state\r\n"), "{}", csv.text);
    let plain = ok(&app, "/v1/memberships?organisation=csto&state=KZ").await;
    let embedded = ok(
        &app,
        "/v1/memberships?organisation=csto&state=KZ&embed=sources",
    )
    .await;
    for (p, e) in rows(&plain).iter().zip(rows(&embedded).iter()) {
        let slugs: Vec<&Value> = p["sources"].as_array().unwrap().iter().collect();
        let objects = e["sources"].as_array().unwrap();
        assert_eq!(slugs.len(), objects.len());
        for (slug, obj) in slugs.iter().zip(objects) {
            assert_eq!(&obj["slug"], *slug);
            let stored = ok(&app, &format!("/v1/sources/{}", slug.as_str().unwrap())).await;
            assert_eq!(obj["title"], stored.body["title"]);
            assert_eq!(obj["url"], stored.body["url"]);
        }
    }
}

async fn complete_exports_stream_every_row(app: TestApp) {
    let total = app.total("memberships").await;
    assert!(total > 300, "more rows than one page");
    let csv = ok(&app, "/v1/memberships.csv?limit=all").await;
    assert_eq!(
        csv.header("x-total-count"),
        Some(total.to_string().as_str())
    );
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"memberships.csv\"")
    );
    let records = pacts::http::paging::csv_records(&csv.text);
    assert_eq!(records.len() as i64, total + 1, "a header and every row");
    assert_eq!(records.iter().filter(|r| r.starts_with("id,")).count(), 1);
    let json = ok(&app, "/v1/memberships?limit=all&sort=-joined_on").await;
    assert_eq!(json.body["page"]["total"], total);
    let dates: Vec<&str> = json.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["joined_on"].as_str())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    // The default page stays 50 rows, and says how many there are.
    let page = ok(&app, "/v1/memberships.csv").await;
    assert_eq!(pacts::http::paging::csv_records(&page.text).len(), 51);
    assert_eq!(
        page.header("x-total-count"),
        Some(total.to_string().as_str())
    );
    assert!(page.header("link").is_some());
    // Questions' CSV answers are downloads too.
    let q = ok(&app, "/v1/organisations/csto/members.csv?as_of=2013-01-01").await;
    assert_eq!(
        q.header("content-disposition"),
        Some("attachment; filename=\"organisations-csto-members.csv\"")
    );
    assert_eq!(q.header("x-total-count"), Some("8"));
}

/// A streamed export under gzip and brotli decodes to every row (the compressing layer
/// polls a body again after its end; the stream must stay ended).
async fn complete_exports_compress(app: TestApp) {
    use axum::body::Body;
    use axum::http::Request;
    use std::io::Read;
    let total = app.total("memberships").await;
    for enc in ["gzip", "br"] {
        let req = Request::builder()
            .uri("/v1/memberships?limit=all")
            .header("accept-encoding", enc)
            .body(Body::empty())
            .unwrap();
        let resp = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            Some(enc)
        );
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let mut text = String::new();
        match enc {
            "gzip" => flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut text)
                .unwrap(),
            _ => brotli::Decompressor::new(&bytes[..], 4096)
                .read_to_string(&mut text)
                .unwrap(),
        };
        let v: Value = serde_json::from_str(&text).expect("whole JSON");
        assert_eq!(v["data"].as_array().unwrap().len() as i64, total, "{enc}");
    }
}
