//! The database: one enum over the native SQLite and PostgreSQL pools, migrations, and
//! the few primitives (fetch, execute, transactions) the rest of `db` is built on. This
//! module and its children are the only code that knows there are two backends, and the
//! only code that sees a driver error: everything leaves as [`Error`].

pub mod changes;
mod connect;
pub mod error;
pub mod export;
pub mod health;
pub mod idempotency;
pub mod locks;
pub mod questions;
pub mod read;
pub mod release;
pub(crate) mod rules;
pub mod seed;
mod store;
pub mod tokens;
mod tx;
pub mod write;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, FromRow, PgPool, Postgres, Row, Sqlite, SqlitePool};

pub use crate::model::Val;
pub use error::{Error, Result};
pub use health::StorageFault;
pub use locks::{LockKey, Scope};
pub use tx::Tx;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The database: its pools and what the last writes said about its storage.
#[derive(Clone, Debug)]
pub struct Db {
    /// Swapped whole when SQLite's connections must all be reopened (see `recover`).
    pools: Arc<std::sync::RwLock<Pools>>,
    health: Arc<health::Health>,
    /// The SQLite URL, to reopen it; `None` on PostgreSQL.
    sqlite_url: Option<Arc<str>>,
}

/// Readers and writers have pools of their own, so that writers waiting for a lock can
/// never hold every connection while reads queue behind them.
#[derive(Clone, Debug)]
enum Pools {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres { read: PgPool, write: PgPool },
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
    pg_deadline_within(PG_QUERY_TIMEOUT, f).await
}

pub(crate) async fn pg_deadline_within<T>(
    limit: Duration,
    f: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T> {
    match tokio::time::timeout(limit, f).await {
        Ok(r) => r.map_err(Error::from),
        Err(_) => Err(Error::Deadline),
    }
}

impl Db {
    pub fn backend(&self) -> &'static str {
        if self.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.sqlite_url.is_none()
    }

    /// Open and idle connections of the readers' and writers' pools together.
    pub fn pool_stats(&self) -> (u32, usize) {
        match &self.pools() {
            Pools::Sqlite { read, write } => (
                read.size() + write.size(),
                read.num_idle() + write.num_idle(),
            ),
            Pools::Postgres { read, write } => (
                read.size() + write.size(),
                read.num_idle() + write.num_idle(),
            ),
        }
    }

    /// Apply the embedded migrations for this backend. Concurrent callers on PostgreSQL
    /// are serialised by sqlx's advisory lock; the session's statement timeout does not
    /// apply to them (the connection is closed afterwards rather than reused).
    pub async fn migrate(&self) -> Result<()> {
        match &self.pools() {
            Pools::Sqlite { write, .. } => SQLITE_MIGRATOR.run(write).await?,
            Pools::Postgres { write, .. } => {
                let mut conn = pg_deadline(write.acquire()).await?;
                conn.close_on_drop();
                sqlx::raw_sql("set statement_timeout = 0")
                    .execute(&mut *conn)
                    .await?;
                // `run` on a pooled connection trips sqlx's "Acquire is not general
                // enough"; `run_direct` is the same without the acquire.
                POSTGRES_MIGRATOR
                    .run_direct(None, &mut *conn, false)
                    .await?
            }
        }
        Ok(())
    }

    /// True when every embedded migration has been applied.
    pub async fn migrations_applied(&self) -> Result<bool> {
        let want = if self.is_postgres() {
            POSTGRES_MIGRATOR.iter().count() as i64
        } else {
            SQLITE_MIGRATOR.iter().count() as i64
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

    /// The storage fault the last failed write hit and how long ago, until a write
    /// succeeds again.
    pub fn storage_fault(&self) -> Option<(StorageFault, Duration)> {
        self.health.fault()
    }

    /// A real (empty) write: it commits a row update without changing a value, so that
    /// a full disk or a read-only file fails it. Clears the recorded fault if it works.
    pub async fn probe_write(&self) -> Result<()> {
        let mut tx = self.begin_write(Scope::Keys).await?;
        tx.execute(
            "update data_version set version = version where id = 1".into(),
            &[],
        )
        .await?;
        tx.commit().await
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
        match &self.pools() {
            Pools::Sqlite { read, .. } => {
                let q = bind_vals!(sqlx::query::<Sqlite>(AssertSqlSafe(sql)), vals);
                decode_rows(q.fetch_all(read).await?, cols)
            }
            Pools::Postgres { read, .. } => {
                let q = bind_vals!(sqlx::query::<Postgres>(AssertSqlSafe(sql)), vals);
                decode_pg_rows(pg_deadline(q.fetch_all(read)).await?, cols)
            }
        }
    }

    /// Run a query returning rows decoded into `T` by column name.
    pub async fn fetch_as<T: Record>(&self, sql: String, vals: &[Val]) -> Result<Vec<T>> {
        Ok(match &self.pools() {
            Pools::Sqlite { read, .. } => {
                bind_vals!(sqlx::query_as::<Sqlite, T>(AssertSqlSafe(sql)), vals)
                    .fetch_all(read)
                    .await?
            }
            Pools::Postgres { read, .. } => {
                let q = bind_vals!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql)), vals);
                pg_deadline(q.fetch_all(read)).await?
            }
        })
    }

    /// Run a query returning one integer (a count, say).
    pub async fn fetch_one_int(&self, sql: impl Into<String>, vals: &[Val]) -> Result<i64> {
        let rows = self.fetch(sql.into(), vals, &[Col::Int]).await?;
        Ok(first_int(&rows))
    }

    /// A text expression compared byte by byte, so that both backends sort alike
    /// whatever PostgreSQL's default collation is.
    pub fn collate_c(&self, expr: &str) -> String {
        collate_c(self.is_postgres(), expr)
    }

    /// The SQL aggregate that joins strings with an ordering clause.
    pub fn string_agg(&self) -> &'static str {
        string_agg(self.is_postgres())
    }

    /// The current data version: the sum of its counters (PostgreSQL writers each bump
    /// whichever counter row is free, so that none waits for another's row lock). Every
    /// committed write adds one.
    pub async fn data_version(&self) -> Result<i64> {
        self.fetch_one_int("select cast(sum(version) as bigint) from data_version", &[])
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

/// Rows of the given column types, from either driver.
fn decode_rows(rows: Vec<SqliteRow>, cols: &[Col]) -> Result<Rows> {
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(decode_row!(row, cols));
    }
    Ok(out)
}

fn decode_pg_rows(rows: Vec<PgRow>, cols: &[Col]) -> Result<Rows> {
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(decode_row!(row, cols));
    }
    Ok(out)
}

fn first_int(rows: &Rows) -> i64 {
    match rows.first().and_then(|r| r.first()) {
        Some(Val::Int(Some(n))) => *n,
        _ => 0,
    }
}
