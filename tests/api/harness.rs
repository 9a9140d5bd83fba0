//! Test scaffolding: a fresh seeded database per case on the chosen backend, the app
//! built on it, and small helpers to send requests in-process.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use libtest_mimic::{Failed, Trial};
use pacts::db::{Db, tokens};
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use tower::ServiceExt;

pub type CaseFn = fn(TestApp) -> Pin<Box<dyn Future<Output = ()> + Send>>;

pub struct Case {
    pub name: &'static str,
    pub run: CaseFn,
}

/// Register async test functions: `cases![a, b, c]`.
#[macro_export]
macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        vec![$($crate::harness::Case { name: stringify!($name), run: |app| Box::pin($name(app)) }),*]
    };
}

#[derive(Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// One case's world: its own database, the app over it, and a live write token.
pub struct TestApp {
    pub db: Db,
    pub router: Router,
    pub token: String,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Assert a problem+json error with this status that leaks nothing internal.
    #[track_caller]
    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "status for body {}",
            self.text
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        assert_eq!(self.body["status"], status, "{}", self.text);
        for key in ["type", "title", "detail"] {
            assert!(
                self.body[key].as_str().is_some_and(|s| !s.is_empty()),
                "problem lacks {key}: {}",
                self.text
            );
        }
        assert_no_leak(&self.text);
        self
    }
    /// Assert the status, showing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        self
    }
    /// The field names in a 422's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// No SQL, driver text, file path or panic text in a response.
#[track_caller]
pub fn assert_no_leak(text: &str) {
    let lower = text.to_lowercase();
    for needle in [
        "select ",
        "insert into",
        "sqlx",
        "sqlite",
        "postgres",
        "constraint",
        "syntax error",
        "panicked",
        "/work/",
        "src/",
        ".rs:",
        "stack backtrace",
        "sqlstate",
    ] {
        assert!(!lower.contains(needle), "response leaks {needle:?}: {text}");
    }
}

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(b).unwrap()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request(Method::GET, path, None, None).await
    }
    /// A write with the case's valid token.
    pub async fn write(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        self.request(method, path, body, Some(&self.token)).await
    }
    pub async fn total(&self, collection: &str) -> i64 {
        let r = self.get(&format!("/v1/{collection}?limit=1")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["page"]["total"].as_i64().expect("total")
    }
    /// Every collection's full contents, for "nothing changed" checks.
    pub async fn snapshot(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for res in pacts::model::RESOURCES {
            let mut cursor: Option<String> = None;
            loop {
                let path = match &cursor {
                    Some(c) => format!("/v1/{}?limit=500&cursor={c}", res.name),
                    None => format!("/v1/{}?limit=500", res.name),
                };
                let r = self.get(&path).await;
                assert_eq!(r.status, 200, "{}", r.text);
                out.extend(r.body["data"].as_array().unwrap().iter().cloned());
                match r.body["page"]["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => break,
                }
            }
        }
        out
    }
}

/// The raw bytes of an answer (for compressed bodies).
pub async fn raw_body(app: &TestApp, req: Request<Body>) -> Vec<u8> {
    let resp = app.router.clone().oneshot(req).await.expect("infallible");
    resp.into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec()
}

/// Build a fresh, migrated database for one case and run it; seeded with the shipped
/// release unless `seed` is false (cases that load an earlier release themselves).
pub fn run(backend: Backend, f: CaseFn, seed: bool) -> Result<(), Failed> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failed::from(e.to_string()))?;
    rt.block_on(async move {
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (db, cleanup) = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", tmp.path().join("pacts.db").display());
                (Db::connect(&url).await.map_err(|e| e.to_string())?, None)
            }
            Backend::Postgres(url) => {
                let schema = format!("t_{}", random_hex());
                let admin = Db::connect(&url)
                    .await
                    .map_err(|e| format!("TEST_DATABASE_URL: {e}"))?;
                exec(&admin, &format!("create schema {schema}")).await?;
                let opts = PgConnectOptions::from_str(&url)
                    .map_err(|e| e.to_string())?
                    .options([("search_path", schema.as_str())]);
                let db = Db::connect_postgres(opts)
                    .await
                    .map_err(|e| e.to_string())?;
                (db, Some((admin, schema)))
            }
        };
        db.migrate().await.map_err(|e| e.to_string())?;
        if seed {
            db.seed().await.map_err(|e| e.to_string())?;
        }
        let token = tokens::create(&db, "tester")
            .await
            .map_err(|e| e.to_string())?
            .token;
        let app = TestApp {
            router: pacts::app(db.clone()),
            db: db.clone(),
            token,
        };
        let outcome = tokio::spawn(f(app)).await;
        db.close().await;
        if let Some((admin, schema)) = cleanup {
            exec(&admin, &format!("drop schema {schema} cascade")).await?;
        }
        match outcome {
            Ok(()) => Ok(()),
            Err(e) if e.is_panic() => {
                let p = e.into_panic();
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panicked".into());
                Err(Failed::from(msg))
            }
            Err(e) => Err(Failed::from(e.to_string())),
        }
    })
}

async fn exec(db: &Db, sql: &str) -> Result<(), Failed> {
    db.admin_exec(sql)
        .await
        .map_err(|e| Failed::from(e.to_string()))
}

pub fn random_hex() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("random");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Checks of the repository itself, run once.
pub fn static_trials() -> Vec<Trial> {
    vec![
        Trial::test("repo::migration_folders_stay_paired", || {
            let names = |d: &str| -> Result<Vec<String>, Failed> {
                let mut v: Vec<String> =
                    std::fs::read_dir(format!("{}/migrations/{d}", env!("CARGO_MANIFEST_DIR")))
                        .map_err(|e| e.to_string())?
                        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
                        .collect();
                v.sort();
                Ok(v)
            };
            let (a, b) = (names("sqlite")?, names("postgres")?);
            if a.is_empty() || a != b {
                return Err(format!(
                    "migrations/sqlite {a:?} and migrations/postgres {b:?} differ"
                )
                .into());
            }
            Ok(())
        }),
        Trial::test("repo::seed_sql_is_generated_from_the_reference_csv", || {
            let out = std::process::Command::new("python3")
                .arg(format!("{}/seeds/generate.py", env!("CARGO_MANIFEST_DIR")))
                .arg("--check")
                .output()
                .map_err(|e| format!("python3 is needed to check the seed: {e}"))?;
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).to_string().into());
            }
            Ok(())
        }),
    ]
}
