//! The seams between the layers: the database layer reports what happened in its own
//! terms, the problem catalogue is the one source of types, each endpoint accepts exactly
//! the parameters it documents, and every request's log lines carry its id and route.

use axum::http::Method;
use pacts::db::error::Constraint;
use pacts::db::{Error, Val};
use serde_json::json;

use crate::cases;
use crate::harness::{Case, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        driver_errors_arrive_classified_in_database_terms,
        every_problem_type_resolves_and_is_documented,
        every_endpoint_accepts_exactly_its_documented_query_parameters,
        question_rows_carry_every_documented_required_field,
    ]
}

async fn driver_errors_arrive_classified_in_database_terms(app: TestApp) {
    let day = || Val::Date(chrono::NaiveDate::from_ymd_opt(2000, 1, 1));
    for (sql, vals, want) in [
        (
            "insert into states (code, iso3, name) values ('KZ', 'KZX', 'Again')",
            vec![],
            Constraint::Unique,
        ),
        (
            "insert into memberships (state, organisation, role, joined_on) values ('QQ', 'csto', 'member', $1)",
            vec![day()],
            Constraint::ForeignKey,
        ),
        (
            "insert into memberships (state, organisation, role, joined_on) values ('KZ', 'csto', 'king', $1)",
            vec![day()],
            Constraint::Check,
        ),
    ] {
        let mut tx = app.db.begin_write(pacts::db::Scope::Keys).await.unwrap();
        let got = tx.execute(sql.into(), &vals).await;
        assert!(
            matches!(&got, Err(Error::Constraint { kind, .. }) if *kind == want),
            "{sql}: {got:?}"
        );
    }
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
    assert!(
        matches!(bad, Err(Error::Internal(_))),
        "a missing table is an internal fault: {bad:?}"
    );
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

/// The real binary's log, read from its standard error: two reads of one question (the
/// second from the cache) and a write that fails, each with its request id and route, the
/// access line at info, and one line for the fault.
pub fn log_trial() -> libtest_mimic::Trial {
    libtest_mimic::Trial::test(
        "log::request_logs_carry_the_request_id_and_route_and_a_fault_is_logged_once",
        || logged_requests().map_err(libtest_mimic::Failed::from),
    )
}

fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn header<'a>(resp: &'a str, name: &str) -> Option<&'a str> {
    resp.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        l.split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    })
}

fn logged_requests() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("log.db");
    let url = format!("sqlite://{}", db.display());
    let bin = env!("CARGO_BIN_EXE_pacts");
    let token = std::process::Command::new(bin)
        .args(["token", "create", "logger"])
        .env("DATABASE_URL", &url)
        .env("PACTS_LOG", "warn")
        .output()
        .map_err(|e| e.to_string())?;
    let token = String::from_utf8_lossy(&token.stdout).trim().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(bin)
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("PACTS_BIND", format!("127.0.0.1:{port}"))
        .env("PACTS_LOG", "info")
        .stderr(log)
        .spawn()
        .map_err(|e| e.to_string())?;
    let result = (|| -> Result<(), String> {
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        let path = "/v1/organisations/csto/members?as_of=2011-05-05";
        // Kept by the cache on its second sighting, answered from it on the third.
        let first = http(port, "GET", path, &[], "");
        let _ = http(port, "GET", path, &[], "");
        let second = http(port, "GET", path, &[], "");
        let ids: Vec<String> = [&first, &second]
            .iter()
            .map(|r| header(r, "x-request-id").unwrap_or_default().to_string())
            .collect();
        if ids[0].is_empty() || ids[0] == ids[1] {
            return Err(format!("request ids {ids:?}"));
        }
        // A fault: the change log's table is gone, so a write cannot be recorded.
        let sql = |q: &str| {
            let out = std::process::Command::new("python3")
                .args([
                    "-c",
                    &format!(
                        "import sqlite3; c=sqlite3.connect({:?}); c.execute({q:?}); c.commit()",
                        db.display().to_string()
                    ),
                ])
                .output()
                .map_err(|e| e.to_string())?;
            if out.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&out.stderr).to_string())
            }
        };
        sql("alter table changes rename to changes_gone")?;
        let auth = format!("Bearer {token}");
        let failed = http(
            port,
            "POST",
            "/v1/sources",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
                ("X-Request-Id", "fault-probe-1"),
            ],
            &json!({"slug": "probe", "title": "Probe"}).to_string(),
        );
        sql("alter table changes_gone rename to changes")?;
        if !failed.starts_with("HTTP/1.1 500")
            || header(&failed, "x-request-id") != Some("fault-probe-1")
        {
            return Err(format!("the fault: {failed}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        let log = std::fs::read_to_string(&log_path).map_err(|e| e.to_string())?;
        let route = "route=\"/v1/organisations/{key}/members\"";
        let line_of = |id: &str| {
            log.lines()
                .find(|l| l.contains(&format!("id={id}")) && l.contains("answered"))
                .map(str::to_string)
                .ok_or_else(|| format!("no access line for {id} in:\n{log}"))
        };
        let (a, b) = (line_of(&ids[0])?, line_of(&ids[1])?);
        for (line, cached) in [(&a, false), (&b, true)] {
            let ok = line.contains(" INFO ")
                && line.contains("status=200")
                && line.contains("method=GET")
                && line.contains(route)
                && line.contains("cache=\"hit\"") == cached;
            if !ok {
                return Err(format!("access line (cached: {cached}): {line}"));
            }
        }
        let faults: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(" ERROR ") || l.contains(" WARN "))
            .collect();
        if faults.len() != 1
            || !faults[0].contains("id=fault-probe-1")
            || !faults[0].contains("route=\"/v1/sources\"")
        {
            return Err(format!("one line per fault, with id and route:\n{log}"));
        }
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}
