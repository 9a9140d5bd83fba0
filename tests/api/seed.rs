//! The seed on both backends: counts, sources, references, idempotence, known facts.

use crate::cases;
use crate::harness::{Case, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        seed_holds_every_row_of_the_reference_data,
        every_fact_has_a_source_and_every_reference_resolves,
        seeding_again_changes_nothing,
        partnership_for_peace_dates_of_kazakhstan_and_tajikistan_read_back_exactly,
        uzbekistan_has_two_separate_periods_in_collective_security,
        northern_cyprus_has_a_code_from_the_user_assigned_range,
        predecessors_link_the_treaty_periods_to_their_organisations,
        the_articles_claims_carry_verdicts_by_section_heading,
        month_and_year_precision_dates_are_stored_as_first_days,
    ]
}

async fn seed_holds_every_row_of_the_reference_data(app: TestApp) {
    for (collection, n) in [
        ("states", 88),
        ("organisations", 21),
        ("agreements", 41),
        ("memberships", 364),
        ("agreement-parties", 195),
        ("sources", 255),
        ("claims", 22),
    ] {
        assert_eq!(app.total(collection).await, n, "{collection}");
    }
}

async fn every_fact_has_a_source_and_every_reference_resolves(app: TestApp) {
    let report = app.db.check().await.expect("check runs");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // And through the API: every fact lists at least one source that exists.
    let all = app.snapshot().await;
    let sources: std::collections::HashSet<String> = all
        .iter()
        .filter(|v| v.get("title").is_some() && v.get("sources").is_none())
        .map(|v| v["slug"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sources.len(), 255);
    let mut facts = 0;
    for item in all.iter().filter(|v| v.get("sources").is_some()) {
        let list = item["sources"].as_array().unwrap();
        assert!(!list.is_empty(), "fact without a source: {item}");
        for s in list {
            assert!(
                sources.contains(s.as_str().unwrap()),
                "unknown source {s} in {item}"
            );
        }
        facts += 1;
    }
    assert_eq!(facts, 88 + 21 + 41 + 364 + 195 + 22);
}

async fn seeding_again_changes_nothing(app: TestApp) {
    let before = app.snapshot().await;
    app.db.seed().await.expect("second seed");
    let after = app.snapshot().await;
    assert_eq!(before.len(), after.len());
    assert!(before == after, "a second seed changed the data");
}

async fn partnership_for_peace_dates_of_kazakhstan_and_tajikistan_read_back_exactly(app: TestApp) {
    for (state, day) in [("KZ", "1994-05-27"), ("TJ", "2002-02-20")] {
        let r = app
            .get(&format!("/v1/memberships?state={state}&organisation=pfp"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let rows = r.body["data"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{}", r.text);
        assert_eq!(rows[0]["joined_on"], day);
        assert_eq!(rows[0]["joined_precision"], "day");
        assert_eq!(rows[0]["role"], "partner");
        assert_eq!(rows[0]["left_on"], serde_json::Value::Null);
    }
}

async fn uzbekistan_has_two_separate_periods_in_collective_security(app: TestApp) {
    let cst = app.get("/v1/memberships?state=uzb&organisation=cst").await;
    let rows = cst.body["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["joined_on"], "1992-05-15");
    assert_eq!(rows[0]["left_on"], "1999-04-20");
    assert_eq!(rows[0]["founding"], true);
    let csto = app.get("/v1/memberships?state=UZ&organisation=csto").await;
    let rows = csto.body["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["joined_on"], "2006-08-16");
    assert_eq!(rows[0]["left_on"], "2012-12-19");
    assert_eq!(rows[0]["end_reason"], "suspended");
}

async fn northern_cyprus_has_a_code_from_the_user_assigned_range(app: TestApp) {
    let r = app.get("/v1/states/xn").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["code"], "XN");
    assert_eq!(r.body["iso3"], "XNC");
    assert!(r.body["name"].as_str().unwrap().contains("Northern Cyprus"));
    assert_eq!(app.get("/v1/states/XNC").await.body["code"], "XN");
    let obs = app.get("/v1/memberships?state=XN&organisation=ots").await;
    assert_eq!(obs.body["data"][0]["role"], "observer");
}

async fn predecessors_link_the_treaty_periods_to_their_organisations(app: TestApp) {
    let csto = app.get("/v1/organisations/csto").await;
    assert_eq!(csto.body["predecessor"], "cst");
    assert_eq!(csto.body["membership_coverage"], "partial");
    let cst = app.get("/v1/organisations/cst").await;
    assert_eq!(cst.body["successor"], "csto");
    assert_eq!(cst.body["ended_on"], "2002-10-07");
    assert_eq!(
        app.get("/v1/organisations/sco").await.body["predecessor"],
        "s5"
    );
    assert_eq!(
        app.get("/v1/organisations/pfp").await.body["parent"],
        "nato"
    );
    let charter = app.get("/v1/agreements/csto-charter").await;
    assert_eq!(charter.status, 200);
    assert_eq!(charter.body["signed_on"], "2002-10-07");
    assert_eq!(charter.body["place_signed"], "Chisinau");
}

async fn the_articles_claims_carry_verdicts_by_section_heading(app: TestApp) {
    let r = app.get("/v1/claims?limit=100").await;
    let claims = r.body["data"].as_array().unwrap();
    assert_eq!(claims.len(), 22);
    for c in claims {
        assert!(!c["section_heading"].as_str().unwrap().is_empty());
        assert!(!c["sources"].as_array().unwrap().is_empty());
    }
    let c01 = app.get("/v1/claims/C01").await;
    assert_eq!(c01.body["id"], "c01");
    assert_eq!(c01.body["verdict"], "misleading");
    assert_eq!(
        c01.body["section_heading"],
        "Evolution of Central Asian Security Frameworks"
    );
    assert!(
        c01.body["related"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "cst")
    );
    let wrong = app.get("/v1/claims?verdict=wrong").await;
    assert!(wrong.body["page"]["total"].as_i64().unwrap() >= 1);
}

async fn month_and_year_precision_dates_are_stored_as_first_days(app: TestApp) {
    let carec = app.get("/v1/organisations/carec").await;
    assert_eq!(carec.body["founded_on"], "1997-01-01");
    assert_eq!(carec.body["founded_precision"], "year");
    let month = app
        .get("/v1/memberships?joined_precision=month&limit=500")
        .await;
    let rows = month.body["data"].as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        assert!(r["joined_on"].as_str().unwrap().ends_with("-01"), "{r}");
    }
}
