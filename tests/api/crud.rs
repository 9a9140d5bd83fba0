//! Create, read, update and delete on every collection; lists, filters and pagination.

use axum::body::Body;
use axum::http::{Method, Request, header};
use serde_json::{Value, json};

use crate::cases;
use crate::harness::{Case, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        states_are_found_by_alpha2_or_alpha3_in_any_case,
        every_collection_lists_in_the_envelope_and_gets_each_item,
        pagination_visits_every_row_exactly_once,
        list_filters_narrow_by_field,
        list_rejects_unknown_parameters_and_bad_values,
        filter_naming_an_absent_state_is_404,
        absent_keys_are_404_problems,
        post_creates_with_location_and_defaults,
        post_of_an_existing_key_is_409,
        post_membership_gets_a_server_id,
        put_creates_then_replaces,
        put_with_a_different_key_in_the_body_is_422,
        patch_merges_and_leaves_other_fields,
        patch_can_replace_sources_and_clear_optional_fields,
        delete_removes_and_then_404,
        delete_of_a_referenced_state_is_409_until_cascade,
        cascade_on_an_organisation_unlinks_agreements,
        sources_cannot_be_deleted_while_they_are_the_only_source,
        every_collection_supports_the_full_write_cycle,
        put_with_if_none_match_star_creates_only,
        item_reads_accept_only_format,
    ]
}

async fn states_are_found_by_alpha2_or_alpha3_in_any_case(app: TestApp) {
    for path in [
        "/v1/states/KZ",
        "/v1/states/kz",
        "/v1/states/Kz",
        "/v1/states/KAZ",
        "/v1/states/kaz",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_eq!(r.body["code"], "KZ");
        assert_eq!(r.body["name"], "Kazakhstan");
        assert_eq!(r.body["iso3"], "KAZ");
        assert_eq!(r.body["central_asian"], true);
        assert_eq!(r.body["region"], "central_asia");
    }
}

async fn every_collection_lists_in_the_envelope_and_gets_each_item(app: TestApp) {
    for res in pacts::model::RESOURCES {
        let r = app.get(&format!("/v1/{}?limit=3", res.name)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let data = r.body["data"].as_array().unwrap();
        assert_eq!(data.len(), 3);
        assert_eq!(r.body["page"]["limit"], 3);
        assert!(r.body["page"]["next_cursor"].is_string());
        assert!(r.body["page"]["total"].as_i64().unwrap() > 3);
        let key = &data[0][res.key];
        let k = key
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| key.to_string());
        let one = app.get(&format!("/v1/{}/{k}", res.name)).await;
        assert_eq!(one.status, 200, "{}", one.text);
        assert_eq!(one.body, data[0]);
    }
}

async fn pagination_visits_every_row_exactly_once(app: TestApp) {
    let mut seen = std::collections::HashSet::new();
    let mut path = "/v1/memberships?limit=37".to_string();
    let mut pages = 0;
    loop {
        let r = app.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["page"]["total"], 364);
        for row in r.body["data"].as_array().unwrap() {
            assert!(seen.insert(row["id"].as_i64().unwrap()), "row seen twice");
        }
        pages += 1;
        match r.body["page"]["next_cursor"].as_str() {
            Some(c) => {
                let link = r.header("link").expect("Link header when more rows follow");
                assert!(
                    link.contains("rel=\"next\"") && link.contains(c) && link.contains("limit=37"),
                    "{link}"
                );
                path = format!("/v1/memberships?limit=37&cursor={c}");
            }
            None => {
                assert!(r.header("link").is_none());
                break;
            }
        }
    }
    assert_eq!(seen.len(), 364);
    assert_eq!(pages, 10);
}

async fn list_filters_narrow_by_field(app: TestApp) {
    let ca = app.get("/v1/states?region=central_asia").await;
    let codes: Vec<&str> = ca.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["KG", "KZ", "TJ", "TM", "UZ"]);
    let flag = app.get("/v1/states?central_asian=true").await;
    assert_eq!(flag.body["page"]["total"], 5);
    let alliances = app.get("/v1/organisations?kind=military_alliance").await;
    let slugs: Vec<&str> = alliances.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["cst", "csto", "nato"]);
    let sco_kz = app.get("/v1/memberships?state=kaz&organisation=SCO").await;
    let rows = sco_kz.body["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["founding"], true);
    let cites = app.get("/v1/memberships?sources=wiki-pfp&limit=500").await;
    for row in cites.body["data"].as_array().unwrap() {
        assert!(
            row["sources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == "wiki-pfp")
        );
    }
    assert!(cites.body["page"]["total"].as_i64().unwrap() > 0);
    let parties = app.get("/v1/agreement-parties?agreement=cst").await;
    assert!(parties.body["page"]["total"].as_i64().unwrap() >= 9);
    assert_eq!(
        app.get("/v1/states?code=kaz").await.body["data"][0]["code"],
        "KZ"
    );
    assert_eq!(
        app.get("/v1/states?code=QQQ").await.body["page"]["total"],
        0
    );
    assert_eq!(
        app.get("/v1/memberships?id=16").await.body["data"][0]["state"],
        "UZ"
    );
    let joined = app.get("/v1/memberships?joined_on=1994-05-27").await;
    assert!(
        joined.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["state"] == "KZ")
    );
}

async fn list_rejects_unknown_parameters_and_bad_values(app: TestApp) {
    for q in [
        "/v1/states?colour=red",
        "/v1/states?limit=0",
        "/v1/states?limit=501",
        "/v1/states?limit=-1",
        "/v1/states?limit=ten",
        "/v1/states?cursor=zz",
        "/v1/states?cursor=693a3131",
        "/v1/states?region=atlantis",
        "/v1/states?central_asian=yes",
        "/v1/memberships?joined_on=1994-02-30",
        "/v1/memberships?role=emperor",
        "/v1/states?limit=5&limit=6",
        "/v1/organisations?aliases=x",
        "/v1/sources?sources=x",
        "/v1/memberships?id=",
        "/v1/memberships?id=abc",
        "/v1/agreement-parties?id=-3",
        "/v1/states?code=K",
    ] {
        let r = app.get(q).await;
        r.assert_problem(400);
        assert!(
            r.body["detail"].as_str().unwrap().len() > 10,
            "{q}: {}",
            r.text
        );
    }
    let r = app.get("/v1/states?colour=red").await;
    assert!(r.body["detail"].as_str().unwrap().contains("colour"));
}

async fn filter_naming_an_absent_state_is_404(app: TestApp) {
    let r = app.get("/v1/memberships?state=QQ").await;
    r.assert_problem(404);
    assert!(r.body["detail"].as_str().unwrap().contains("QQ"));
    app.get("/v1/memberships?organisation=warsaw-pact")
        .await
        .assert_problem(404);
}

async fn absent_keys_are_404_problems(app: TestApp) {
    for path in [
        "/v1/states/QQ",
        "/v1/states/QQQ",
        "/v1/states/K",
        "/v1/organisations/warsaw-pact",
        "/v1/agreements/nope",
        "/v1/memberships/99999",
        "/v1/memberships/abc",
        "/v1/memberships/-1",
        "/v1/agreement-parties/0",
        "/v1/sources/nope",
        "/v1/claims/c99",
        "/v1/nothing",
        "/v2/states",
    ] {
        app.get(path).await.assert_problem(404);
    }
}

fn new_state() -> Value {
    json!({"code": "xq", "iso3": "xqq", "name": "Testland", "region": "europe", "sources": ["iso-lukes"]})
}

async fn post_creates_with_location_and_defaults(app: TestApp) {
    let r = app
        .write(Method::POST, "/v1/states", Some(&new_state()))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header("location"), Some("/v1/states/XQ"));
    assert_eq!(r.body["code"], "XQ");
    assert_eq!(r.body["iso3"], "XQQ");
    assert_eq!(r.body["central_asian"], false);
    assert_eq!(r.body["confidence"], "unverified");
    assert_eq!(r.body["official_name"], Value::Null);
    assert_eq!(r.body["sources"], json!(["iso-lukes"]));
    let back = app.get("/v1/states/xqq").await;
    assert_eq!(back.body, r.body);
    assert_eq!(app.total("states").await, 89);
}

async fn post_of_an_existing_key_is_409(app: TestApp) {
    let mut body = new_state();
    body["code"] = json!("KZ");
    body["iso3"] = json!("KZX");
    app.write(Method::POST, "/v1/states", Some(&body))
        .await
        .assert_problem(409);
    let mut dup3 = new_state();
    dup3["iso3"] = json!("KAZ");
    app.write(Method::POST, "/v1/states", Some(&dup3))
        .await
        .assert_problem(409);
    let org = json!({"slug": "csto", "name": "Again", "sources": ["wiki-csto"]});
    app.write(Method::POST, "/v1/organisations", Some(&org))
        .await
        .assert_problem(409);
    let src = json!({"slug": "wiki-csto", "title": "Again"});
    app.write(Method::POST, "/v1/sources", Some(&src))
        .await
        .assert_problem(409);
    assert_eq!(app.total("states").await, 88);
    assert_eq!(
        app.get("/v1/organisations/csto").await.body["name"],
        "Collective Security Treaty Organization"
    );
}

async fn post_membership_gets_a_server_id(app: TestApp) {
    let body = json!({"state": "tkm", "organisation": "csto", "role": "observer", "joined_on": "2030-01-01",
                      "sources": ["wiki-csto", "seed-article"], "confidence": "likely"});
    let r = app
        .write(Method::POST, "/v1/memberships", Some(&body))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert!(id > 364, "ids after the seeded ones: {id}");
    assert_eq!(
        r.header("location").unwrap(),
        format!("/v1/memberships/{id}")
    );
    assert_eq!(r.body["state"], "TM");
    assert_eq!(r.body["participation"], "active");
    assert_eq!(r.body["founding"], false);
    assert_eq!(r.body["joined_precision"], "day");
    assert_eq!(r.body["sources"], json!(["wiki-csto", "seed-article"]));
    let second = app.write(Method::POST, "/v1/memberships", Some(&json!({
        "state": "TM", "organisation": "sco", "role": "observer", "joined_on": "2030-01-01", "sources": ["seed-article"]}))).await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert!(second.body["id"].as_i64().unwrap() > id);
}

async fn put_creates_then_replaces(app: TestApp) {
    let org = json!({"name": "Test Pact", "kind": "military_alliance", "founded_on": "2030-01-01", "sources": ["seed-article"]});
    let r = app
        .write(Method::PUT, "/v1/organisations/test-pact", Some(&org))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header("location"), Some("/v1/organisations/test-pact"));
    assert_eq!(r.body["slug"], "test-pact");
    let again = app
        .write(Method::PUT, "/v1/organisations/test-pact", Some(&org))
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body, r.body, "PUT is idempotent");
    let smaller = json!({"slug": "test-pact", "name": "Test Pact II", "sources": ["wiki-csto"]});
    let replaced = app
        .write(Method::PUT, "/v1/organisations/test-pact", Some(&smaller))
        .await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.body["name"], "Test Pact II");
    assert_eq!(
        replaced.body["kind"],
        Value::Null,
        "replace resets absent fields"
    );
    assert_eq!(replaced.body["founded_on"], Value::Null);
    assert_eq!(replaced.body["sources"], json!(["wiki-csto"]));
    // PUT with an explicit id on an id collection, then POST continues after it.
    let m = json!({"state": "KZ", "organisation": "test-pact", "role": "member", "joined_on": "2030-01-01", "sources": ["seed-article"]});
    let put = app
        .write(Method::PUT, "/v1/memberships/5000", Some(&m))
        .await;
    assert_eq!(put.status, 201, "{}", put.text);
    assert_eq!(put.body["id"], 5000);
    let mut m2 = m.clone();
    m2["state"] = json!("KG");
    let post = app.write(Method::POST, "/v1/memberships", Some(&m2)).await;
    assert_eq!(post.status, 201, "{}", post.text);
    assert!(post.body["id"].as_i64().unwrap() > 5000);
}

async fn put_with_a_different_key_in_the_body_is_422(app: TestApp) {
    let org = json!({"slug": "other", "name": "X", "sources": ["seed-article"]});
    let r = app
        .write(Method::PUT, "/v1/organisations/test-pact", Some(&org))
        .await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["slug"]);
    app.get("/v1/organisations/test-pact")
        .await
        .assert_problem(404);
    let st = json!({"iso3": "XYZ", "name": "X", "sources": ["seed-article"]});
    app.write(Method::PUT, "/v1/states/XYZ", Some(&st))
        .await
        .assert_problem(404);
}

async fn patch_merges_and_leaves_other_fields(app: TestApp) {
    let before = app.get("/v1/states/TJ").await.body;
    let r = app
        .write(
            Method::PATCH,
            "/v1/states/tjk",
            Some(&json!({"official_name": "Republic of Tajikistan"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["official_name"], "Republic of Tajikistan");
    let mut expected = before.clone();
    expected["official_name"] = json!("Republic of Tajikistan");
    assert_eq!(r.body, expected);
    assert_eq!(app.get("/v1/states/TJ").await.body, expected);
}

async fn patch_can_replace_sources_and_clear_optional_fields(app: TestApp) {
    let r = app
        .write(
            Method::PATCH,
            "/v1/memberships/16",
            Some(&json!({"note": null, "sources": ["seed-article"], "confidence": "likely"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["note"], Value::Null);
    assert_eq!(r.body["sources"], json!(["seed-article"]));
    assert_eq!(r.body["confidence"], "likely");
    assert_eq!(r.body["left_on"], "2012-12-19", "untouched");
    let bad = app
        .write(
            Method::PATCH,
            "/v1/memberships/16",
            Some(&json!({"state": null})),
        )
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.error_fields(), ["state"]);
    let key = app
        .write(
            Method::PATCH,
            "/v1/memberships/16",
            Some(&json!({"id": 17})),
        )
        .await;
    key.assert_problem(422);
    app.write(
        Method::PATCH,
        "/v1/memberships/99999",
        Some(&json!({"note": "x"})),
    )
    .await
    .assert_problem(404);
}

async fn delete_removes_and_then_404(app: TestApp) {
    let r = app.write(Method::DELETE, "/v1/memberships/16", None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(r.text.is_empty());
    app.get("/v1/memberships/16").await.assert_problem(404);
    app.write(Method::DELETE, "/v1/memberships/16", None)
        .await
        .assert_problem(404);
    assert_eq!(app.total("memberships").await, 363);
    let claim = app.write(Method::DELETE, "/v1/claims/c01", None).await;
    assert_eq!(claim.status, 204);
    assert_eq!(app.total("claims").await, 21);
}

async fn delete_of_a_referenced_state_is_409_until_cascade(app: TestApp) {
    let r = app.write(Method::DELETE, "/v1/states/UZ", None).await;
    r.assert_problem(409);
    assert!(r.body["detail"].as_str().unwrap().contains("memberships"));
    assert!(r.body["detail"].as_str().unwrap().contains("cascade=true"));
    assert_eq!(app.total("states").await, 88);
    app.write(Method::DELETE, "/v1/states/UZ?cascade=maybe", None)
        .await
        .assert_problem(400);
    let uz_memberships = app.get("/v1/memberships?state=UZ&limit=1").await.body["page"]["total"]
        .as_i64()
        .unwrap();
    let uz_parties = app.get("/v1/agreement-parties?state=UZ&limit=1").await.body["page"]["total"]
        .as_i64()
        .unwrap();
    assert!(uz_memberships > 0 && uz_parties > 0);
    let ok = app
        .write(Method::DELETE, "/v1/states/uzb?cascade=true", None)
        .await;
    assert_eq!(ok.status, 204, "{}", ok.text);
    app.get("/v1/states/UZ").await.assert_problem(404);
    assert_eq!(app.total("memberships").await, 364 - uz_memberships);
    assert_eq!(app.total("agreement-parties").await, 195 - uz_parties);
    let report = app.db.check().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

async fn cascade_on_an_organisation_unlinks_agreements(app: TestApp) {
    app.write(Method::DELETE, "/v1/organisations/csto", None)
        .await
        .assert_problem(409);
    let r = app
        .write(Method::DELETE, "/v1/organisations/csto?cascade=true", None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let charter = app.get("/v1/agreements/csto-charter").await;
    assert_eq!(charter.status, 200, "agreements stay");
    assert_eq!(charter.body["founds"], Value::Null);
    assert_eq!(
        app.get("/v1/organisations/cst").await.body["successor"],
        Value::Null
    );
    app.get("/v1/memberships?organisation=csto")
        .await
        .assert_problem(404);
    let report = app.db.check().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

async fn sources_cannot_be_deleted_while_they_are_the_only_source(app: TestApp) {
    app.write(Method::DELETE, "/v1/sources/iso-lukes", None)
        .await
        .assert_problem(409);
    let r = app
        .write(Method::DELETE, "/v1/sources/wiki-pfp?cascade=true", None)
        .await;
    r.assert_problem(409);
    assert!(r.body["detail"].as_str().unwrap().contains("only source"));
    // A source nobody cites alone can go, and its citations with it.
    let new = json!({"slug": "extra", "title": "Extra"});
    assert_eq!(
        app.write(Method::POST, "/v1/sources", Some(&new))
            .await
            .status,
        201
    );
    let m = app
        .write(
            Method::PATCH,
            "/v1/memberships/1",
            Some(&json!({"sources": ["wiki-csto", "extra"]})),
        )
        .await;
    assert_eq!(m.status, 200, "{}", m.text);
    app.write(Method::DELETE, "/v1/sources/extra", None)
        .await
        .assert_problem(409);
    let ok = app
        .write(Method::DELETE, "/v1/sources/extra?cascade=true", None)
        .await;
    assert_eq!(ok.status, 204, "{}", ok.text);
    assert_eq!(
        app.get("/v1/memberships/1").await.body["sources"],
        json!(["wiki-csto"])
    );
}

async fn every_collection_supports_the_full_write_cycle(app: TestApp) {
    let bodies: [(&str, Value, Value); 7] = [
        (
            "sources",
            json!({"slug": "cycle-src", "title": "A"}),
            json!({"publisher": "P"}),
        ),
        (
            "states",
            json!({"code": "XB", "iso3": "XBB", "name": "B", "sources": ["cycle-src"]}),
            json!({"cow_code": 999}),
        ),
        (
            "organisations",
            json!({"slug": "cycle-org", "name": "O", "sources": ["cycle-src"]}),
            json!({"predecessor": "cst"}),
        ),
        (
            "agreements",
            json!({"slug": "cycle-ag", "name": "A", "governs": "cycle-org", "sources": ["cycle-src"]}),
            json!({"status": "signed"}),
        ),
        (
            "memberships",
            json!({"state": "XB", "organisation": "cycle-org", "role": "member", "joined_on": "2001-01-01", "sources": ["cycle-src"]}),
            json!({"left_on": "2002-01-01"}),
        ),
        (
            "agreement-parties",
            json!({"agreement": "cycle-ag", "state": "XB", "role": "party", "sources": ["cycle-src"]}),
            json!({"signed_on": "2001-05-01"}),
        ),
        (
            "claims",
            json!({"id": "c99", "section_heading": "H", "claim": "C", "verdict": "wrong", "sources": ["cycle-src"]}),
            json!({"related": ["XB", "cycle-org"]}),
        ),
    ];
    let mut created = Vec::new();
    for (collection, body, patch) in &bodies {
        let r = app
            .write(Method::POST, &format!("/v1/{collection}"), Some(body))
            .await;
        assert_eq!(r.status, 201, "{collection}: {}", r.text);
        let loc = r.header("location").unwrap().to_string();
        let p = app.write(Method::PATCH, &loc, Some(patch)).await;
        assert_eq!(p.status, 200, "{collection}: {}", p.text);
        for (k, v) in patch.as_object().unwrap() {
            assert_eq!(&p.body[k], v, "{collection}.{k}");
        }
        assert_eq!(app.get(&loc).await.body, p.body);
        created.push(loc);
    }
    // Delete in reverse order of dependency: nothing refers to them any more.
    for loc in created.iter().rev() {
        let r = app.write(Method::DELETE, loc, None).await;
        assert_eq!(r.status, 204, "{loc}: {}", r.text);
        app.get(loc).await.assert_problem(404);
    }
}

/// RFC 9110 §13.1.2: `If-None-Match: *` makes a PUT create-only.
async fn put_with_if_none_match_star_creates_only(app: TestApp) {
    let before = app.get("/v1/sources/seed-article").await.body;
    let send = |path: &'static str, title: &'static str| {
        Request::builder()
            .method(Method::PUT)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::IF_NONE_MATCH, "*")
            .body(Body::from(json!({"title": title}).to_string()))
            .unwrap()
    };
    app.send(send("/v1/sources/seed-article", "Overwritten"))
        .await
        .assert_problem(412);
    assert_eq!(app.get("/v1/sources/seed-article").await.body, before);
    let r = app.send(send("/v1/sources/brand-new", "New")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    app.send(send("/v1/sources/brand-new", "Again"))
        .await
        .assert_problem(412);
    // With the item's current tag in If-None-Match the write is refused too.
    let etag = app
        .get("/v1/sources/brand-new")
        .await
        .header("etag")
        .unwrap()
        .to_string();
    let req = Request::builder()
        .method(Method::PATCH)
        .uri("/v1/sources/brand-new")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
        .header(header::CONTENT_TYPE, "application/merge-patch+json")
        .header(header::IF_NONE_MATCH, etag)
        .body(Body::from(json!({"title": "Changed"}).to_string()))
        .unwrap();
    app.send(req).await.assert_problem(412);
    assert_eq!(app.get("/v1/sources/brand-new").await.body["title"], "New");
}

async fn item_reads_accept_only_format(app: TestApp) {
    let r = app.get("/v1/states/KZ?colour=red").await;
    r.assert_problem(400);
    assert!(
        r.body["detail"].as_str().unwrap().contains("format"),
        "{}",
        r.text
    );
    app.get("/v1/states/KZ?format=xml")
        .await
        .assert_problem(400);
    let json = app.get("/v1/states/KZ?format=json").await;
    assert_eq!(json.status, 200);
    assert_eq!(json.body["code"], "KZ");
    let csv = app.get("/v1/states/KAZ?format=csv").await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 2, "{}", csv.text);
    assert!(lines[0].starts_with("code,iso3,"), "{}", lines[0]);
    assert!(lines[1].starts_with("KZ,KAZ,"), "{}", lines[1]);
}
