//! Command line and environment: `pacts [serve|migrate|seed|check|token …]`, with
//! `DATABASE_URL`, `PACTS_BIND`, `PACTS_LOG`, `PACTS_LOG_FORMAT`, `PACTS_CORS_ORIGINS`.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

pub use crate::telemetry::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "pacts",
    version,
    about = "Which states belong to which security pacts in and around Central Asia, and since when."
)]
pub struct Cli {
    /// sqlite://FILE or postgres://USER@HOST/DB
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://pacts.db",
        global = true
    )]
    pub database_url: String,
    /// Address to listen on.
    #[arg(
        long,
        env = "PACTS_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,
    /// Log filter (tracing's EnvFilter syntax).
    #[arg(long, env = "PACTS_LOG", default_value = "info", global = true)]
    pub log: String,
    #[arg(
        long,
        env = "PACTS_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// Origins allowed to write from a browser (comma-separated).
    #[arg(long, env = "PACTS_CORS_ORIGINS", default_value = "", global = true)]
    pub cors_origins: String,
    /// Failed authentications one client address may make per minute before it gets 429.
    #[arg(
        long,
        env = "PACTS_AUTH_FAILURE_LIMIT",
        default_value_t = 10,
        global = true
    )]
    pub auth_failure_limit: u32,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Default, Subcommand)]
pub enum Command {
    /// Apply migrations, seed an empty database, serve (the default).
    #[default]
    Serve,
    /// Apply migrations and exit.
    Migrate,
    /// Apply migrations and load the seed data (idempotent).
    Seed,
    /// Validate the stored data and print counts; exits 1 if anything is wrong.
    Check,
    /// Manage write tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token and print it once (only its hash is stored).
    Create { name: String },
    /// List tokens (names and dates, never the tokens).
    List,
    /// Revoke a token; takes effect at once.
    Revoke { name: String },
}

/// Settings checked before anything starts.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: SocketAddr,
    /// Origins allowed to write from a browser.
    pub cors_origins: Vec<axum::http::HeaderValue>,
    pub auth_failure_limit: u32,
}

impl Cli {
    /// Check the settings; the error is the one line printed before exiting with 2.
    pub fn settings(&self) -> Result<Settings, String> {
        let bind = self.bind.parse::<SocketAddr>().map_err(|_| {
            format!(
                "PACTS_BIND / --bind must be an address such as 127.0.0.1:8080 (got {:?})",
                self.bind
            )
        })?;
        if crate::db::Backend::of_url(&self.database_url).is_err() {
            return Err(format!(
                "DATABASE_URL / --database-url must start with sqlite:// or postgres:// (got {:?})",
                redact(&self.database_url)
            ));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log) {
            return Err(format!("PACTS_LOG / --log is not a valid filter: {e}"));
        }
        let mut cors_origins = Vec::new();
        for origin in self
            .cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
        {
            let ok = url::Url::parse(origin)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .filter(|u| u.path() == "/" && !origin.ends_with('/') && u.query().is_none());
            let value = ok.and_then(|_| axum::http::HeaderValue::from_str(origin).ok()).ok_or_else(|| {
                format!("PACTS_CORS_ORIGINS / --cors-origins must list origins such as https://dash.example.org (got {origin:?})")
            })?;
            cors_origins.push(value);
        }
        Ok(Settings {
            database_url: self.database_url.clone(),
            bind,
            cors_origins,
            auth_failure_limit: self.auth_failure_limit,
        })
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => url.split('@').next_back().unwrap_or_default().to_string(),
    }
}
