//! Command line and environment: `pacts [serve|migrate|seed|check|token …]`. Options of
//! every subcommand: `DATABASE_URL`, `PACTS_LOG`, `PACTS_LOG_FORMAT`. Options of `serve`
//! (also accepted before it, since `serve` is the default): `PACTS_BIND`,
//! `PACTS_CORS_ORIGINS`, `PACTS_AUTH_FAILURE_LIMIT`, `PACTS_TRUSTED_PROXIES`.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};

use crate::http::auth::Cidr;
pub use crate::telemetry::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "pacts",
    version,
    about = "Which states belong to which security pacts in and around Central Asia, and since when.",
    args_conflicts_with_subcommands = false
)]
pub struct Cli {
    /// sqlite://FILE or postgres://USER@HOST/DB (a password may come from PGPASSWORD)
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://pacts.db",
        global = true
    )]
    pub database_url: String,
    /// Log filter (tracing's EnvFilter syntax).
    #[arg(long, env = "PACTS_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Log line format; logs go to standard error.
    #[arg(
        long,
        env = "PACTS_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The server's options.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "PACTS_BIND")]
    pub bind: Option<String>,
    /// Origins allowed to write from a browser (comma-separated).
    #[arg(long, env = "PACTS_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Failed authentications one client may make per minute before it gets 429 [default: 10]
    #[arg(long, env = "PACTS_AUTH_FAILURE_LIMIT")]
    pub auth_failure_limit: Option<u32>,
    /// Proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For / Forwarded
    /// headers name the client; from anyone else they are ignored.
    #[arg(long, env = "PACTS_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Answer the questions from the facts held in memory (true), or every one by SQL
    /// (false; slower, for comparison) [default: true]
    #[arg(long, env = "PACTS_IN_MEMORY")]
    pub in_memory: Option<bool>,
    /// Bytes the response cache may hold; 0 turns it off [default: 16777216]
    #[arg(long, env = "PACTS_CACHE_BYTES")]
    pub cache_bytes: Option<usize>,
}

impl ServeArgs {
    /// These options, falling back to `outer` (given before the subcommand).
    fn or(&self, outer: &ServeArgs) -> ServeArgs {
        ServeArgs {
            bind: self.bind.clone().or_else(|| outer.bind.clone()),
            cors_origins: self
                .cors_origins
                .clone()
                .or_else(|| outer.cors_origins.clone()),
            auth_failure_limit: self.auth_failure_limit.or(outer.auth_failure_limit),
            trusted_proxies: self
                .trusted_proxies
                .clone()
                .or_else(|| outer.trusted_proxies.clone()),
            in_memory: self.in_memory.or(outer.in_memory),
            cache_bytes: self.cache_bytes.or(outer.cache_bytes),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations, seed an empty database, serve (the default).
    Serve(ServeArgs),
    /// Apply migrations and exit.
    Migrate,
    /// Apply migrations and bring the data to the shipped release: an empty database gets
    /// it whole, one that holds an earlier release gets the difference (curators' changes
    /// are kept and listed as conflicts). Idempotent.
    Seed {
        /// Print what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the database's content as reference CSV files into DIR (the format of
    /// seeds/reference/), so that curated changes can become the next release.
    Export { dir: std::path::PathBuf },
    /// Validate the stored data and print counts; exits 1 if anything is wrong.
    Check,
    /// Ask the local server whether it is ready (for container health checks): exits 0
    /// when GET /readyz on the bind address answers 200, else 1.
    Health,
    /// Manage write tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

impl Default for Command {
    fn default() -> Self {
        Command::Serve(ServeArgs::default())
    }
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
    pub trusted_proxies: Vec<Cidr>,
    /// Answer the questions from the facts in memory.
    pub in_memory: bool,
    /// The response cache's size (`None`: the default).
    pub cache_bytes: Option<usize>,
}

impl Cli {
    /// Check the settings; the error is the one line printed before exiting with 2.
    pub fn settings(&self) -> Result<Settings, String> {
        let serve = match &self.command {
            Some(Command::Serve(args)) => args.or(&self.serve),
            _ => self.serve.clone(),
        };
        let bind_text = serve.bind.as_deref().unwrap_or("127.0.0.1:8080");
        let bind = bind_text.parse::<SocketAddr>().map_err(|_| {
            format!(
                "PACTS_BIND / --bind must be an address such as 127.0.0.1:8080 (got {bind_text:?})"
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
        for origin in serve
            .cors_origins
            .as_deref()
            .unwrap_or_default()
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
        let mut trusted_proxies = Vec::new();
        for p in serve
            .trusted_proxies
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            trusted_proxies.push(p.parse::<Cidr>().map_err(|_| {
                format!("PACTS_TRUSTED_PROXIES / --trusted-proxies must list addresses or CIDRs such as 10.0.0.0/8 (got {p:?})")
            })?);
        }
        Ok(Settings {
            database_url: self.database_url.clone(),
            bind,
            cors_origins,
            auth_failure_limit: serve.auth_failure_limit.unwrap_or(10),
            trusted_proxies,
            in_memory: serve.in_memory.unwrap_or(true),
            cache_bytes: serve.cache_bytes,
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
