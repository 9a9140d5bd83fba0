//! Opening the database: two pools per backend (reads never wait behind writers for a
//! connection) and, on PostgreSQL, sessions bounded by the server itself, so that a pacts
//! process that freezes or dies inside a transaction holds nothing for long.

use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::health::{Health, StorageFault};
use super::{Backend, ConnectError, Db, Pools};

/// PostgreSQL session bounds, in milliseconds. A lock wait ends (55P03, a 503 with
/// `Retry-After`) before the 2 s query deadline would; a session that sits inside a
/// transaction without a statement (its process frozen or gone) is ended by the server,
/// releasing its locks; no statement runs away after its caller gave up.
const PG_LOCK_TIMEOUT_MS: u32 = 1500;
const PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: u32 = 5000;
const PG_STATEMENT_TIMEOUT_MS: u32 = 5000;

/// Connections per pool. SQLite has one writer at a time whatever the pool; PostgreSQL
/// gets 16 per process as before, split so that writers can never take them all.
const SQLITE_READERS: u32 = 4;
const SQLITE_WRITERS: u32 = 2;
const PG_READERS: u32 = 10;
const PG_WRITERS: u32 = 6;

fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, ConnectError> {
    Ok(SqliteConnectOptions::from_str(url)
        .map_err(|e| ConnectError::BadUrl(e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // WAL + NORMAL: a committed write survives a process crash; a power cut may lose
        // the last transactions but never corrupts the file.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
        // Read pages through a memory map instead of a read() call each: the large
        // datasets are read-mostly (the file's pages are shared, not copied).
        .pragma("mmap_size", "268435456"))
}

/// pacts' session settings on top of whatever the URL says.
fn bounded(opts: PgConnectOptions) -> PgConnectOptions {
    let name = opts
        .get_application_name()
        .map(str::to_string)
        .unwrap_or_else(|| format!("pacts/{}", std::process::id()));
    opts.application_name(&name).options([
        ("lock_timeout", PG_LOCK_TIMEOUT_MS.to_string()),
        (
            "idle_in_transaction_session_timeout",
            PG_IDLE_IN_TRANSACTION_TIMEOUT_MS.to_string(),
        ),
        ("statement_timeout", PG_STATEMENT_TIMEOUT_MS.to_string()),
    ])
}

fn pg_pool(max: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(2))
}

fn sqlite_pool(max: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(2))
}

impl Db {
    /// `sqlite_url`: the file's URL (to reopen it), `None` for PostgreSQL.
    fn new(pools: Pools, sqlite_url: Option<&str>) -> Db {
        Db {
            pools: Arc::new(RwLock::new(pools)),
            health: Arc::new(Health::default()),
            sqlite_url: sqlite_url.map(Arc::from),
        }
    }

    /// The pools in use now (cheap: pools are handles).
    pub(super) fn pools(&self) -> Pools {
        self.pools.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Run for the life of a server: every hold time, if a storage fault has lasted that
    /// long, try to [`recover`](Db::recover) from it, so that writes work again once the
    /// fault clears, without a restart and without waiting for a client.
    pub async fn watch_storage(self) {
        loop {
            tokio::time::sleep(super::health::HOLD).await;
            if let Some((fault, ago)) = self.health.fault()
                && ago >= super::health::HOLD
            {
                match self.recover(fault).await {
                    Ok(()) => {
                        tracing::info!(fault = fault.describe(), "storage takes changes again")
                    }
                    Err(e) => tracing::debug!(error = %e, "storage still failing"),
                }
            }
        }
    }

    /// Open a SQLite file's two pools.
    async fn sqlite_pools(url: &str) -> Result<Pools, ConnectError> {
        let opts = sqlite_options(url)?;
        // The writers' pool opens first: it creates the file and sets WAL mode.
        let write = sqlite_pool(SQLITE_WRITERS)
            .connect_with(opts.clone())
            .await
            .map_err(ConnectError::Open)?;
        let read = sqlite_pool(SQLITE_READERS)
            .connect_with(opts)
            .await
            .map_err(ConnectError::Open)?;
        Ok(Pools::Sqlite { read, write })
    }

    /// After a storage fault that has lasted the hold time: try to store changes again. A read-only or I/O fault on SQLite first closes every connection and opens
    /// new ones (SQLite keeps a file's shared memory read-only for as long as any
    /// connection that opened it so is alive), then a probe write tells whether the
    /// storage takes changes; it clears the fault if it does.
    async fn recover(&self, fault: StorageFault) -> super::Result<()> {
        if let (Some(url), true) = (&self.sqlite_url, fault != StorageFault::DiskFull) {
            let old = self.pools();
            match &old {
                Pools::Sqlite { read, write } => {
                    read.close().await;
                    write.close().await;
                }
                Pools::Postgres { .. } => {}
            }
            match Self::sqlite_pools(url).await {
                Ok(new) => *self.pools.write().unwrap_or_else(|p| p.into_inner()) = new,
                Err(e) => {
                    tracing::warn!(error = %e, "reopening the database failed");
                    // Keep serving reads: reopen without the fault's cause resolved.
                    return Err(super::Error::internal(e.to_string()));
                }
            }
        }
        self.probe_write().await
    }

    /// Open the pools for `url`; a SQLite file is created if missing.
    pub async fn connect(url: &str) -> Result<Db, ConnectError> {
        match Backend::of_url(url)? {
            Backend::Sqlite => Ok(Db::new(Self::sqlite_pools(url).await?, Some(url))),
            Backend::Postgres => {
                let opts = PgConnectOptions::from_str(url)
                    .map_err(|e| ConnectError::BadUrl(e.to_string()))?;
                Self::connect_postgres(opts).await
            }
        }
    }

    /// Pools that connect on first use, so that a server can start (and answer
    /// `/healthz` and 503s) while a database server is still down.
    pub fn connect_lazy(url: &str) -> Result<Db, ConnectError> {
        match Backend::of_url(url)? {
            Backend::Postgres => {
                let opts = bounded(
                    PgConnectOptions::from_str(url)
                        .map_err(|e| ConnectError::BadUrl(e.to_string()))?,
                );
                let pools = Pools::Postgres {
                    read: pg_pool(PG_READERS).connect_lazy_with(opts.clone()),
                    write: pg_pool(PG_WRITERS).connect_lazy_with(opts),
                };
                Ok(Db::new(pools, None))
            }
            Backend::Sqlite => Err(ConnectError::BadUrl(
                "a SQLite file is opened at once, not lazily".into(),
            )),
        }
    }

    /// Open PostgreSQL pools with pacts' settings (used by tests to pick a schema).
    pub async fn connect_postgres(opts: PgConnectOptions) -> Result<Db, ConnectError> {
        let opts = bounded(opts);
        let write = pg_pool(PG_WRITERS)
            .connect_with(opts.clone())
            .await
            .map_err(ConnectError::Open)?;
        let read = pg_pool(PG_READERS).connect_lazy_with(opts);
        Ok(Db::new(Pools::Postgres { read, write }, None))
    }

    /// Close both pools (waits for connections in use to come back).
    pub async fn close(&self) {
        match &self.pools() {
            Pools::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres { read, write } => {
                read.close().await;
                write.close().await;
            }
        }
    }

    /// Run fixed SQL outside any transaction on PostgreSQL (test and admin set-up: create
    /// a schema or a database); nothing on SQLite.
    pub async fn admin_exec(&self, sql: &str) -> super::Result<()> {
        if let Pools::Postgres { write, .. } = &self.pools() {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(write)
                .await?;
        }
        Ok(())
    }
}
