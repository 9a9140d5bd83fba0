//! The `pacts` binary: parse configuration, set up logging, connect, migrate, seed if
//! empty, serve. Nothing else lives here.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use pacts::config::{Cli, Command, LogFormat, TokenAction, redact};
use pacts::db::{Db, tokens};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.settings() {
        Ok(s) => s,
        Err(line) => {
            eprintln!("pacts: {line}");
            return ExitCode::from(2);
        }
    };
    let filter = EnvFilter::new(&cli.log);
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
    }
    match run(cli.command.unwrap_or(Command::Serve), settings).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pacts: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: pacts::config::Settings) -> anyhow::Result<ExitCode> {
    if matches!(command, Command::Serve) && settings.database_url.starts_with("postgres") {
        // Serve at once; migrate and seed when PostgreSQL answers (it may still be starting).
        let db = match Db::connect_postgres_lazy(&settings.database_url) {
            Ok(db) => db,
            Err(e) => {
                eprintln!("pacts: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        let ready = Arc::new(AtomicBool::new(false));
        tokio::spawn(prepare_when_reachable(
            db.clone(),
            settings.database_url.clone(),
            ready.clone(),
        ));
        serve(db, settings, Some(ready)).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let db = match Db::connect(&settings.database_url).await {
        Ok(db) => db,
        Err(pacts::db::ConnectError::Open(e)) => {
            anyhow::bail!("cannot open {}: {e}", redact(&settings.database_url))
        }
        Err(e) => {
            eprintln!("pacts: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    db.migrate().await?;
    match command {
        Command::Serve => {
            if db.is_empty().await? {
                db.seed().await?;
                tracing::info!("seeded an empty database");
            }
            pacts::db::crud::backfill_search(&db).await?;
            serve(db, settings, None).await?;
        }
        Command::Migrate => println!("migrations applied ({})", db.backend()),
        Command::Seed => {
            db.seed().await?;
            println!("seed loaded ({})", db.backend());
        }
        Command::Check => {
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
        }
        Command::Token { action } => match action {
            TokenAction::Create { name } => {
                let t = tokens::create(&db, &name).await?;
                eprintln!(
                    "token {:?} created; it is shown once, store it now:",
                    t.name
                );
                println!("{}", t.token);
            }
            TokenAction::List => {
                for (name, created, revoked) in tokens::list(&db).await? {
                    match revoked {
                        Some(r) => println!("{name}\tcreated {created}\trevoked {r}"),
                        None => println!("{name}\tcreated {created}\tactive"),
                    }
                }
            }
            TokenAction::Revoke { name } => {
                tokens::revoke(&db, &name).await?;
                println!("token {name:?} revoked");
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// Migrate and seed once PostgreSQL answers, retrying with backoff and saying why in the
/// log; then mark the server ready.
async fn prepare_when_reachable(db: Db, url: String, ready: Arc<AtomicBool>) {
    let mut delay = std::time::Duration::from_millis(500);
    loop {
        let attempt = async {
            db.migrate().await.map_err(|e| e.to_string())?;
            if db.is_empty().await.map_err(|e| e.to_string())? {
                db.seed().await.map_err(|e| e.to_string())?;
                tracing::info!("seeded an empty database");
            }
            pacts::db::crud::backfill_search(&db)
                .await
                .map_err(|e| e.to_string())
        };
        match attempt.await {
            Ok(_) => {
                ready.store(true, Ordering::Release);
                tracing::info!("database migrated; ready");
                return;
            }
            Err(e) => {
                tracing::warn!(database = %redact(&url), error = %e, retry_in_ms = delay.as_millis() as u64, "database not ready; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(10));
            }
        }
    }
}

async fn serve(
    db: Db,
    settings: pacts::config::Settings,
    ready: Option<Arc<AtomicBool>>,
) -> anyhow::Result<()> {
    let backend = db.backend();
    let listener = tokio::net::TcpListener::bind(settings.bind).await?;
    tracing::info!(addr = %listener.local_addr()?, backend, "serving");
    let options = pacts::Options {
        cors_origins: settings.cors_origins.clone(),
        ready,
        auth_limiter: Some(pacts::http::auth::AuthLimiter::per_minute(
            settings.auth_failure_limit,
        )),
        cache_bytes: None,
    };
    pacts::serve::serve(
        listener,
        pacts::app_with(db, options),
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
