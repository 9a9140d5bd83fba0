//! Events, counts and diff (checked by hand against seeds/reference/memberships.csv, rows
//! named in comments), and `limit`/`cursor` on the question endpoints.

use axum::http::Method;
use serde_json::{Value, json};

use crate::cases;
use crate::harness::{Resp, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        events_sco_status_merger_is_sixteen_role_changes,
        events_cst_becoming_the_csto_is_one_succession_per_state,
        events_exits_participation_and_filters,
        events_bad_input,
        events_see_a_write_at_once,
        counts_sco_members_per_year_and_month,
        diff_central_asia_between_2012_and_2013,
        question_pages_add_up_to_the_whole_answer,
        question_cursor_after_a_write_is_a_conflict,
        time_questions_cut_their_own_pages,
    ]
}

use crate::harness::Case;

fn rows(r: &Resp) -> &Vec<Value> {
    r.body["data"].as_array().expect("data")
}

fn col<'a>(r: &'a Resp, key: &str) -> Vec<&'a str> {
    rows(r)
        .iter()
        .map(|x| x[key].as_str().unwrap_or(""))
        .collect()
}

async fn ok(app: &TestApp, path: &str) -> Resp {
    let r = app.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r
}

/// M034, M038, M040, M042–M054 end 2025-09-01 with status_merged_into_partner and their
/// states start as partners that day: 16 role changes, and Laos joins as a new partner.
async fn events_sco_status_merger_is_sixteen_role_changes(app: TestApp) {
    let r = ok(
        &app,
        "/v1/events?organisation=sco&from=2025-09-01&to=2025-09-01",
    )
    .await;
    let kinds = col(&r, "kind");
    assert_eq!(kinds.iter().filter(|k| **k == "role_change").count(), 16);
    assert!(!kinds.contains(&"exit"), "{}", r.text);
    let joins: Vec<&str> = rows(&r)
        .iter()
        .filter(|e| e["kind"] == "join")
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(joins, ["LA"]);
    let mn = rows(&r).iter().find(|e| e["state"] == "MN").unwrap();
    assert_eq!(mn["previous_role"], "observer");
    assert_eq!(mn["role"], "partner");
    assert_eq!(mn["end_reason"], "status_merged_into_partner");
    assert_eq!(mn["end_category"], "transition");
    assert!(mn["previous_membership"].as_i64().is_some());
    let sources = mn["sources"].as_array().unwrap();
    assert!(sources.contains(&json!("informkz-2017-mn")), "{mn}");
    assert!(sources.contains(&json!("interfax-2025-sco")), "{mn}");
}

/// M001–M005 and M009 end 2002-10-07 (transformed_into_csto); the CSTO periods start
/// that day. Asked about the CSTO alone, the successions still show (they touch it).
async fn events_cst_becoming_the_csto_is_one_succession_per_state(app: TestApp) {
    let r = ok(
        &app,
        "/v1/events?organisation=csto&from=2002-10-07&to=2002-10-07",
    )
    .await;
    assert_eq!(col(&r, "state"), ["AM", "BY", "KG", "KZ", "RU", "TJ"]);
    for e in rows(&r) {
        assert_eq!(e["kind"], "succession", "{e}");
        assert_eq!(e["organisation"], "csto");
        assert_eq!(e["previous_organisation"], "cst");
        assert_eq!(e["end_category"], "end_of_organisation");
    }
    let cst = ok(&app, "/v1/events?organisation=cst&kind=exit").await;
    assert!(
        !col(&cst, "date").contains(&"2002-10-07"),
        "the CST's end is not an exit of its members: {}",
        cst.text
    );
}

/// Uzbekistan's CSTO period ends 2012-12-19 (M016: suspended, an exit); Armenia's CSTO
/// participation is frozen since 2024-02-22.
async fn events_exits_participation_and_filters(app: TestApp) {
    let r = ok(&app, "/v1/events?state=UZ&organisation=csto").await;
    let exit = rows(&r).iter().find(|e| e["kind"] == "exit").expect("exit");
    assert_eq!(exit["date"], "2012-12-19");
    assert_eq!(exit["role"], Value::Null);
    assert_eq!(exit["previous_role"], "member");
    assert_eq!(exit["end_category"], "exit");
    let dates = col(&r, "date");
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted, "events are in date order");

    let p = ok(&app, "/v1/events?kind=participation_change&state=AM").await;
    let frozen = rows(&p)
        .iter()
        .find(|e| e["organisation"] == "csto")
        .expect("frozen");
    assert_eq!(frozen["date"], "2024-02-22");
    assert_eq!(frozen["participation"], "frozen");

    let ca = ok(
        &app,
        "/v1/events?region=central_asia&kind=join&to=1992-12-31",
    )
    .await;
    assert!(!rows(&ca).is_empty());
    assert!(rows(&ca).iter().all(|e| e["region"] == "central_asia"));
    assert!(col(&ca, "date").iter().all(|d| *d <= "1992-12-31"));

    let csv = ok(&app, "/v1/events.csv?state=UZ&organisation=csto").await;
    assert!(csv.text.starts_with("date,date_precision,kind,state,"));
    assert_eq!(csv.text.lines().count(), rows(&r).len() + 1);
}

async fn events_bad_input(app: TestApp) {
    app.get("/v1/events?kind=joined").await.assert_problem(400);
    app.get("/v1/events?from=2013-13-01")
        .await
        .assert_problem(400);
    app.get("/v1/events?from=2014-01-01&to=2013-01-01")
        .await
        .assert_problem(400);
    app.get("/v1/events?organisation=nope")
        .await
        .assert_problem(404);
    app.get("/v1/events?colour=red").await.assert_problem(400);
    app.get("/v1/diff?from=2013-01-01")
        .await
        .assert_problem(400);
    app.get("/v1/organisations/nope/counts")
        .await
        .assert_problem(404);
    app.get("/v1/organisations/sco/counts?by=week")
        .await
        .assert_problem(400);
}

async fn events_see_a_write_at_once(app: TestApp) {
    let w = app
        .write(
            Method::POST,
            "/v1/memberships",
            Some(
                &json!({"state": "TM", "organisation": "sco", "role": "observer",
                "joined_on": "2030-01-01", "sources": ["seed-article"]}),
            ),
        )
        .await;
    w.assert_status(201);
    let r = ok(&app, "/v1/events?state=TM&from=2030-01-01").await;
    assert_eq!(col(&r, "kind"), ["join"]);
    assert_eq!(rows(&r)[0]["membership"], w.body["id"]);
}

/// SCO members (role=member): the six founders on 2001-06-15; India and Pakistan
/// 2017-06-09 (M035, M036 upgraded); Iran 2023-07-04; Belarus 2024-07-04.
async fn counts_sco_members_per_year_and_month(app: TestApp) {
    let r = ok(&app, "/v1/organisations/sco/counts?role=member").await;
    let by_year = |y: &str| rows(&r).iter().find(|c| c["period"] == y).cloned().unwrap();
    assert_eq!(rows(&r)[0]["period"], "2001");
    let y2001 = by_year("2001");
    assert_eq!(y2001["count_at_start"], 0);
    assert_eq!(y2001["count_at_end"], 6);
    assert_eq!(y2001["changed_on"], json!(["2001-06-15"]));
    let y2017 = by_year("2017");
    assert_eq!(
        (
            y2017["count_at_start"].clone(),
            y2017["count_at_end"].clone()
        ),
        (json!(6), json!(8))
    );
    assert_eq!(y2017["joined"], json!(["IN", "PK"]));
    assert_eq!(y2017["changed_on"], json!(["2017-06-09"]));
    assert_eq!(by_year("2023")["joined"], json!(["IR"]));
    assert_eq!(by_year("2024")["count_at_end"], 10);
    assert_eq!(by_year("2016")["changed_on"], json!([]));
    assert_eq!(r.body["by"], "year");

    let m = ok(&app, "/v1/organisations/sco/counts?by=month&role=member").await;
    let june = rows(&m).iter().find(|c| c["period"] == "2017-06").unwrap();
    assert_eq!(june["first_day"], "2017-06-01");
    assert_eq!(june["last_day"], "2017-06-30");
    assert_eq!(june["joined"], json!(["IN", "PK"]));

    // Any role: the SCO's observers and partners count too.
    let all = ok(&app, "/v1/organisations/sco/counts").await;
    let any_2020 = rows(&all).iter().find(|c| c["period"] == "2020").unwrap();
    assert!(any_2020["count_at_end"].as_i64().unwrap() > 8, "{any_2020}");
}

/// Uzbekistan's CSTO membership ends 2012-12-19: between 2012-01-01 and 2013-01-01 that
/// is the only Central Asian cell that changed.
async fn diff_central_asia_between_2012_and_2013(app: TestApp) {
    let r = ok(
        &app,
        "/v1/diff?from=2012-01-01&to=2013-01-01&region=central_asia",
    )
    .await;
    assert_eq!(rows(&r).len(), 1, "{}", r.text);
    let c = &rows(&r)[0];
    assert_eq!(
        (
            c["state"].as_str(),
            c["organisation"].as_str(),
            c["change"].as_str()
        ),
        (Some("UZ"), Some("csto"), Some("left"))
    );
    assert_eq!(c["from_role"], "member");
    assert_eq!(c["to_role"], Value::Null);
    // The other way round, the cell is joined.
    let back = ok(
        &app,
        "/v1/diff?from=2013-01-01&to=2012-01-01&region=central_asia",
    )
    .await;
    assert_eq!(rows(&back)[0]["change"], "joined");
    // SCO observers becoming partners are role changes.
    let sco = ok(
        &app,
        "/v1/diff?from=2025-08-31&to=2025-09-01&organisations=sco",
    )
    .await;
    let changes = col(&sco, "change");
    assert_eq!(changes.iter().filter(|c| **c == "role_changed").count(), 16);
    let same = ok(&app, "/v1/diff?from=2013-01-01&to=2013-01-01").await;
    assert!(rows(&same).is_empty());
    let csv = ok(
        &app,
        "/v1/diff.csv?from=2012-01-01&to=2013-01-01&region=central_asia",
    )
    .await;
    assert!(
        csv.text
            .starts_with("state,state_name,region,organisation,")
    );
    assert_eq!(csv.text.lines().count(), 2);
}

/// Pages of a question, followed through `next_cursor` (and the `Link` header), add up
/// to the answer asked for whole, in JSON and in CSV.
async fn question_pages_add_up_to_the_whole_answer(app: TestApp) {
    for path in [
        "/v1/organisations/nato/history",
        "/v1/events?organisation=sco",
        "/v1/matrix?as_of=2013-01-01",
        "/v1/organisations/csto/counts?by=month",
        "/v1/diff?from=1990-01-01&to=2026-01-01",
    ] {
        let whole = ok(&app, path).await;
        let total = rows(&whole).len();
        assert!(total > 7, "{path}");
        let mut got: Vec<Value> = Vec::new();
        let mut next = Some(format!(
            "{path}{}limit=7",
            if path.contains('?') { "&" } else { "?" }
        ));
        let mut pages = 0;
        while let Some(p) = next.take() {
            let r = ok(&app, &p).await;
            assert_eq!(r.body["page"]["total"], total, "{p}");
            assert_eq!(r.body["page"]["limit"], 7);
            assert!(rows(&r).len() <= 7);
            got.extend(rows(&r).iter().cloned());
            if let Some(c) = r.body["page"]["next_cursor"].as_str() {
                let link = r.header("link").expect("Link header").to_string();
                assert!(link.contains(c) && link.ends_with("rel=\"next\""), "{link}");
                let target = link.trim_start_matches('<').split('>').next().unwrap();
                next = Some(target.to_string());
            }
            pages += 1;
        }
        assert_eq!(pages, total.div_ceil(7), "{path}");
        assert_eq!(&got, rows(&whole), "{path}");
    }
    let csv_whole = ok(&app, "/v1/organisations/nato/history.csv").await;
    let first = ok(&app, "/v1/organisations/nato/history.csv?limit=5").await;
    let lines: Vec<&str> = csv_whole.text.split_inclusive("\r\n").collect();
    assert_eq!(first.text, lines[..6].concat());
    assert_eq!(
        first.header("x-total-count"),
        Some((lines.len() - 1).to_string().as_str())
    );
    assert!(first.header("link").is_some());
    app.get("/v1/organisations/nato/history?limit=0")
        .await
        .assert_problem(400);
    app.get("/v1/organisations/nato/history?limit=501")
        .await
        .assert_problem(400);
    app.get("/v1/organisations/nato/history?cursor=zz")
        .await
        .assert_problem(400);
    let all = ok(&app, "/v1/organisations/nato/history?limit=all").await;
    assert_eq!(
        rows(&all),
        rows(&ok(&app, "/v1/organisations/nato/history").await)
    );
}

/// The time questions write only the rows of the page asked for (the layer does not
/// write their whole answer and slice it): `/metrics` counts pages by who cut them.
async fn time_questions_cut_their_own_pages(app: TestApp) {
    let counter = |text: &str, cut: &str| -> u64 {
        let name = format!("pacts_question_pages_total{{cut=\"{cut}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(name.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics"))
    };
    let before = ok(&app, "/metrics").await.text;
    for path in [
        "/v1/events?limit=3",
        "/v1/organisations/sco/counts?limit=3",
        "/v1/diff?from=2012-01-01&to=2013-01-01&limit=1",
        "/v1/organisations/nato/history?limit=3",
    ] {
        ok(&app, path).await;
    }
    let after = ok(&app, "/metrics").await.text;
    assert_eq!(counter(&after, "handler") - counter(&before, "handler"), 3);
    assert_eq!(counter(&after, "layer") - counter(&before, "layer"), 1);
}

async fn question_cursor_after_a_write_is_a_conflict(app: TestApp) {
    let r = ok(&app, "/v1/organisations/nato/history?limit=5").await;
    let cursor = r.body["page"]["next_cursor"].as_str().unwrap().to_string();
    app.write(
        Method::POST,
        "/v1/memberships",
        Some(
            &json!({"state": "TM", "organisation": "sco", "role": "observer",
            "joined_on": "2030-01-01", "sources": ["seed-article"]}),
        ),
    )
    .await
    .assert_status(201);
    app.get(&format!(
        "/v1/organisations/nato/history?limit=5&cursor={cursor}"
    ))
    .await
    .assert_problem(409);
}
