//! Data releases: upgrading a live database without losing a curator's work, export and
//! its round trip, and facts that are true on the day asked (participation, founding
//! dates, ids that are never reused). Cases named `release_*` start on an empty database.

use axum::http::Method;
use serde_json::{Value, json};

use crate::cases;
use crate::harness::{Case, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        release_upgrade_keeps_every_curator_edit_and_reverts_cleanly,
        release_upgrades_started_at_once_apply_it_once,
        export_round_trip_gives_identical_answers,
        a_seeded_database_serves_exactly_the_release_items,
        participation_is_evaluated_on_the_day_asked,
        a_period_before_the_organisation_existed_is_422_unless_lineage_covers_it,
        server_ids_are_never_reused,
        lineage_follows_every_predecessor,
    ]
}

const RELEASE_1_SQL: &str = include_str!("../../seeds/releases/1.sql");

/// Every item of every collection, by collection and key.
async fn items(app: &TestApp) -> Vec<Value> {
    app.snapshot().await
}

async fn release_upgrade_keeps_every_curator_edit_and_reverts_cleanly(app: TestApp) {
    app.db.load_release_sql(RELEASE_1_SQL, 1).await.unwrap();
    assert_eq!(app.db.release_held().await.unwrap(), 1);
    assert_eq!(app.total("memberships").await, 339);
    // Release 1 dated three CICA observers before CICA was founded: check names each by id.
    let problems = app.db.check().await.unwrap().problems;
    for id in [149, 332, 333] {
        assert!(
            problems.iter().any(|p| p.starts_with(&format!("memberships {id}: starts 1999-01-01, before the organisation cica began (1999-09-14)"))),
            "{id} in {problems:?}"
        );
    }
    assert_eq!(problems.len(), 3, "{problems:?}");
    // Curator edits through the API, on rows release 2 also touches and on others.
    app.write(Method::DELETE, "/v1/claims/c06", None)
        .await
        .assert_status(204);
    app.write(Method::DELETE, "/v1/memberships/18", None)
        .await
        .assert_status(204);
    let replacement = app
        .write(
            Method::POST,
            "/v1/memberships",
            Some(
                &json!({"state": "AF", "organisation": "csto", "role": "pa_observer",
                "joined_on": "2013-01-01", "joined_precision": "year", "participation": "inactive",
                "note": "curated replacement", "sources": ["tass-2022-cstopa"]}),
            ),
        )
        .await;
    assert_eq!(replacement.status, 201, "{}", replacement.text);
    let replacement_id = replacement.body["id"].as_i64().unwrap();
    let patched = app
        .write(
            Method::PATCH,
            "/v1/memberships/76",
            Some(&json!({"note": "curator's note on Kyrgyzstan in the EAEU"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    app.write(
        Method::POST,
        "/v1/sources",
        Some(&json!({"slug": "curators-own", "title": "A source a curator added"})),
    )
    .await
    .assert_status(201);
    let edited = items(&app).await;

    // A dry run says what would happen and changes nothing.
    let plan = app.db.upgrade(true).await.unwrap();
    assert_eq!((plan.from, plan.to), (1, 2));
    assert!(plan.batch.is_none());
    assert_eq!(items(&app).await, edited, "a dry run writes nothing");

    let report = app.db.upgrade(false).await.unwrap();
    assert_eq!(report.added.len(), plan.added.len());
    assert_eq!(report.conflicts.len(), plan.conflicts.len());
    assert_eq!(app.db.release_held().await.unwrap(), 2);
    let conflict_keys: Vec<(String, String, String)> = report
        .conflicts
        .iter()
        .map(|c| (c.collection.to_string(), c.key.clone(), c.field.clone()))
        .collect();
    for want in [
        ("claims", "c06", "*"),
        ("memberships", "18", "*"),
        ("memberships", "76", "note"),
    ] {
        assert!(
            conflict_keys.contains(&(want.0.into(), want.1.into(), want.2.into())),
            "{want:?} reported in {conflict_keys:?}"
        );
    }
    // Every edit survives.
    app.get("/v1/claims/c06").await.assert_problem(404);
    app.get("/v1/memberships/18").await.assert_problem(404);
    let kept = app.get(&format!("/v1/memberships/{replacement_id}")).await;
    assert_eq!(kept.body["note"], "curated replacement");
    let m76 = app.get("/v1/memberships/76").await.body;
    assert_eq!(m76["note"], "curator's note on Kyrgyzstan in the EAEU");
    // …while the release's other change to that row (not in conflict) is applied.
    assert_eq!(m76["joined_on"], "2015-08-06");
    assert_eq!(app.get("/v1/sources/curators-own").await.status, 200);
    // Release 2's additions and changes elsewhere are in.
    assert_eq!(
        app.get("/v1/organisations/eurasec").await.body["successor"],
        "eaeu"
    );
    assert_eq!(
        app.get("/v1/organisations/eaeu").await.body["predecessor"],
        "eurasec"
    );
    let cica_us = app.get("/v1/memberships/149").await.body;
    assert_eq!(cica_us["joined_on"], "1999-09-14");
    assert_eq!(app.total("organisations").await, 21);
    let check = app.db.check().await.unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    // The upgrade is one batch in the change log; reverting it returns to release 1 plus
    // the curator's edits.
    let batch = report.batch.clone().unwrap();
    let log = app
        .write(
            Method::GET,
            &format!("/v1/changes?batch={batch}&limit=1"),
            None,
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.text);
    // One change per row written; an added organisation that names another is written
    // twice (its links are set once every added row exists).
    let total = log.body["page"]["total"].as_i64().unwrap() as usize;
    let rows = report.added.len() + report.changed.len();
    let orgs = report
        .added
        .iter()
        .filter(|(c, _)| *c == "organisations")
        .count();
    assert!(
        (rows..=rows + orgs).contains(&total),
        "{total} changes for {rows} rows"
    );
    assert_eq!(log.body["data"][0]["token"], "release 2");
    let id = log.body["data"][0]["id"].as_i64().unwrap();
    let undone = app
        .write(Method::POST, &format!("/v1/changes/{id}/revert"), None)
        .await;
    assert_eq!(undone.status, 200, "{}", undone.text);
    assert_eq!(
        items(&app).await,
        edited,
        "release 1 plus the curator's edits"
    );
    assert_eq!(app.db.release_held().await.unwrap(), 1);
    // Upgrading again applies it again, the same way.
    let again = app.db.upgrade(false).await.unwrap();
    assert_eq!(again.added.len(), report.added.len());
    assert_eq!(again.conflicts.len(), report.conflicts.len());
    assert_eq!(
        app.db.upgrade(false).await.unwrap().batch,
        None,
        "idempotent"
    );
}

/// Questions whose answers must survive export → generate → load unchanged.
const QUESTIONS: &[&str] = &[
    "/v1/organisations/csto/members?as_of=2013-01-01",
    "/v1/organisations/eaeu/members?as_of=2010-01-01&lineage=true",
    "/v1/organisations/sco/history",
    "/v1/states/UZ/memberships?as_of=all",
    "/v1/states/KZ/agreements",
    "/v1/agreements/cst/parties",
    "/v1/shared?states=KZ,KG&as_of=2026-03-31",
    "/v1/overlap?organisations=csto,sco",
    "/v1/matrix?as_of=2013-01-01",
    "/v1/claims",
];

async fn export_round_trip_gives_identical_answers(app: TestApp) {
    let mut before = Vec::new();
    for q in QUESTIONS {
        let r = app.get(q).await;
        assert_eq!(r.status, 200, "{q}");
        before.push(r.body);
    }
    let all_before = items(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let n = pacts::db::export::export(&app.db, dir.path())
        .await
        .unwrap();
    assert_eq!(n, all_before.len());
    let sql_path = dir.path().join("round-trip.sql");
    let out = std::process::Command::new("python3")
        .arg(format!("{}/seeds/generate.py", env!("CARGO_MANIFEST_DIR")))
        .args([
            "--reference",
            dir.path().to_str().unwrap(),
            "--sql",
            sql_path.to_str().unwrap(),
        ])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Empty the database, then load what the generator made of the export.
    let mut tx = app.db.begin_write(pacts::db::Scope::Keys).await.unwrap();
    tx.execute_script(
        "delete from state_sources; delete from organisation_sources; delete from agreement_sources;
         delete from membership_sources; delete from agreement_party_sources; delete from claim_sources;
         delete from memberships; delete from agreement_parties; delete from claims; delete from agreements;
         update organisations set predecessor = null, successor = null, parent = null;
         delete from organisations; delete from states; delete from sources;",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.total("states").await, 0);
    let sql = std::fs::read_to_string(&sql_path).unwrap();
    app.db.load_release_sql(&sql, 2).await.unwrap();
    assert_eq!(items(&app).await, all_before, "every item identical");
    for (q, want) in QUESTIONS.iter().zip(before) {
        assert_eq!(app.get(q).await.body, want, "{q}");
    }
}

async fn participation_is_evaluated_on_the_day_asked(app: TestApp) {
    let armenia = |body: &Value| -> Value {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["state"] == "AM" && r["role"] == "member")
            .map(|r| r["participation"].clone())
            .unwrap_or(Value::Null)
    };
    let old = app
        .get("/v1/organisations/csto/members?as_of=2005-06-01")
        .await;
    assert_eq!(armenia(&old.body), "active", "the freeze began 2024-02-22");
    let day_before = app
        .get("/v1/organisations/csto/members?as_of=2024-02-21")
        .await;
    assert_eq!(armenia(&day_before.body), "active");
    let on_the_day = app
        .get("/v1/organisations/csto/members?as_of=2024-02-22")
        .await;
    assert_eq!(armenia(&on_the_day.body), "frozen");
    let csv = app
        .get("/v1/organisations/csto/members.csv?as_of=2005-06-01")
        .await;
    let header: Vec<&str> = csv.text.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "participation").unwrap();
    let am = csv
        .text
        .lines()
        .find(|l| l.starts_with(&format!("{},AM,", armenia_id(&old.body))))
        .unwrap();
    assert_eq!(am.split(',').nth(col), Some("active"), "{am}");
    // The matrix shows the participation beside the cell.
    let m = app
        .get("/v1/matrix?states=AM&organisations=csto&as_of=2025-01-01")
        .await;
    assert_eq!(m.body["data"][0]["cells"][0], "member");
    assert_eq!(m.body["data"][0]["participation"][0], "frozen");
    let m = app
        .get("/v1/matrix?states=AM&organisations=csto&as_of=2010-01-01")
        .await;
    assert_eq!(m.body["data"][0]["participation"][0], Value::Null);
    // A state's own view agrees.
    let own = app
        .get("/v1/states/AM/memberships?as_of=2010-01-01&organisation=csto")
        .await;
    assert_eq!(own.body["data"][0]["participation"], "active");
}

fn armenia_id(body: &Value) -> i64 {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["state"] == "AM" && r["role"] == "member")
        .and_then(|r| r["membership_id"].as_i64())
        .unwrap()
}

async fn a_period_before_the_organisation_existed_is_422_unless_lineage_covers_it(app: TestApp) {
    let body = |org: &str, joined: &str| {
        json!({"state": "MN", "organisation": org, "role": "observer", "joined_on": joined,
               "sources": ["seed-article"]})
    };
    let r = app
        .write(
            Method::POST,
            "/v1/memberships",
            Some(&body("cica", "1999-01-01")),
        )
        .await;
    r.assert_problem(422);
    assert!(
        r.error_fields().contains(&"joined_on".to_string()),
        "{}",
        r.text
    );
    assert!(
        r.body["detail"].as_str().unwrap().contains("1999-09-14"),
        "{}",
        r.text
    );
    // The EAEU began 2015, but its predecessor EurAsEC in 2000: 2003 is covered.
    let ok = app
        .write(
            Method::POST,
            "/v1/memberships",
            Some(&body("eaeu", "2003-01-01")),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    app.write(
        Method::POST,
        "/v1/memberships",
        Some(&body("eaeu", "1999-01-01")),
    )
    .await
    .assert_problem(422);
    // An agreement party may not sign before the agreement was signed.
    let party = app
        .write(
            Method::POST,
            "/v1/agreement-parties",
            Some(
                &json!({"agreement": "cst", "state": "MN", "role": "signatory",
                          "signed_on": "1980-01-01", "sources": ["seed-article"]}),
            ),
        )
        .await;
    party.assert_problem(422);
    assert!(app.db.check().await.unwrap().problems.is_empty());
}

async fn server_ids_are_never_reused(app: TestApp) {
    let body = json!({"state": "KZ", "organisation": "csto", "role": "pa_observer",
                      "joined_on": "2003-01-01", "left_on": "2003-02-01", "sources": ["seed-article"]});
    let first = app
        .write(Method::POST, "/v1/memberships", Some(&body))
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let id = first.body["id"].as_i64().unwrap();
    assert!(
        id >= 100_000,
        "server ids start above every release id: {id}"
    );
    app.write(Method::DELETE, &format!("/v1/memberships/{id}"), None)
        .await
        .assert_status(204);
    let second = app
        .write(Method::POST, "/v1/memberships", Some(&body))
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert!(
        second.body["id"].as_i64().unwrap() > id,
        "a deleted id is not handed out again"
    );
    // The highest id deleted: still not reused.
    let top = second.body["id"].as_i64().unwrap();
    app.write(Method::DELETE, &format!("/v1/memberships/{top}"), None)
        .await
        .assert_status(204);
    let third = app
        .write(Method::POST, "/v1/memberships", Some(&body))
        .await;
    assert!(third.body["id"].as_i64().unwrap() > top);
}

async fn lineage_follows_every_predecessor(app: TestApp) {
    // On 2010-01-01 the EAEU did not exist; its predecessor EurAsEC did.
    let r = app
        .get("/v1/organisations/eaeu/members?as_of=2010-01-01&lineage=true")
        .await;
    assert_eq!(r.status, 200);
    let rows = r.body["data"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|m| m["organisation"] == "eurasec" && m["lineage"] == true)
    );
    let states: Vec<&str> = rows
        .iter()
        .filter(|m| m["role"] == "member")
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    for s in ["BY", "KZ", "KG", "RU", "TJ"] {
        assert!(states.contains(&s), "{s} in EurAsEC in 2010: {states:?}");
    }
    // Without lineage the question is answered for the EAEU alone: nobody yet.
    let plain = app
        .get("/v1/organisations/eaeu/members?as_of=2010-01-01")
        .await;
    assert_eq!(plain.body["data"].as_array().unwrap().len(), 0);
    // Every period of every predecessor joins an `all` answer.
    let all = app
        .get("/v1/organisations/eaeu/members?as_of=all&lineage=true")
        .await;
    assert!(
        all.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["organisation"] == "eurasec")
    );
}

/// Processes starting together over one database (here: four upgrades at once on one
/// pool) apply a release once: the upgrade runs under the write lock and reads the release
/// held inside it.
async fn release_upgrades_started_at_once_apply_it_once(app: TestApp) {
    app.db.load_release_sql(RELEASE_1_SQL, 1).await.unwrap();
    let (a, b, c, d) = tokio::join!(
        app.db.upgrade(false),
        app.db.upgrade(false),
        app.db.upgrade(false),
        app.db.upgrade(false)
    );
    let reports = [a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()];
    let applied: Vec<_> = reports.iter().filter(|r| r.batch.is_some()).collect();
    assert_eq!(applied.len(), 1, "exactly one applies the release");
    assert_eq!(app.db.release_held().await.unwrap(), 2);
    assert_eq!(app.total("memberships").await, 364);
    let log = app
        .write(Method::GET, "/v1/changes?token=release%202&limit=1", None)
        .await;
    let total = log.body["page"]["total"].as_i64().unwrap() as usize;
    let rows = applied[0].added.len() + applied[0].changed.len();
    assert!(
        total >= rows && total <= rows + 4,
        "one batch of changes: {total}"
    );
    assert!(app.db.check().await.unwrap().problems.is_empty());
}

/// The upgrade compares the database with the embedded release items, so the two must
/// agree to the value: every item of release 2 is served exactly, and nothing else.
async fn a_seeded_database_serves_exactly_the_release_items(app: TestApp) {
    let release: Value = serde_json::from_str(include_str!("../../seeds/releases/2.json")).unwrap();
    let mut n = 0;
    for res in pacts::model::RESOURCES {
        let items = release["collections"][res.name].as_array().unwrap();
        assert_eq!(
            app.total(res.name).await as usize,
            items.len(),
            "{}",
            res.name
        );
        for item in items {
            let key = match &item[res.key] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let served = app.get(&format!("/v1/{}/{key}", res.name)).await;
            assert_eq!(served.body, *item, "{} {key}", res.name);
            n += 1;
        }
    }
    assert_eq!(n, 986);
}
