//! An open write transaction on either backend, with the same primitives as [`Db`].
//!
//! The transaction is ours, not sqlx's: `BEGIN`, `COMMIT` and `ROLLBACK` are plain
//! statements on a pooled connection, and a connection goes back to the pool only when
//! it is known to be outside a transaction. Anything else (a failed `COMMIT`, a failed
//! `ROLLBACK`, a statement cut off by its deadline, a storage or I/O fault) closes it
//! instead, so that no later request can inherit a half-finished transaction. (sqlx's
//! own `Transaction` returns a connection whose `ROLLBACK` failed, after SQLite rolled
//! back by itself on a full disk, with its depth counter stuck above zero: every later
//! write on it failed until a restart.)
//!
//! [`Db`]: super::Db

use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Postgres, Sqlite};

use super::health::Health;
use super::locks::{self, LockKey, Scope};
use super::{
    Col, Error, PG_QUERY_TIMEOUT, Record, Result, Rows, Val, bind_vals, decode_pg_rows,
    decode_rows, first_int, pg_deadline, pg_deadline_within,
};
use super::{Db, Pools};

pub(super) enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

pub struct Tx {
    /// `None` once committed (or handed to the rollback task).
    conn: Option<Conn>,
    /// A statement failed in a way that leaves the session in doubt: the connection is
    /// closed rather than rolled back and reused.
    broken: bool,
    /// It holds the exclusive lock on everything: no other writer runs, so the keys it
    /// touches need no locks of their own.
    holds_everything: bool,
    health: Arc<Health>,
    /// How long one PostgreSQL statement may take (longer for a snapshot load).
    deadline: Duration,
}

/// Run one primitive on whichever connection the transaction holds; an error marks the
/// transaction broken where the session may be in doubt, and a storage fault is noted.
macro_rules! on_conn {
    ($self:ident, $c:ident, $sqlite:expr, $postgres:expr) => {{
        let result: Result<_> = match $self.conn.as_mut() {
            Some(Conn::Sqlite($c)) => $sqlite,
            Some(Conn::Postgres($c)) => $postgres,
            None => Err(Error::internal("the transaction is already finished")),
        };
        if let Err(e) = &result {
            $self.failed(e);
        }
        result
    }};
}

impl Tx {
    /// Begin on `conn` with `begin` (`BEGIN`, `BEGIN IMMEDIATE`). If that fails the
    /// connection is outside any transaction: it goes back to the pool as it is (or is
    /// closed, where the session is in doubt).
    pub(super) async fn start(conn: Conn, health: Arc<Health>, begin: &'static str) -> Result<Tx> {
        let mut tx = Tx {
            conn: Some(conn),
            broken: false,
            holds_everything: false,
            health,
            deadline: PG_QUERY_TIMEOUT,
        };
        if let Err(e) = tx.execute(begin.into(), &[]).await {
            if !tx.broken {
                tx.conn = None;
            }
            return Err(e);
        }
        Ok(tx)
    }

    fn failed(&mut self, e: &Error) {
        self.health.saw(e);
        if !matches!(
            e,
            Error::Constraint { .. } | Error::Busy(_) | Error::Invalid(_)
        ) {
            self.broken = true;
        }
    }

    pub async fn fetch(&mut self, sql: String, vals: &[Val], cols: &[Col]) -> Result<Rows> {
        let deadline = self.deadline;
        on_conn!(
            self,
            c,
            {
                let q = bind_vals!(sqlx::query::<Sqlite>(AssertSqlSafe(sql)), vals);
                match q.fetch_all(&mut **c).await {
                    Ok(rows) => decode_rows(rows, cols),
                    Err(e) => Err(e.into()),
                }
            },
            {
                let q = bind_vals!(sqlx::query::<Postgres>(AssertSqlSafe(sql)), vals);
                match pg_deadline_within(deadline, q.fetch_all(&mut **c)).await {
                    Ok(rows) => decode_pg_rows(rows, cols),
                    Err(e) => Err(e),
                }
            }
        )
    }

    pub async fn fetch_as<T: Record>(&mut self, sql: String, vals: &[Val]) -> Result<Vec<T>> {
        let deadline = self.deadline;
        on_conn!(
            self,
            c,
            bind_vals!(sqlx::query_as::<Sqlite, T>(AssertSqlSafe(sql)), vals)
                .fetch_all(&mut **c)
                .await
                .map_err(Error::from),
            {
                let q = bind_vals!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql)), vals);
                pg_deadline_within(deadline, q.fetch_all(&mut **c)).await
            }
        )
    }

    pub async fn fetch_one_int(&mut self, sql: impl Into<String>, vals: &[Val]) -> Result<i64> {
        let rows = self.fetch(sql.into(), vals, &[Col::Int]).await?;
        Ok(first_int(&rows))
    }

    /// Run a statement; returns the number of rows it touched.
    pub async fn execute(&mut self, sql: String, vals: &[Val]) -> Result<u64> {
        on_conn!(
            self,
            c,
            bind_vals!(sqlx::query::<Sqlite>(AssertSqlSafe(sql)), vals)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected())
                .map_err(Error::from),
            {
                let q = bind_vals!(sqlx::query::<Postgres>(AssertSqlSafe(sql)), vals);
                pg_deadline(q.execute(&mut **c))
                    .await
                    .map(|r| r.rows_affected())
            }
        )
    }

    /// Run several statements of fixed SQL (no values), without a deadline: a script
    /// such as the seed may take longer than one query should (on PostgreSQL the
    /// session's statement timeout is lifted for the rest of this transaction).
    pub async fn execute_script(&mut self, sql: &str) -> Result<()> {
        let sql = AssertSqlSafe(sql.to_string());
        on_conn!(
            self,
            c,
            sqlx::raw_sql(sql)
                .execute(&mut **c)
                .await
                .map(|_| ())
                .map_err(Error::from),
            {
                match sqlx::raw_sql("set local statement_timeout = 0")
                    .execute(&mut **c)
                    .await
                {
                    Ok(_) => sqlx::raw_sql(sql)
                        .execute(&mut **c)
                        .await
                        .map(|_| ())
                        .map_err(Error::from),
                    Err(e) => Err(e.into()),
                }
            }
        )
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.conn, Some(Conn::Postgres(_)))
    }

    /// Let each PostgreSQL statement of this transaction take up to `limit` (the
    /// session's statement timeout too): a snapshot load reads whole tables.
    pub async fn allow_statements_of(&mut self, limit: Duration) -> Result<()> {
        if self.is_postgres() {
            let ms = limit.as_millis();
            self.execute(format!("set local statement_timeout = {ms}"), &[])
                .await?;
        }
        self.deadline = limit;
        Ok(())
    }

    pub fn string_agg(&self) -> &'static str {
        super::string_agg(self.is_postgres())
    }

    pub fn collate_c(&self, expr: &str) -> String {
        super::collate_c(self.is_postgres(), expr)
    }

    /// Take transaction-scoped advisory locks (PostgreSQL), in a fixed order so that two
    /// writers never wait for each other in a cycle. SQLite needs none: `BEGIN
    /// IMMEDIATE` already made this the only writer.
    pub async fn lock(&mut self, keys: &[super::locks::LockKey]) -> Result<()> {
        if !self.is_postgres() || keys.is_empty() || self.holds_everything {
            return Ok(());
        }
        let sql = super::locks::lock_sql(keys);
        self.execute(sql, &[]).await.map(|_| ())
    }

    /// Wait up to `wait` (not the usual lock timeout) for the exclusive lock on
    /// everything: a release upgrade or a revert waits for the writes in flight, and
    /// processes starting together wait for the one applying a release.
    pub(super) async fn lock_everything(&mut self, wait: std::time::Duration) -> Result<()> {
        let lock = super::locks::lock_sql(&[super::locks::LockKey::exclusive(&[
            super::locks::EVERYTHING,
        ])]);
        let locked = on_conn!(
            self,
            c,
            {
                let _ = c;
                Ok(())
            },
            {
                let sql = format!("set local lock_timeout = {}; {lock}", wait.as_millis());
                let run = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut **c);
                match tokio::time::timeout(wait + PG_QUERY_TIMEOUT, run).await {
                    Ok(r) => r.map(|_| ()).map_err(Error::from),
                    Err(_) => Err(Error::Deadline),
                }
            }
        );
        self.holds_everything = locked.is_ok();
        locked
    }

    /// Move an identity sequence past the highest id (after rows were given explicit
    /// ids); nothing to do on SQLite.
    pub async fn sync_sequence(&mut self, table: &str) -> Result<()> {
        if self.is_postgres() {
            self.execute(
                format!(
                    "select setval(pg_get_serial_sequence('{table}', 'id'), greatest((select max(id) from {table}), 1))"
                ),
                &[],
            )
            .await?;
        }
        Ok(())
    }

    /// Commit. On PostgreSQL a `COMMIT` that gets no answer (deadline, lost connection)
    /// may or may not have taken effect: that is [`Error::OutcomeUnknown`], not a plain
    /// failure. A failed commit closes the connection.
    pub async fn commit(mut self) -> Result<()> {
        let Some(conn) = self.conn.take() else {
            return Err(Error::internal("the transaction is already finished"));
        };
        let result = match conn {
            Conn::Sqlite(mut c) => {
                let r = sqlx::raw_sql("COMMIT")
                    .execute(&mut *c)
                    .await
                    .map(|_| ())
                    .map_err(Error::from);
                if r.is_err() {
                    c.close_on_drop();
                }
                r
            }
            Conn::Postgres(mut c) => {
                let r = pg_deadline(sqlx::raw_sql("COMMIT").execute(&mut *c))
                    .await
                    .map(|_| ());
                if r.is_err() {
                    c.close_on_drop();
                }
                r.map_err(|e| match e {
                    Error::Deadline | Error::Unavailable(_) => Error::OutcomeUnknown(Box::new(e)),
                    other => other,
                })
            }
        };
        match &result {
            Ok(()) => self.health.wrote(),
            Err(e) => self.health.saw(e),
        }
        result
    }
}

impl Drop for Tx {
    /// Not committed: roll back on a task of its own (the connection returns to the pool
    /// only if that works), or close the connection where the session is in doubt.
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        match (conn, tokio::runtime::Handle::try_current()) {
            (Conn::Sqlite(c), Ok(h)) if !self.broken => drop(h.spawn(rollback_or_close(c))),
            (Conn::Postgres(c), Ok(h)) if !self.broken => drop(h.spawn(rollback_or_close(c))),
            (Conn::Sqlite(mut c), _) => c.close_on_drop(),
            (Conn::Postgres(mut c), _) => c.close_on_drop(),
        }
    }
}

/// `ROLLBACK`, within the query deadline; the connection goes back to the pool only if
/// that worked.
async fn rollback_or_close<DB: sqlx::Database>(mut c: PoolConnection<DB>)
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let done =
        tokio::time::timeout(PG_QUERY_TIMEOUT, sqlx::raw_sql("ROLLBACK").execute(&mut *c)).await;
    if !matches!(done, Ok(Ok(_))) {
        c.close_on_drop();
    }
}

/// Starting transactions: writes on the writers' pool, a snapshot read on the readers'.
impl Db {
    /// Start a write transaction on a writers' connection. On SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`). On PostgreSQL it takes the advisory lock on
    /// everything, shared for [`Scope::Keys`] (the write then locks the keys it checks,
    /// see [`locks`]) or exclusive for [`Scope::Everything`].
    pub async fn begin_write(&self, scope: Scope) -> Result<Tx> {
        self.begin(scope, &[]).await
    }

    /// Start a write transaction that holds `keys` from the start (in the same statement
    /// as the shared lock on everything): the row a write reads and then changes.
    pub async fn begin_write_locking(&self, keys: &[LockKey]) -> Result<Tx> {
        self.begin(Scope::Keys, keys).await
    }

    async fn begin(&self, scope: Scope, keys: &[LockKey]) -> Result<Tx> {
        let mut tx = match &self.pools() {
            Pools::Sqlite { write, .. } => {
                let conn = write.acquire().await?;
                let conn = Conn::Sqlite(conn);
                return Tx::start(conn, self.health.clone(), "BEGIN IMMEDIATE").await;
            }
            Pools::Postgres { write, .. } => {
                let conn = pg_deadline(write.acquire()).await?;
                Tx::start(Conn::Postgres(conn), self.health.clone(), "BEGIN").await?
            }
        };
        match scope {
            Scope::Keys => {
                let mut all = vec![LockKey::shared(&[locks::EVERYTHING])];
                all.extend_from_slice(keys);
                tx.lock(&all).await?
            }
            Scope::Everything => tx.lock_everything(Duration::from_secs(30)).await?,
        }
        Ok(tx)
    }

    /// A read-only transaction that sees one committed state of the whole database
    /// (SQLite: a deferred transaction, whose first read fixes its snapshot; PostgreSQL:
    /// repeatable read), for loading the in-memory facts.
    pub async fn begin_snapshot(&self) -> Result<Tx> {
        match &self.pools() {
            Pools::Sqlite { read, .. } => {
                let conn = Conn::Sqlite(read.acquire().await?);
                Tx::start(conn, self.health.clone(), "BEGIN").await
            }
            Pools::Postgres { read, .. } => {
                let conn = Conn::Postgres(pg_deadline(read.acquire()).await?);
                let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
                Tx::start(conn, self.health.clone(), begin).await
            }
        }
    }
}
