//! The database: one enum over the native SQLite and PostgreSQL pools, migrations, and
//! the few primitives (fetch, execute, transactions) the rest of `db` is built on. This
//! module and its children are the only code that knows there are two backends, and the
//! only code that sees a driver error: everything leaves as [`Error`].

pub mod changes;
pub mod error;
pub mod export;
pub mod idempotency;
pub mod questions;
pub mod read;
pub mod release;
pub(crate) mod rules;
pub mod seed;
mod store;
pub mod tokens;
mod tx;
pub mod write;

use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveDate;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, PgPool, Postgres, Row, Sqlite, SqlitePool};

pub use crate::model::Val;
pub use error::{Error, Result};
pub use tx::Tx;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The type of a column to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Text,
    Int,
    Bool,
    Date,
}

/// Which backend a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded file: opened (and created) at once.
    Sqlite,
    /// A server that may still be starting: pacts can serve while it waits for it.
    Postgres,
}

impl Backend {
    /// The backend named by the URL's scheme.
    pub fn of_url(url: &str) -> Result<Backend, ConnectError> {
        let scheme = url.split("://").next().unwrap_or_default();
        match scheme {
            "sqlite" if url.contains("://") => Ok(Backend::Sqlite),
            "postgres" | "postgresql" if url.contains("://") => Ok(Backend::Postgres),
            _ => Err(ConnectError::Scheme(
                url.split(':').next().unwrap_or_default().to_string(),
            )),
        }
    }

    /// A server that can be down while pacts starts (and come up later).
    pub fn is_server(self) -> bool {
        self == Backend::Postgres
    }
}

/// Why a database could not be opened: the URL or the server.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL must start with sqlite:// or postgres:// (got scheme {0:?})")]
    Scheme(String),
    #[error("DATABASE_URL is not valid: {0}")]
    BadUrl(String),
    #[error("cannot open the database: {0}")]
    Open(#[source] sqlx::Error),
}

/// Expand the same query-building expression for whichever backend the value holds.
macro_rules! bind_vals {
    ($q:expr, $vals:expr) => {{
        let mut q = $q;
        for v in $vals {
            q = match v {
                Val::Text(x) => q.bind(x.clone()),
                Val::Int(x) => q.bind(*x),
                Val::Bool(x) => q.bind(*x),
                Val::Date(x) => q.bind(*x),
            };
        }
        q
    }};
}
pub(crate) use bind_vals;

macro_rules! decode_row {
    ($row:expr, $cols:expr) => {{
        let row = $row;
        let mut out = Vec::with_capacity($cols.len());
        for (i, c) in $cols.iter().enumerate() {
            out.push(match c {
                Col::Text => Val::Text(row.try_get::<Option<String>, _>(i)?),
                Col::Int => Val::Int(row.try_get::<Option<i64>, _>(i)?),
                Col::Bool => Val::Bool(row.try_get::<Option<bool>, _>(i)?),
                Col::Date => Val::Date(row.try_get::<Option<NaiveDate>, _>(i)?),
            });
        }
        out
    }};
}
pub(crate) use decode_row;

pub type Rows = Vec<Vec<Val>>;

/// A row struct both drivers can decode.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// How long one PostgreSQL round trip may take. A server that stops answering (frozen,
/// or cut off mid-query) must cost a request a short 503, not a hang.
pub const PG_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) async fn pg_deadline<T>(
    f: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T> {
    match tokio::time::timeout(PG_QUERY_TIMEOUT, f).await {
        Ok(r) => r.map_err(Error::from),
        Err(_) => Err(Error::Deadline),
    }
}

impl Db {
    /// Open a pool for `url`; a SQLite file is created if missing.
    pub async fn connect(url: &str) -> Result<Db, ConnectError> {
        match Backend::of_url(url)? {
            Backend::Sqlite => {
                let opts = SqliteConnectOptions::from_str(url)
                    .map_err(|e| ConnectError::BadUrl(e.to_string()))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // WAL + NORMAL: a committed write survives a process crash; a power cut
                    // may lose the last transactions but never corrupts the file.
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
                    // Read pages through a memory map instead of a read() call each: the
                    // large datasets are read-mostly (the file's pages are shared, not copied).
                    .pragma("mmap_size", "268435456");
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(2))
                    .connect_with(opts)
                    .await
                    .map_err(ConnectError::Open)?;
                Ok(Db::Sqlite(pool))
            }
            Backend::Postgres => {
                let opts = PgConnectOptions::from_str(url)
                    .map_err(|e| ConnectError::BadUrl(e.to_string()))?;
                Self::connect_postgres(opts).await
            }
        }
    }

    /// A pool that connects on first use, so that a server can start (and answer
    /// `/healthz` and 503s) while a database server is still down.
    pub fn connect_lazy(url: &str) -> Result<Db, ConnectError> {
        match Backend::of_url(url)? {
            Backend::Postgres => {
                let opts = PgConnectOptions::from_str(url)
                    .map_err(|e| ConnectError::BadUrl(e.to_string()))?;
                Ok(Db::Postgres(
                    Self::pg_pool_options().connect_lazy_with(opts),
                ))
            }
            Backend::Sqlite => Err(ConnectError::BadUrl(
                "a SQLite file is opened at once, not lazily".into(),
            )),
        }
    }

    fn pg_pool_options() -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(2))
    }

    /// Open a PostgreSQL pool with pacts' settings (used by tests to pick a schema).
    pub async fn connect_postgres(opts: PgConnectOptions) -> Result<Db, ConnectError> {
        let pool = Self::pg_pool_options()
            .connect_with(opts)
            .await
            .map_err(ConnectError::Open)?;
        Ok(Db::Postgres(pool))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Open and idle connections of the pool.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(p) => (p.size(), p.num_idle()),
            Db::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    /// Apply the embedded migrations for this backend. Concurrent callers on PostgreSQL
    /// are serialised by sqlx's advisory lock.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(p) => SQLITE_MIGRATOR.run(p).await?,
            Db::Postgres(p) => POSTGRES_MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    /// True when every embedded migration has been applied.
    pub async fn migrations_applied(&self) -> Result<bool> {
        let want = match self {
            Db::Sqlite(_) => SQLITE_MIGRATOR.iter().count() as i64,
            Db::Postgres(_) => POSTGRES_MIGRATOR.iter().count() as i64,
        };
        let n = self
            .fetch_one_int("select count(*) from _sqlx_migrations where success", &[])
            .await
            .unwrap_or(0);
        Ok(n >= want)
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        self.fetch_one_int("select cast(1 as bigint)", &[])
            .await
            .map(|_| ())
    }

    /// True when no state has been stored yet (a fresh database).
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self
            .fetch_one_int("select count(*) from states", &[])
            .await?
            == 0)
    }

    /// Run a query returning rows of the given column types.
    pub async fn fetch(&self, sql: String, vals: &[Val], cols: &[Col]) -> Result<Rows> {
        let mut out = Vec::new();
        match self {
            Db::Sqlite(p) => {
                let q = bind_vals!(sqlx::query::<Sqlite>(AssertSqlSafe(sql)), vals);
                for row in q.fetch_all(p).await? {
                    out.push(decode_row!(&row, cols));
                }
            }
            Db::Postgres(p) => {
                let q = bind_vals!(sqlx::query::<Postgres>(AssertSqlSafe(sql)), vals);
                for row in pg_deadline(q.fetch_all(p)).await? {
                    out.push(decode_row!(&row, cols));
                }
            }
        }
        Ok(out)
    }

    /// Run a query returning rows decoded into `T` by column name.
    pub async fn fetch_as<T: Record>(&self, sql: String, vals: &[Val]) -> Result<Vec<T>> {
        Ok(match self {
            Db::Sqlite(p) => {
                bind_vals!(sqlx::query_as::<Sqlite, T>(AssertSqlSafe(sql)), vals)
                    .fetch_all(p)
                    .await?
            }
            Db::Postgres(p) => {
                let q = bind_vals!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql)), vals);
                pg_deadline(q.fetch_all(p)).await?
            }
        })
    }

    /// Run a query returning one integer (a count, say).
    pub async fn fetch_one_int(&self, sql: impl Into<String>, vals: &[Val]) -> Result<i64> {
        let rows = self.fetch(sql.into(), vals, &[Col::Int]).await?;
        Ok(first_int(&rows))
    }

    /// Start a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`); on PostgreSQL it takes a transaction-scoped advisory lock, so that
    /// every check-then-write sequence is serialised across all pacts processes.
    pub async fn begin_write(&self) -> Result<Tx> {
        match self {
            Db::Sqlite(p) => Ok(Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?)),
            Db::Postgres(p) => {
                let mut tx = pg_deadline(p.begin()).await?;
                pg_deadline(
                    sqlx::query("select pg_advisory_xact_lock(7261706163747301)").execute(&mut *tx),
                )
                .await?;
                Ok(Tx::Postgres(tx))
            }
        }
    }

    /// A text expression compared byte by byte, so that both backends sort alike
    /// whatever PostgreSQL's default collation is.
    pub fn collate_c(&self, expr: &str) -> String {
        collate_c(matches!(self, Db::Postgres(_)), expr)
    }

    /// The SQL aggregate that joins strings with an ordering clause.
    pub fn string_agg(&self) -> &'static str {
        string_agg(matches!(self, Db::Postgres(_)))
    }

    /// The current data version; every write increments it.
    pub async fn data_version(&self) -> Result<i64> {
        self.fetch_one_int("select version from data_version where id = 1", &[])
            .await
    }
}

fn collate_c(postgres: bool, expr: &str) -> String {
    if postgres {
        format!("{expr} collate \"C\"")
    } else {
        expr.to_string()
    }
}

fn string_agg(postgres: bool) -> &'static str {
    if postgres {
        "string_agg"
    } else {
        "group_concat"
    }
}

fn first_int(rows: &Rows) -> i64 {
    match rows.first().and_then(|r| r.first()) {
        Some(Val::Int(Some(n))) => *n,
        _ => 0,
    }
}
