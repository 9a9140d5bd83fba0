//! The question endpoints: boundary days, precision, roles, participation, lineage, 404
//! versus empty, CSV against JSON, ETags, sorting, search and pagination under inserts.

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{Value, json};

use crate::cases;
use crate::harness::{Case, Resp, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        a_state_is_a_member_on_the_day_it_joins_and_not_the_day_before,
        a_state_is_not_a_member_on_the_day_it_leaves,
        month_and_year_precision_periods_start_on_the_first_day,
        role_filters_follow_role_changes_like_the_sco_merger,
        a_frozen_participation_still_counts_as_membership,
        lineage_answers_dates_before_an_organisation_from_its_predecessor,
        history_lists_every_period_in_date_order,
        non_pacts_are_left_out_unless_kind_names_them,
        partial_member_lists_say_so,
        unknown_names_are_404_and_empty_answers_are_200,
        bad_parameters_are_400_naming_the_parameter,
        state_agreements_and_agreement_parties_include_former_parties,
        shared_and_overlap_answer_for_the_date,
        matrix_is_a_drawable_grid,
        csv_has_the_same_rows_as_json,
        etag_changes_after_a_write_and_not_otherwise,
        search_is_case_insensitive_including_non_ascii,
        sorting_by_fields_with_cursor_pagination,
        pagination_visits_every_row_once_while_rows_are_inserted,
        cached_answers_follow_local_writes_at_once,
    ]
}

pub fn codes(r: &Resp) -> Vec<String> {
    let mut v: Vec<String> = r.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|m| m["state"].as_str().unwrap().to_string())
        .collect();
    v.dedup();
    v
}

async fn ok(app: &TestApp, path: &str) -> Resp {
    let r = app.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r
}

async fn a_state_is_a_member_on_the_day_it_joins_and_not_the_day_before(app: TestApp) {
    // Kyrgyzstan joined the EAEU on 2015-08-06 (M076; release 2 corrected 2015-08-12).
    let before = ok(&app, "/v1/organisations/eaeu/members?as_of=2015-08-05").await;
    assert!(!codes(&before).contains(&"KG".to_string()));
    let on = ok(&app, "/v1/organisations/eaeu/members?as_of=2015-08-06").await;
    assert!(codes(&on).contains(&"KG".to_string()));
    let after = ok(&app, "/v1/organisations/eaeu/members?as_of=2015-08-07").await;
    assert!(codes(&after).contains(&"KG".to_string()));
    // The EAEU itself starts on 2015-01-01.
    assert!(codes(&ok(&app, "/v1/organisations/eaeu/members?as_of=2014-12-31").await).is_empty());
    assert_eq!(
        codes(&ok(&app, "/v1/organisations/eaeu/members?as_of=2015-01-01").await),
        ["BY", "KZ", "RU"]
    );
    // The state's own view agrees.
    let kg = ok(
        &app,
        "/v1/states/KG/memberships?as_of=2015-08-06&organisation=eaeu",
    )
    .await;
    assert_eq!(kg.body["data"].as_array().unwrap().len(), 1);
    let kg = ok(
        &app,
        "/v1/states/KG/memberships?as_of=2015-08-05&organisation=eaeu",
    )
    .await;
    assert_eq!(kg.body["data"].as_array().unwrap().len(), 0);
}

async fn a_state_is_not_a_member_on_the_day_it_leaves(app: TestApp) {
    // Uzbekistan's second CSTO period: 2006-08-16 to 2012-12-19.
    for (day, inside) in [
        ("2006-08-15", false),
        ("2006-08-16", true),
        ("2012-12-18", true),
        ("2012-12-19", false),
        ("2012-12-20", false),
    ] {
        let r = ok(
            &app,
            &format!("/v1/organisations/csto/members?as_of={day}&role=member"),
        )
        .await;
        assert_eq!(codes(&r).contains(&"UZ".to_string()), inside, "{day}");
    }
    // And from the CST on 1999-04-20 (the day its term ran out).
    let r = ok(&app, "/v1/organisations/cst/members?as_of=1999-04-19").await;
    assert!(codes(&r).contains(&"UZ".to_string()));
    let r = ok(&app, "/v1/organisations/cst/members?as_of=1999-04-20").await;
    assert!(!codes(&r).contains(&"UZ".to_string()));
}

async fn month_and_year_precision_periods_start_on_the_first_day(app: TestApp) {
    // Turkmenistan: CICA observer from 2021 (year precision), CAREC member from 2010-11-03.
    let r = ok(
        &app,
        "/v1/states/TM/memberships?as_of=2020-12-31&organisation=cica",
    )
    .await;
    assert!(r.body["data"].as_array().unwrap().is_empty());
    let r = ok(
        &app,
        "/v1/states/TM/memberships?as_of=2021-01-01&organisation=cica",
    )
    .await;
    let rows = r.body["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["joined_precision"], "year");
    assert_eq!(rows[0]["joined_on"], "2021-01-01");
    // Some month-precision period: held from its first day, not the day before.
    let all = ok(&app, "/v1/memberships?joined_precision=month&limit=1").await;
    let m = &all.body["data"][0];
    let (state, org, joined) = (
        m["state"].as_str().unwrap(),
        m["organisation"].as_str().unwrap(),
        m["joined_on"].as_str().unwrap(),
    );
    let day_before = (chrono::NaiveDate::parse_from_str(joined, "%Y-%m-%d").unwrap()
        - chrono::Days::new(1))
    .to_string();
    let r = ok(
        &app,
        &format!("/v1/organisations/{org}/members?as_of={joined}"),
    )
    .await;
    assert!(codes(&r).contains(&state.to_string()));
    let r = ok(
        &app,
        &format!("/v1/states/{state}/memberships?as_of={day_before}&organisation={org}"),
    )
    .await;
    assert!(
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["joined_on"] != joined)
    );
}

async fn role_filters_follow_role_changes_like_the_sco_merger(app: TestApp) {
    // Observers and dialogue partners became partners on 2025-09-01.
    let before = ok(
        &app,
        "/v1/organisations/sco/members?as_of=2025-08-31&role=observer,dialogue_partner",
    )
    .await;
    assert!(codes(&before).contains(&"MN".to_string()));
    assert!(codes(&before).contains(&"TR".to_string()));
    let on = ok(
        &app,
        "/v1/organisations/sco/members?as_of=2025-09-01&role=observer,dialogue_partner",
    )
    .await;
    assert!(codes(&on).is_empty(), "{}", on.text);
    let partners = ok(
        &app,
        "/v1/organisations/sco/members?as_of=2025-09-01&role=partner",
    )
    .await;
    assert_eq!(codes(&partners).len(), 17);
    assert!(codes(&partners).contains(&"LA".to_string()));
    let before_partners = ok(
        &app,
        "/v1/organisations/sco/members?as_of=2025-08-31&role=partner",
    )
    .await;
    assert!(codes(&before_partners).is_empty());
    // Observer -> member: India became a member on 2017-06-09.
    let r = ok(
        &app,
        "/v1/organisations/sco/members?as_of=2017-06-08&role=member",
    )
    .await;
    assert!(!codes(&r).contains(&"IN".to_string()));
    let r = ok(
        &app,
        "/v1/organisations/sco/members?as_of=2017-06-08&role=observer",
    )
    .await;
    assert!(codes(&r).contains(&"IN".to_string()));
    let r = ok(
        &app,
        "/v1/organisations/sco/members?as_of=2017-06-09&role=member",
    )
    .await;
    assert!(codes(&r).contains(&"IN".to_string()));
}

async fn a_frozen_participation_still_counts_as_membership(app: TestApp) {
    let r = ok(
        &app,
        "/v1/organisations/csto/members?as_of=2025-01-01&role=member",
    )
    .await;
    let am = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["state"] == "AM")
        .expect("Armenia still a member");
    assert_eq!(am["participation"], "frozen");
    assert_eq!(am["participation_since"], "2024-02-22");
    let r = ok(&app, "/v1/overlap?organisations=csto,eaeu&as_of=2025-01-01").await;
    assert!(codes(&r).contains(&"AM".to_string()));
}

async fn lineage_answers_dates_before_an_organisation_from_its_predecessor(app: TestApp) {
    let plain = ok(&app, "/v1/organisations/csto/members?as_of=2000-01-01").await;
    assert!(codes(&plain).is_empty(), "the CSTO did not exist in 2000");
    let r = ok(
        &app,
        "/v1/organisations/csto/members?as_of=2000-01-01&lineage=true",
    )
    .await;
    assert_eq!(codes(&r), ["AM", "BY", "KG", "KZ", "RU", "TJ"]);
    for m in r.body["data"].as_array().unwrap() {
        assert_eq!(m["organisation"], "cst");
        assert_eq!(m["lineage"], true);
    }
    // After the founding date lineage changes nothing.
    let r = ok(
        &app,
        "/v1/organisations/csto/members?as_of=2010-01-01&lineage=true&role=member",
    )
    .await;
    assert!(
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["lineage"] == false && m["organisation"] == "csto")
    );
    let r = ok(
        &app,
        "/v1/organisations/sco/members?as_of=1998-01-01&lineage=true",
    )
    .await;
    assert_eq!(codes(&r), ["CN", "KG", "KZ", "RU", "TJ"]);
    assert!(
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["organisation"] == "s5")
    );
    let all = ok(
        &app,
        "/v1/organisations/csto/members?as_of=all&lineage=true",
    )
    .await;
    let orgs: std::collections::BTreeSet<&str> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organisation"].as_str().unwrap())
        .collect();
    assert_eq!(orgs.into_iter().collect::<Vec<_>>(), ["cst", "csto"]);
}

async fn history_lists_every_period_in_date_order(app: TestApp) {
    let r = ok(&app, "/v1/organisations/csto/history").await;
    let rows = r.body["data"].as_array().unwrap();
    let total = app
        .get("/v1/memberships?organisation=csto&limit=1")
        .await
        .body["page"]["total"]
        .as_i64()
        .unwrap();
    assert_eq!(rows.len() as i64, total);
    let dates: Vec<&str> = rows
        .iter()
        .map(|m| m["joined_on"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted);
    let uz: Vec<&Value> = rows.iter().filter(|m| m["state"] == "UZ").collect();
    assert_eq!(uz.len(), 1);
    assert_eq!(uz[0]["left_on"], "2012-12-19");
    let members = ok(&app, "/v1/organisations/csto/history?role=member").await;
    assert!(
        members.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["role"] == "member")
    );
}

async fn non_pacts_are_left_out_unless_kind_names_them(app: TestApp) {
    let r = ok(&app, "/v1/states/TM/memberships").await;
    let orgs: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organisation"].as_str().unwrap())
        .collect();
    assert!(!orgs.contains(&"tmneut"), "{orgs:?}");
    assert!(orgs.contains(&"pfp"));
    let r = ok(&app, "/v1/states/TM/memberships?kind=legal_status").await;
    let orgs: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organisation"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, ["tmneut"]);
    let r = ok(&app, "/v1/matrix?states=TM").await;
    assert!(
        !r.body["columns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["slug"] == "tmneut" || c["slug"] == "bri")
    );
    let r = ok(&app, "/v1/shared?states=TM,TM").await;
    assert!(
        !r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["organisation"] == "tmneut")
    );
}

async fn partial_member_lists_say_so(app: TestApp) {
    let r = ok(&app, "/v1/organisations/csto/members").await;
    assert_eq!(r.body["complete"], false);
    assert_eq!(r.body["organisation"]["membership_coverage"], "partial");
    assert!(
        r.body["organisation"]["size_note"]
            .as_str()
            .unwrap()
            .contains('6')
    );
    assert!(
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["membership_coverage"] == "partial")
    );
    let nato = ok(&app, "/v1/organisations/nato/members").await;
    assert_eq!(nato.body["complete"], true);
}

async fn unknown_names_are_404_and_empty_answers_are_200(app: TestApp) {
    for path in [
        "/v1/organisations/warsaw-pact/members",
        "/v1/organisations/warsaw-pact/history",
        "/v1/states/QQ/memberships",
        "/v1/states/QQQ/agreements",
        "/v1/agreements/nope/parties",
        "/v1/shared?states=KZ,QQ",
        "/v1/overlap?organisations=csto,warsaw-pact",
        "/v1/matrix?states=QQ",
        "/v1/matrix?organisations=nope",
        "/v1/states/KZ/memberships?organisation=nope",
        "/v1/organisations/%00/members",
        "/v1/organisations/a%00b/history",
        "/v1/agreements/%00/parties",
    ] {
        let r = app.get(path).await;
        r.assert_problem(404);
        let named = ["warsaw-pact", "QQ", "nope", "\\0"]
            .iter()
            .any(|n| r.body["detail"].as_str().unwrap().contains(n));
        assert!(named, "{path}: the 404 names what is unknown: {}", r.text);
    }
    // Valid names, nothing on that day: 200 with an empty list.
    let r = ok(&app, "/v1/organisations/csto/members?as_of=1990-01-01").await;
    assert_eq!(r.body["data"], json!([]));
    assert_eq!(r.body["page"]["total"], 0);
    let r = ok(&app, "/v1/shared?states=TM,CN&as_of=1993-01-01").await;
    assert_eq!(r.body["data"], json!([]));
    let r = ok(&app, "/v1/overlap?organisations=nato,csto").await;
    assert_eq!(r.body["data"], json!([]));
}

async fn bad_parameters_are_400_naming_the_parameter(app: TestApp) {
    let many = (0..21)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(",");
    for (path, param) in [
        ("/v1/organisations/csto/members?as_of=2013-1-1", "as_of"),
        ("/v1/organisations/csto/members?as_of=yesterday", "as_of"),
        ("/v1/organisations/csto/members?as_of=2013-02-30", "as_of"),
        ("/v1/organisations/csto/members?role=emperor", "role"),
        (
            "/v1/organisations/csto/members?role=member,,observer",
            "role",
        ),
        ("/v1/organisations/csto/members?region=mars", "region"),
        ("/v1/organisations/csto/members?lineage=yes", "lineage"),
        ("/v1/organisations/csto/members?colour=red", "colour"),
        ("/v1/organisations/csto/members?format=xml", "format"),
        ("/v1/states/KZ/memberships?kind=club", "kind"),
        ("/v1/shared", "states"),
        ("/v1/shared?states=", "states"),
        (&format!("/v1/shared?states={many}"), "states"),
        ("/v1/overlap", "organisations"),
        (
            &format!("/v1/overlap?organisations={many}"),
            "organisations",
        ),
        ("/v1/matrix?as_of=all", "as_of"),
        ("/v1/states?sort=colour", "sort"),
        ("/v1/states?sort=aliases", "sort"),
        ("/v1/organisations?sort=aliases", "sort"),
        ("/v1/states?q=", "q"),
    ] {
        let r = app.get(path).await;
        r.assert_problem(400);
        assert!(
            r.body["detail"].as_str().unwrap().contains(param),
            "{path}: {}",
            r.text
        );
    }
}

async fn state_agreements_and_agreement_parties_include_former_parties(app: TestApp) {
    let r = ok(&app, "/v1/agreements/cst/parties").await;
    let rows = r.body["data"].as_array().unwrap();
    let az = rows
        .iter()
        .find(|p| p["state"] == "AZ")
        .expect("Azerbaijan, a former party");
    assert_eq!(az["left_on"], "1999-04-20");
    assert_eq!(rows.iter().filter(|p| p["state"] == "UZ").count(), 2);
    let uz = ok(&app, "/v1/states/uzb/agreements").await;
    let ags: Vec<&str> = uz.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["agreement"].as_str().unwrap())
        .collect();
    assert!(
        ags.contains(&"cst") && ags.contains(&"uz-csto-2006") && ags.contains(&"us-uz-k2"),
        "{ags:?}"
    );
    let total = app.get("/v1/agreement-parties?state=UZ&limit=1").await.body["page"]["total"]
        .as_i64()
        .unwrap();
    assert_eq!(ags.len() as i64, total);
}

async fn shared_and_overlap_answer_for_the_date(app: TestApp) {
    let r = ok(&app, "/v1/shared?states=kz,KGZ&role=member").await;
    let orgs: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["organisation"].as_str().unwrap())
        .collect();
    for o in ["csto", "sco", "eaeu", "cis", "ots", "cica"] {
        assert!(orgs.contains(&o), "{o} in {orgs:?}");
    }
    assert_eq!(r.body["states"], json!(["KZ", "KG"]));
    let r = ok(&app, "/v1/shared?states=KZ,KG&as_of=2015-06-01&role=member").await;
    let orgs: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["organisation"].as_str().unwrap())
        .collect();
    assert!(!orgs.contains(&"eaeu"), "Kyrgyzstan joined the EAEU later");
    let r = ok(
        &app,
        "/v1/overlap?organisations=csto,sco&role=member&as_of=2026-03-31",
    )
    .await;
    assert_eq!(codes(&r), ["BY", "KG", "KZ", "RU", "TJ"]);
    let first = &r.body["data"][0];
    assert_eq!(first["roles"]["csto"], "member");
    assert_eq!(first["memberships"].as_array().unwrap().len(), 2);
}

async fn matrix_is_a_drawable_grid(app: TestApp) {
    let r = ok(&app, "/v1/matrix?as_of=2013-01-01&region=central_asia").await;
    let cols: Vec<&str> = r.body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    let csto = cols.iter().position(|c| *c == "csto").unwrap();
    let rows = r.body["data"].as_array().unwrap();
    assert_eq!(codes(&r), ["KG", "KZ", "TJ", "TM", "UZ"]);
    for row in rows {
        assert_eq!(row["cells"].as_array().unwrap().len(), cols.len());
    }
    let uz = rows.iter().find(|x| x["state"] == "UZ").unwrap();
    assert_eq!(uz["cells"][csto], Value::Null);
    let kz = rows.iter().find(|x| x["state"] == "KZ").unwrap();
    assert_eq!(kz["cells"][csto], "member");
    let r = ok(
        &app,
        "/v1/matrix?as_of=2008-01-01&states=UZ,KZ&organisations=csto,sco",
    )
    .await;
    assert_eq!(r.body["data"][1]["state"], "UZ");
    assert_eq!(r.body["data"][1]["cells"], json!(["member", "member"]));
    // Organisations that did not exist on the day are not columns by default.
    let r = ok(&app, "/v1/matrix?as_of=1995-01-01").await;
    let cols: Vec<&str> = r.body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert!(
        cols.contains(&"cst") && !cols.contains(&"csto") && !cols.contains(&"sco"),
        "{cols:?}"
    );
}

async fn csv(app: &TestApp, path: &str, accept: bool) -> String {
    let req = if accept {
        Request::builder()
            .uri(path)
            .header("accept", "text/csv")
            .body(Body::empty())
            .unwrap()
    } else {
        let sep = if path.contains('?') { '&' } else { '?' };
        Request::builder()
            .uri(format!("{path}{sep}format=csv"))
            .body(Body::empty())
            .unwrap()
    };
    let r = app.send(req).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    r.text
}

/// A small RFC 4180 reader for the checks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let (mut row, mut field, mut quoted, mut chars) =
        (vec![], String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(";"),
        other => other.to_string(),
    }
}

async fn csv_has_the_same_rows_as_json(app: TestApp) {
    // A note with a comma, a quote and a line break must survive the round trip.
    let patch = json!({"note": "a, \"quoted\"\nline"});
    assert_eq!(
        app.write(Method::PATCH, "/v1/memberships/15", Some(&patch))
            .await
            .status,
        200
    );
    for (path, accept) in [
        ("/v1/organisations/csto/members?as_of=2025-01-01", true),
        ("/v1/organisations/csto/history", false),
        ("/v1/memberships?organisation=csto&limit=500", false),
        ("/v1/states?region=central_asia", true),
        ("/v1/organisations", false),
        ("/v1/states/UZ/agreements", false),
        ("/v1/states/UZ/memberships?as_of=all", true),
    ] {
        let json = ok(&app, path).await;
        let rows = json.body["data"].as_array().unwrap();
        let table = parse_csv(&csv(&app, path, accept).await);
        let header = &table[0];
        assert_eq!(table.len() - 1, rows.len(), "{path}");
        for (row, line) in rows.iter().zip(&table[1..]) {
            assert_eq!(line.len(), header.len());
            for (col, value) in header.iter().zip(line) {
                assert_eq!(&cell(&row[col]), value, "{path} column {col}");
            }
        }
    }
    let matrix = parse_csv(
        &csv(
            &app,
            "/v1/matrix?region=central_asia&as_of=2013-01-01",
            false,
        )
        .await,
    );
    let json = ok(&app, "/v1/matrix?region=central_asia&as_of=2013-01-01").await;
    let cols: Vec<String> = json.body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(&matrix[0][3..], &cols[..]);
    for (row, line) in json.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&matrix[1..])
    {
        assert_eq!(line[0], row["state"].as_str().unwrap());
        let cells: Vec<String> = row["cells"].as_array().unwrap().iter().map(cell).collect();
        assert_eq!(&line[3..], &cells[..]);
    }
    let shared = parse_csv(&csv(&app, "/v1/shared?states=KZ,KG", false).await);
    assert_eq!(&shared[0][5..], ["KZ", "KG"]);
}

async fn etag_changes_after_a_write_and_not_otherwise(app: TestApp) {
    let path = "/v1/organisations/csto/members?as_of=2013-01-01";
    let first = ok(&app, path).await;
    let etag = first.header("etag").expect("ETag").to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong ETag: {etag}"
    );
    assert!(first.header("cache-control").unwrap().contains("max-age"));
    assert_eq!(
        ok(&app, path).await.header("etag"),
        Some(etag.as_str()),
        "same data, same tag"
    );
    let other = ok(&app, "/v1/organisations/sco/members?as_of=2013-01-01").await;
    assert_ne!(other.header("etag"), Some(etag.as_str()));
    let req = Request::builder()
        .uri(path)
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, 304);
    assert!(r.text.is_empty());
    // A failed write changes nothing, not even the tag.
    app.write(
        Method::PATCH,
        "/v1/states/KZ",
        Some(&json!({"confidence": "sure"})),
    )
    .await
    .assert_problem(422);
    assert_eq!(ok(&app, path).await.header("etag"), Some(etag.as_str()));
    // A write anywhere changes it.
    assert_eq!(
        app.write(Method::PATCH, "/v1/states/KZ", Some(&json!({"note": "x"})))
            .await
            .status,
        200
    );
    let after = ok(&app, path).await;
    assert_ne!(after.header("etag"), Some(etag.as_str()));
    let req = Request::builder()
        .uri(path)
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.status, 200);
    // A second app on the same database (as a second process would be) sees the same tag.
    let second = pacts::app(app.db.clone());
    let other_app = TestApp {
        router: second,
        db: app.db.clone(),
        token: app.token.clone(),
    };
    assert_eq!(
        ok(&other_app, path).await.header("etag"),
        after.header("etag")
    );
    assert_eq!(
        other_app
            .write(Method::DELETE, "/v1/memberships/16", None)
            .await
            .status,
        204
    );
    // The writing app sees its own write at once; the other within the version TTL.
    assert_ne!(
        ok(&other_app, path).await.header("etag"),
        after.header("etag")
    );
    let deleted = ok(&other_app, "/v1/memberships?organisation=csto&limit=500").await;
    tokio::time::sleep(pacts::http::version::VERSION_TTL + std::time::Duration::from_millis(50))
        .await;
    assert_ne!(ok(&app, path).await.header("etag"), after.header("etag"));
    assert_eq!(
        ok(&app, "/v1/memberships?organisation=csto&limit=500")
            .await
            .body,
        deleted.body,
        "same data in both"
    );
    // CSV and JSON of the same list have different tags.
    let req = Request::builder()
        .uri(path)
        .header("accept", "text/csv")
        .body(Body::empty())
        .unwrap();
    assert_ne!(
        app.send(req).await.header("etag"),
        ok(&app, path).await.header("etag")
    );
}

async fn search_is_case_insensitive_including_non_ascii(app: TestApp) {
    let r = ok(&app, "/v1/organisations?q=TURKIC").await;
    let slugs: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["ots"]);
    // Aliases are searched: the CSTO is also known as ODKB.
    let r = ok(&app, "/v1/organisations?q=odkb").await;
    assert_eq!(r.body["data"][0]["slug"], "csto");
    // A phrase is matched as a whole.
    assert_eq!(
        ok(&app, "/v1/organisations?q=turkic%20states").await.body["page"]["total"],
        1
    );
    assert_eq!(
        ok(&app, "/v1/organisations?q=states%20turkic").await.body["page"]["total"],
        0
    );
    // Non-ASCII text folds the same way on both backends.
    let org = json!({"slug": "ozel", "name": "Özel Güvenlik Birliği", "aliases": ["ÇAĞ"], "sources": ["seed-article"]});
    assert_eq!(
        app.write(Method::POST, "/v1/organisations", Some(&org))
            .await
            .status,
        201
    );
    for q in [
        "%C3%B6zel",
        "%C3%96ZEL",
        "g%C3%BCvenlik",
        "G%C3%9CVENLIK",
        "%C3%A7a%C4%9F",
    ] {
        let r = ok(&app, &format!("/v1/organisations?q={q}")).await;
        assert_eq!(r.body["data"][0]["slug"], "ozel", "q={q}: {}", r.text);
    }
    // LIKE wildcards are literal.
    assert_eq!(ok(&app, "/v1/states?q=%25").await.body["page"]["total"], 0);
    assert_eq!(ok(&app, "/v1/states?q=_").await.body["page"]["total"], 0);
    let r = ok(&app, "/v1/states?q=stan&region=central_asia").await;
    assert_eq!(r.body["page"]["total"], 5);
}

async fn sorting_by_fields_with_cursor_pagination(app: TestApp) {
    let r = ok(&app, "/v1/states?sort=name&limit=500").await;
    let names: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let r = ok(&app, "/v1/states?sort=-name&limit=500").await;
    let desc: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    sorted.reverse();
    assert_eq!(desc, sorted);
    // Walk a sort with nulls (left_on) page by page: same rows as one big page.
    for sort in ["left_on", "-left_on", "joined_on", "-founding", "role"] {
        let whole = ok(&app, &format!("/v1/memberships?sort={sort}&limit=500")).await;
        let all: Vec<i64> = whole.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect();
        let mut walked = vec![];
        let mut path = format!("/v1/memberships?sort={sort}&limit=40");
        loop {
            let r = ok(&app, &path).await;
            walked.extend(
                r.body["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["id"].as_i64().unwrap()),
            );
            match r.body["page"]["next_cursor"].as_str() {
                Some(c) => path = format!("/v1/memberships?sort={sort}&limit=40&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(walked, all, "sort={sort}");
        assert_eq!(all.len(), 364);
        if sort == "left_on" {
            let first_null = whole.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .position(|m| m["left_on"].is_null())
                .unwrap();
            assert!(
                whole.body["data"].as_array().unwrap()[first_null..]
                    .iter()
                    .all(|m| m["left_on"].is_null()),
                "nulls last"
            );
        }
    }
    // A cursor from one sort is refused under another.
    let r = ok(&app, "/v1/memberships?sort=joined_on&limit=5").await;
    let c = r.body["page"]["next_cursor"].as_str().unwrap();
    app.get(&format!("/v1/memberships?sort=role&cursor={c}"))
        .await
        .assert_problem(400);
}

async fn pagination_visits_every_row_once_while_rows_are_inserted(app: TestApp) {
    let mut seen = std::collections::HashMap::new();
    let mut path = "/v1/memberships?limit=25".to_string();
    let mut inserted = 0;
    loop {
        let r = ok(&app, &path).await;
        for m in r.body["data"].as_array().unwrap() {
            *seen.entry(m["id"].as_i64().unwrap()).or_insert(0) += 1;
        }
        // Someone adds a period between our page requests.
        let body = json!({"state": "KZ", "organisation": "csto", "role": "pa_observer",
                          "joined_on": format!("20{:02}-01-01", 30 + inserted), "left_on": format!("20{:02}-06-01", 30 + inserted),
                          "sources": ["seed-article"]});
        assert_eq!(
            app.write(Method::POST, "/v1/memberships", Some(&body))
                .await
                .status,
            201
        );
        inserted += 1;
        match r.body["page"]["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/memberships?limit=25&cursor={c}"),
            None => break,
        }
    }
    assert!(seen.values().all(|n| *n == 1), "a row was served twice");
    for id in 1..=364 {
        assert_eq!(seen.get(&id), Some(&1), "seeded row {id} missed");
    }
}

/// The response cache never serves an answer older than this process's own last write.
async fn cached_answers_follow_local_writes_at_once(app: TestApp) {
    let path = "/v1/organisations/csto/members?as_of=2013-01-01&role=member";
    let first = ok(&app, path).await;
    let again = ok(&app, path).await;
    assert_eq!(first.body, again.body);
    let r = app
        .write(
            Method::PATCH,
            "/v1/memberships/11",
            Some(&json!({"note": "cache check"})),
        )
        .await;
    assert_eq!(r.status, 200);
    let after = ok(&app, path).await;
    let kz = after.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["state"] == "KZ")
        .unwrap();
    assert_eq!(kz["note"], "cache check");
    // CSV and JSON are cached apart.
    let csv = app
        .send(
            Request::builder()
                .uri(path)
                .header("accept", "text/csv")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(csv.text.contains("cache check"));
    assert!(
        ok(&app, path)
            .await
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
}
