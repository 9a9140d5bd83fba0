//! The subcommands: `serve` (the default), `migrate`, `seed`, `check` and `token …`. A
//! subcommand returns the process's exit code: 0 done, 1 failed, 2 bad configuration.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::config::{Command, Settings, TokenAction, redact};
use crate::db::{Backend, ConnectError, Db, seed::backfill_search, tokens};
use crate::facts::Facts;

/// Run one subcommand; errors are printed as one line.
pub async fn run(command: Command, settings: Settings) -> ExitCode {
    match run_inner(command, settings).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pacts: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_inner(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    if matches!(command, Command::Health) {
        return Ok(health(settings.bind));
    }
    let backend = Backend::of_url(&settings.database_url)?;
    if matches!(command, Command::Serve(_)) && backend.is_server() {
        // Serve at once; migrate and seed when the database server answers (it may still
        // be starting).
        let db = match Db::connect_lazy(&settings.database_url) {
            Ok(db) => db,
            Err(e) => {
                eprintln!("pacts: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        let ready = Arc::new(AtomicBool::new(false));
        let facts = Arc::new(Facts::new(settings.in_memory));
        tokio::spawn(prepare_when_reachable(
            db.clone(),
            settings.database_url.clone(),
            ready.clone(),
            facts.clone(),
        ));
        serve(db, settings, Some(ready), facts).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let db = match Db::connect(&settings.database_url).await {
        Ok(db) => db,
        Err(ConnectError::Open(e)) => {
            anyhow::bail!("cannot open {}: {e}", redact(&settings.database_url))
        }
        Err(e) => {
            eprintln!("pacts: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    db.migrate().await?;
    match command {
        Command::Serve(_) => {
            prepare(&db).await?;
            let facts = Arc::new(Facts::new(settings.in_memory));
            load_facts(&facts, &db).await;
            serve(db, settings, None, facts).await?;
        }
        Command::Migrate => println!("migrations applied ({})", db.backend()),
        Command::Seed { dry_run } => {
            print_report(&db.upgrade(dry_run).await?, dry_run, db.backend())
        }
        Command::Export { dir } => {
            let written = crate::db::export::export(&db, &dir).await?;
            println!("exported {written} rows to {}", dir.display());
        }
        Command::Check => return check(&db).await,
        Command::Health => unreachable!("answered above"),
        Command::Token { action } => token(&db, action).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `GET /readyz` on the server at `bind` (the unspecified address means this host), with
/// a short timeout; 0 when it answers 200. Needs no HTTP client in the image.
fn health(bind: std::net::SocketAddr) -> ExitCode {
    use std::io::{Read, Write};
    let mut addr = bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let timeout = Duration::from_secs(2);
    let answer = (|| -> std::io::Result<String> {
        let mut s = std::net::TcpStream::connect_timeout(&addr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        write!(s, "GET /readyz HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
        let mut head = [0u8; 64];
        let n = s.read(&mut head)?;
        Ok(String::from_utf8_lossy(&head[..n]).to_string())
    })();
    match answer {
        Ok(a) if a.starts_with("HTTP/1.1 200") || a.starts_with("HTTP/1.0 200") => {
            println!("ready ({addr})");
            ExitCode::SUCCESS
        }
        Ok(a) => {
            eprintln!(
                "pacts: {addr} is not ready: {}",
                a.lines().next().unwrap_or_default()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("pacts: cannot reach {addr}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Bring the data to the shipped release (seed an empty database) and fill in missing
/// search text; one log line says what happened.
async fn prepare(db: &Db) -> crate::db::Result<()> {
    let r = db.upgrade(false).await?;
    if r.seeded {
        tracing::info!(release = r.to, "seeded an empty database");
    } else if r.batch.is_some() {
        tracing::info!(from = r.from, to = r.to, counts = %r.counts(), batch = r.batch.as_deref().unwrap_or_default(), "data release applied");
    }
    backfill_search(db).await.map(|_| ())
}

/// What `pacts seed` did (or would do).
fn print_report(r: &crate::db::release::Report, dry_run: bool, backend: &str) {
    let verb = if dry_run { "would" } else { "did" };
    if r.seeded {
        println!(
            "empty database: {verb} load release {} whole ({backend})",
            r.to
        );
        return;
    }
    if r.from >= r.to {
        println!("release {} already held; nothing to do ({backend})", r.from);
        return;
    }
    println!(
        "release {} -> {} ({backend}){}",
        r.from,
        r.to,
        if dry_run {
            ", dry run: nothing written"
        } else {
            ""
        }
    );
    for (c, k) in &r.added {
        println!("add     {c} {k}");
    }
    for (c, k, fields) in &r.changed {
        println!("change  {c} {k}: {}", fields.join(", "));
    }
    for (c, k) in &r.removed {
        println!("remove  {c} {k}");
    }
    for x in &r.conflicts {
        println!(
            "skip    {} {} {}: release {} / database {}",
            x.collection, x.key, x.field, x.release_value, x.database_value
        );
    }
    println!("{}", r.counts());
    if let Some(b) = &r.batch {
        println!(
            "change log batch {b} (POST /v1/changes/{{id}}/revert on any of its changes undoes it)"
        );
    }
}

async fn check(db: &Db) -> anyhow::Result<ExitCode> {
    let report = db.check().await?;
    for (name, n) in &report.counts {
        println!("{name:<18} {n}");
    }
    for p in &report.problems {
        println!("problem: {p}");
    }
    if !report.problems.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    println!("ok");
    Ok(ExitCode::SUCCESS)
}

async fn token(db: &Db, action: TokenAction) -> anyhow::Result<()> {
    match action {
        TokenAction::Create { name } => {
            let t = tokens::create(db, &name).await?;
            eprintln!(
                "token {:?} created; it is shown once, store it now:",
                t.name
            );
            println!("{}", t.token);
        }
        TokenAction::List => {
            for t in tokens::list(db).await? {
                match t.revoked_at {
                    Some(r) => println!("{}\tcreated {}\trevoked {r}", t.name, t.created_at),
                    None => println!("{}\tcreated {}\tactive", t.name, t.created_at),
                }
            }
        }
        TokenAction::Revoke { name } => {
            tokens::revoke(db, &name).await?;
            println!("token {name:?} revoked");
        }
    }
    Ok(())
}

/// Migrate and seed once the database answers, retrying with backoff and saying why in
/// the log; then mark the server ready.
async fn prepare_when_reachable(db: Db, url: String, ready: Arc<AtomicBool>, facts: Arc<Facts>) {
    let mut delay = Duration::from_millis(500);
    loop {
        let attempt = async {
            db.migrate().await?;
            prepare(&db).await
        };
        match attempt.await {
            Ok(()) => {
                load_facts(&facts, &db).await;
                ready.store(true, Ordering::Release);
                tracing::info!("database migrated; ready");
                return;
            }
            Err(e) => {
                tracing::warn!(database = %redact(&url), error = %crate::http::error::chain(&e), retry_in_ms = delay.as_millis() as u64, "database not ready; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Load the facts into memory before saying ready; if that fails, the questions are
/// answered by SQL until a later load succeeds.
async fn load_facts(facts: &Facts, db: &Db) {
    let started = std::time::Instant::now();
    match facts.load_now(db).await {
        Ok(()) if facts.enabled() => {
            let (.., version, bytes) = facts.stats();
            tracing::info!(
                version,
                bytes,
                ms = started.elapsed().as_millis() as u64,
                "facts loaded into memory"
            );
        }
        Ok(()) => tracing::info!("questions are answered by SQL (PACTS_IN_MEMORY=false)"),
        Err(e) => {
            tracing::warn!(error = %crate::http::error::chain(&e), "loading the facts into memory failed; questions are answered by SQL until a later load succeeds")
        }
    }
}

async fn serve(
    db: Db,
    settings: Settings,
    ready: Option<Arc<AtomicBool>>,
    facts: Arc<Facts>,
) -> anyhow::Result<()> {
    let backend = db.backend();
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
    tracing::info!(addr = %listener.local_addr()?, backend, "serving");
    tokio::spawn(db.clone().watch_storage());
    let options = crate::Options {
        cors_origins: settings.cors_origins.clone(),
        ready,
        auth_limiter: Some(crate::http::auth::AuthLimiter::per_minute(
            settings.auth_failure_limit,
        )),
        cache_bytes: settings.cache_bytes,
        trusted_proxies: settings.trusted_proxies.clone(),
        facts: Some(facts),
    };
    crate::serve::serve(
        listener,
        crate::app_with(db, options),
        Default::default(),
        shutdown_signal(),
    )
    .await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
