//! Real questions answered from the seeded data. Each expected answer was checked by hand
//! against the reference fact base (seeds/reference/*.csv, rows named in the comments).
//! Dates are fixed (2026-03-31 is the reference's "now") so that answers do not drift.

use serde_json::Value;

use crate::cases;
use crate::harness::{Case, Resp, TestApp};
use crate::queries::codes;

pub fn cases() -> Vec<Case> {
    cases![
        q01_csto_members_on_2013_01_01,
        q02_csto_members_on_2008_01_01_include_uzbekistan,
        q03_eaeu_members_on_2015_06_01,
        q04_states_in_both_csto_and_sco,
        q05_what_kazakhstan_and_kyrgyzstan_share,
        q06_uzbekistans_history_in_collective_security,
        q07_turkmenistans_pacts,
        q08_turkmenistans_neutrality_is_a_status_not_a_pact,
        q09_nato_on_the_eve_of_1990,
        q10_nato_enlargements_of_1999_and_2004,
        q11_nato_today,
        q12_partnership_for_peace_today,
        q13_eapc_at_inauguration_and_today,
        q14_osce_participating_states,
        q15_cica_members_and_observers,
        q16_india_and_pakistan_join_the_sco,
        q17_sco_partners_after_the_2025_merger,
        q18_csto_in_2000_through_its_treaty_predecessor,
        q19_sco_in_1998_was_the_shanghai_five,
        q20_organization_of_turkic_states_today,
        q21_cis_today,
        q22_central_asian_states_in_the_eaeu,
        q23_armenia_in_the_csto,
        q24_who_left_the_collective_security_treaty_in_1999,
        q25_what_kazakhstan_and_the_united_states_share,
        q26_what_founded_the_csto,
    ]
}

async fn ok(app: &TestApp, path: &str) -> Resp {
    let r = app.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r
}

fn orgs(r: &Resp) -> Vec<String> {
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["organisation"].as_str().unwrap().to_string())
        .collect()
}

fn role_count(r: &Resp, role: &str) -> usize {
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == role)
        .count()
}

/// M001–M016: the six CSTO members; Uzbekistan suspended 2012-12-19.
async fn q01_csto_members_on_2013_01_01(app: TestApp) {
    let r = ok(
        &app,
        "/v1/organisations/csto/members?as_of=2013-01-01&role=member",
    )
    .await;
    assert_eq!(codes(&r), ["AM", "BY", "KG", "KZ", "RU", "TJ"]);
}

/// M016: Uzbekistan 2006-08-16 to 2012-12-19.
async fn q02_csto_members_on_2008_01_01_include_uzbekistan(app: TestApp) {
    let r = ok(
        &app,
        "/v1/organisations/csto/members?as_of=2008-01-01&role=member",
    )
    .await;
    assert_eq!(codes(&r), ["AM", "BY", "KG", "KZ", "RU", "TJ", "UZ"]);
}

/// EAEU rows: founders 2015-01-01, Armenia 2015-01-02, Kyrgyzstan 2015-08-12.
async fn q03_eaeu_members_on_2015_06_01(app: TestApp) {
    let r = ok(&app, "/v1/organisations/eaeu/members?as_of=2015-06-01").await;
    assert_eq!(codes(&r), ["AM", "BY", "KZ", "RU"]);
}

async fn q04_states_in_both_csto_and_sco(app: TestApp) {
    let r = ok(
        &app,
        "/v1/overlap?organisations=csto,sco&as_of=2026-03-31&role=member",
    )
    .await;
    assert_eq!(codes(&r), ["BY", "KG", "KZ", "RU", "TJ"]);
    // Armenia is a CSTO member and an SCO partner: in the overlap when any role counts.
    let any = ok(&app, "/v1/overlap?organisations=csto,sco&as_of=2026-03-31").await;
    assert!(codes(&any).contains(&"AM".to_string()));
}

async fn q05_what_kazakhstan_and_kyrgyzstan_share(app: TestApp) {
    let r = ok(&app, "/v1/shared?states=KZ,KG&as_of=2026-03-31&role=member").await;
    assert_eq!(
        orgs(&r),
        ["carec", "cica", "cis", "csto", "eaeu", "eapc", "ots", "sco"]
    );
    let any = ok(&app, "/v1/shared?states=KZ,KG&as_of=2026-03-31").await;
    assert_eq!(
        orgs(&any),
        [
            "c5p1", "cacm", "carec", "cica", "cis", "cnca", "csto", "eaeu", "eapc", "osce", "ots",
            "pfp", "sco"
        ]
    );
}

/// M006 (CST 1992-05-15 to 1999-04-20, not renewed) and M016 (CSTO, suspended 2012-12-19).
async fn q06_uzbekistans_history_in_collective_security(app: TestApp) {
    let r = ok(
        &app,
        "/v1/states/UZ/memberships?as_of=all&organisation=cst,csto",
    )
    .await;
    let rows = r.body["data"].as_array().unwrap();
    let periods: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|m| {
            (
                m["organisation"].as_str().unwrap(),
                m["joined_on"].as_str().unwrap(),
                m["left_on"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        periods,
        [
            ("cst", "1992-05-15", "1999-04-20"),
            ("csto", "2006-08-16", "2012-12-19")
        ]
    );
    assert_eq!(rows[0]["end_reason"], "not_renewed");
    assert_eq!(rows[1]["end_reason"], "suspended");
    assert!(
        ok(
            &app,
            "/v1/states/UZ/memberships?as_of=2026-03-31&organisation=csto"
        )
        .await
        .body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn q07_turkmenistans_pacts(app: TestApp) {
    let r = ok(&app, "/v1/states/TM/memberships?as_of=2026-03-31").await;
    let mut got: Vec<(String, String)> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["organisation"].as_str().unwrap().to_string(),
                m["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("c5p1", "participant"),
        ("cacm", "participant"),
        ("carec", "member"),
        ("cica", "observer"),
        ("cis", "associate_member"),
        ("cnca", "participant"),
        ("eapc", "member"),
        ("osce", "participating_state"),
        ("ots", "observer"),
        ("pfp", "partner"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
    // Never in the CSTO, the SCO or the EAEU.
    let all = ok(
        &app,
        "/v1/states/TM/memberships?as_of=all&organisation=csto,sco,eaeu",
    )
    .await;
    assert!(all.body["data"].as_array().unwrap().is_empty());
}

async fn q08_turkmenistans_neutrality_is_a_status_not_a_pact(app: TestApp) {
    let r = ok(
        &app,
        "/v1/states/TM/memberships?as_of=2026-03-31&kind=legal_status",
    )
    .await;
    let rows = r.body["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["organisation"], "tmneut");
    assert_eq!(rows[0]["joined_on"], "1995-12-12");
    assert_eq!(rows[0]["role"], "holder");
}

async fn q09_nato_on_the_eve_of_1990(app: TestApp) {
    let r = ok(&app, "/v1/organisations/nato/members?as_of=1990-01-01").await;
    assert_eq!(
        codes(&r),
        [
            "BE", "CA", "DE", "DK", "ES", "FR", "GB", "GR", "IS", "IT", "LU", "NL", "NO", "PT",
            "TR", "US"
        ]
    );
}

async fn q10_nato_enlargements_of_1999_and_2004(app: TestApp) {
    assert_eq!(
        codes(&ok(&app, "/v1/organisations/nato/members?as_of=1999-04-01").await).len(),
        19
    );
    assert_eq!(
        codes(&ok(&app, "/v1/organisations/nato/members?as_of=2004-04-01").await).len(),
        26
    );
    assert_eq!(
        codes(&ok(&app, "/v1/organisations/nato/members?as_of=1999-03-11").await).len(),
        16
    );
}

async fn q11_nato_today(app: TestApp) {
    let r = ok(&app, "/v1/organisations/nato/members?as_of=2026-03-31").await;
    assert_eq!(codes(&r).len(), 32);
    assert!(
        !["KZ", "KG", "TJ", "TM", "UZ"]
            .iter()
            .any(|c| codes(&r).contains(&c.to_string()))
    );
}

async fn q12_partnership_for_peace_today(app: TestApp) {
    let r = ok(&app, "/v1/organisations/pfp/members?as_of=2026-03-31").await;
    assert_eq!(codes(&r).len(), 18);
    for c in ["KZ", "KG", "TJ", "TM", "UZ"] {
        assert!(codes(&r).contains(&c.to_string()), "{c}");
    }
    let ru = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["state"] == "RU")
        .unwrap();
    assert_eq!(ru["participation"], "suspended");
}

async fn q13_eapc_at_inauguration_and_today(app: TestApp) {
    assert_eq!(
        codes(&ok(&app, "/v1/organisations/eapc/members?as_of=1998-06-01").await).len(),
        44
    );
    assert_eq!(
        codes(&ok(&app, "/v1/organisations/eapc/members?as_of=2026-03-31").await).len(),
        50
    );
}

async fn q14_osce_participating_states(app: TestApp) {
    let r = ok(&app, "/v1/organisations/osce/members?as_of=2026-03-31").await;
    assert_eq!(role_count(&r, "participating_state"), 57);
    let mn = ok(
        &app,
        "/v1/states/MN/memberships?as_of=2012-11-20&organisation=osce",
    )
    .await;
    assert!(
        mn.body["data"].as_array().unwrap().is_empty(),
        "Mongolia became the 57th on 2012-11-21"
    );
}

async fn q15_cica_members_and_observers(app: TestApp) {
    let r = ok(&app, "/v1/organisations/cica/members?as_of=2026-03-31").await;
    assert_eq!(role_count(&r, "member"), 28);
    assert_eq!(role_count(&r, "observer"), 10);
}

async fn q16_india_and_pakistan_join_the_sco(app: TestApp) {
    assert_eq!(
        codes(
            &ok(
                &app,
                "/v1/organisations/sco/members?as_of=2017-06-08&role=member"
            )
            .await
        ),
        ["CN", "KG", "KZ", "RU", "TJ", "UZ"]
    );
    assert_eq!(
        codes(
            &ok(
                &app,
                "/v1/organisations/sco/members?as_of=2017-06-09&role=member"
            )
            .await
        ),
        ["CN", "IN", "KG", "KZ", "PK", "RU", "TJ", "UZ"]
    );
}

async fn q17_sco_partners_after_the_2025_merger(app: TestApp) {
    let r = ok(
        &app,
        "/v1/organisations/sco/members?as_of=2025-09-01&role=partner",
    )
    .await;
    assert_eq!(
        codes(&r),
        [
            "AE", "AF", "AM", "AZ", "BH", "EG", "KH", "KW", "LA", "LK", "MM", "MN", "MV", "NP",
            "QA", "SA", "TR"
        ]
    );
}

async fn q18_csto_in_2000_through_its_treaty_predecessor(app: TestApp) {
    let r = ok(
        &app,
        "/v1/organisations/csto/members?as_of=2000-01-01&lineage=true",
    )
    .await;
    assert_eq!(codes(&r), ["AM", "BY", "KG", "KZ", "RU", "TJ"]);
    assert!(
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["lineage"] == Value::Bool(true))
    );
}

async fn q19_sco_in_1998_was_the_shanghai_five(app: TestApp) {
    let r = ok(
        &app,
        "/v1/organisations/sco/members?as_of=1998-01-01&lineage=true",
    )
    .await;
    assert_eq!(codes(&r), ["CN", "KG", "KZ", "RU", "TJ"]);
}

async fn q20_organization_of_turkic_states_today(app: TestApp) {
    let members = ok(
        &app,
        "/v1/organisations/ots/members?as_of=2026-03-31&role=member",
    )
    .await;
    assert_eq!(codes(&members), ["AZ", "KG", "KZ", "TR", "UZ"]);
    let observers = ok(
        &app,
        "/v1/organisations/ots/members?as_of=2026-03-31&role=observer",
    )
    .await;
    assert_eq!(codes(&observers), ["HU", "TM", "XN"]);
}

async fn q21_cis_today(app: TestApp) {
    let r = ok(&app, "/v1/organisations/cis/members?as_of=2026-03-31").await;
    assert_eq!(
        codes(&r),
        ["AM", "AZ", "BY", "KG", "KZ", "MD", "RU", "TJ", "TM", "UZ"]
    );
    assert_eq!(role_count(&r, "associate_member"), 1);
}

async fn q22_central_asian_states_in_the_eaeu(app: TestApp) {
    let r = ok(
        &app,
        "/v1/matrix?as_of=2026-03-31&region=central_asia&organisations=eaeu",
    )
    .await;
    let cells: Vec<(String, Value)> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["state"].as_str().unwrap().to_string(),
                row["cells"][0].clone(),
            )
        })
        .collect();
    assert_eq!(
        cells,
        [
            ("KG".to_string(), Value::from("member")),
            ("KZ".to_string(), Value::from("member")),
            ("UZ".to_string(), Value::from("observer")),
        ]
    );
}

async fn q23_armenia_in_the_csto(app: TestApp) {
    let r = ok(
        &app,
        "/v1/states/AM/memberships?as_of=2026-03-31&organisation=csto",
    )
    .await;
    let m = &r.body["data"][0];
    assert_eq!(m["role"], "member");
    assert_eq!(m["participation"], "frozen");
    assert_eq!(m["participation_since"], "2024-02-22");
    assert_eq!(m["left_on"], Value::Null);
}

async fn q24_who_left_the_collective_security_treaty_in_1999(app: TestApp) {
    let r = ok(&app, "/v1/agreements/cst/parties").await;
    let left: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["left_on"] == "1999-04-20")
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(left, ["AZ", "GE", "UZ"]);
}

async fn q25_what_kazakhstan_and_the_united_states_share(app: TestApp) {
    let r = ok(&app, "/v1/shared?states=KZ,US&as_of=2026-03-31").await;
    assert_eq!(orgs(&r), ["c5p1", "cica", "eapc", "osce"]);
    let cica = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["organisation"] == "cica")
        .unwrap();
    assert_eq!(cica["roles"]["KZ"], "member");
    assert_eq!(cica["roles"]["US"], "observer");
}

async fn q26_what_founded_the_csto(app: TestApp) {
    let r = ok(&app, "/v1/agreements?founds=csto").await;
    let ags: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap())
        .collect();
    assert_eq!(ags, ["csto-charter"]);
    assert_eq!(r.body["data"][0]["signed_on"], "2002-10-07");
}
