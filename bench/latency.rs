//! In-process latency of every read and question on the seeded database: the router is
//! driven with `oneshot`, no socket, so the figures are handler + database time.
//!
//!   cargo run --release --example latency                        # SQLite (temporary file)
//!   BENCH_DATABASE_URL=postgres://… cargo run --release --example latency
//!
//! Prints one line per request: median and p99 over the rounds, in microseconds. The
//! response cache is turned off, so every request runs its queries.

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

const ROUNDS: usize = 400;

const REQUESTS: &[&str] = &[
    "/v1/states/KZ",
    "/v1/states?region=central_asia",
    "/v1/memberships?organisation=csto&limit=50",
    "/v1/organisations?q=turkic",
    "/v1/organisations/csto/members?as_of=2013-01-01",
    "/v1/organisations/csto/members?as_of=2000-01-01&lineage=true",
    "/v1/organisations/sco/history",
    "/v1/states/TM/memberships?as_of=2026-03-31",
    "/v1/states/UZ/agreements",
    "/v1/agreements/cst/parties",
    "/v1/shared?states=KZ,KG&as_of=2026-03-31",
    "/v1/overlap?organisations=csto,sco&as_of=2026-03-31",
    "/v1/matrix?as_of=2026-03-31&region=central_asia",
    "/v1/matrix?as_of=2026-03-31",
    "/v1/organisations/csto/members?as_of=2013-01-01&format=csv",
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let db = pacts::db::Db::connect(&url).await?;
    db.migrate().await?;
    if db.is_empty().await? {
        db.seed().await?;
    }
    // The response cache is off: these figures are what a request costs when it runs.
    let app = pacts::app_with(
        db.clone(),
        pacts::Options {
            cache_bytes: Some(0),
            ..Default::default()
        },
    );
    println!(
        "backend: {}   rounds: {ROUNDS}   {}",
        db.backend(),
        chrono::Utc::now().format("%Y-%m-%d")
    );
    println!("{:<66} {:>10} {:>10}", "request", "median µs", "p99 µs");
    for path in REQUESTS {
        let mut times = Vec::with_capacity(ROUNDS);
        for i in 0..ROUNDS + 20 {
            let req = Request::builder().uri(*path).body(Body::empty())?;
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await?;
            let status = resp.status();
            let _ = resp.into_body().collect().await?;
            let us = t.elapsed().as_secs_f64() * 1e6;
            anyhow::ensure!(status.is_success(), "{path}: {status}");
            if i >= 20 {
                times.push(us);
            }
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let median = times[times.len() / 2];
        let p99 = times[(times.len() * 99) / 100];
        println!("{path:<66} {median:>10.0} {p99:>10.0}");
    }
    Ok(())
}
