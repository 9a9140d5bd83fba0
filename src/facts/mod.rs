//! The facts in memory: every question is answered from a snapshot of the data derived
//! from the database (which stays the only source of truth) and tagged with the data
//! version it was read at. A question is answered from memory when the snapshot is at
//! least as new as the version this process knows; otherwise it is answered by SQL while
//! one background task loads a new snapshot, so no reader ever waits for a load. A
//! local write starts a load at once; another process's write is seen with the version,
//! within its 250 ms bound. See `docs/FACTS.md`.

pub mod emit;
pub mod select;
pub mod snapshot;
pub mod timeline;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

pub use snapshot::Snapshot;

use crate::db::{self, Db};

/// The current snapshot and the one load that may be running.
#[derive(Debug)]
pub struct Facts {
    enabled: bool,
    current: RwLock<Option<Arc<Snapshot>>>,
    loading: AtomicBool,
    loads: AtomicU64,
    failed_loads: AtomicU64,
    /// Questions given a snapshot, and questions sent to SQL.
    from_memory: AtomicU64,
    from_sql: AtomicU64,
    last_load_us: AtomicU64,
}

impl Default for Facts {
    fn default() -> Self {
        Facts::new(true)
    }
}

impl Facts {
    /// `enabled = false`: every question is answered by SQL (the differential test's
    /// reference, and `PACTS_FACTS_IN_MEMORY=false`).
    pub fn new(enabled: bool) -> Facts {
        Facts {
            enabled,
            current: RwLock::new(None),
            loading: AtomicBool::new(false),
            loads: AtomicU64::new(0),
            failed_loads: AtomicU64::new(0),
            from_memory: AtomicU64::new(0),
            from_sql: AtomicU64::new(0),
            last_load_us: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The snapshot held now, whatever its version.
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The snapshot to answer from when the data version is `version`, or `None` (answer
    /// by SQL) while it is older; then a load starts unless one is running.
    pub fn at(self: &Arc<Self>, version: i64, db: &Db) -> Option<Arc<Snapshot>> {
        let snap = match self.current() {
            Some(s) if self.enabled && s.version >= version => Some(s),
            _ => {
                self.load_in_background(db);
                None
            }
        };
        let counter = if snap.is_some() {
            &self.from_memory
        } else {
            &self.from_sql
        };
        counter.fetch_add(1, Ordering::Relaxed);
        snap
    }

    /// Questions answered from memory and by SQL so far.
    pub fn answered(&self) -> (u64, u64) {
        (
            self.from_memory.load(Ordering::Relaxed),
            self.from_sql.load(Ordering::Relaxed),
        )
    }

    /// Start a load unless one is running.
    pub fn load_in_background(self: &Arc<Self>, db: &Db) {
        if !self.enabled || self.loading.swap(true, Ordering::AcqRel) {
            return;
        }
        let (facts, db) = (self.clone(), db.clone());
        tokio::spawn(async move {
            if let Err(e) = facts.load_now(&db).await {
                tracing::warn!(error = %e, "loading the facts into memory failed; questions are answered by SQL until a later load succeeds");
            }
            facts.loading.store(false, Ordering::Release);
        });
    }

    /// Load a snapshot now (at start-up, before the server says it is ready) and put it
    /// in place unless a newer one already is.
    pub async fn load_now(&self, db: &Db) -> db::Result<()> {
        if !self.enabled {
            return Ok(());
        }
        let started = Instant::now();
        let snap = match build(db).await {
            Ok(s) => s,
            Err(e) => {
                self.failed_loads.fetch_add(1, Ordering::Relaxed);
                return Err(e);
            }
        };
        let (version, rows) = (snap.version, snap.held.len());
        self.install(Arc::new(snap));
        release_freed_memory();
        let took = started.elapsed();
        self.loads.fetch_add(1, Ordering::Relaxed);
        self.last_load_us
            .store(took.as_micros() as u64, Ordering::Relaxed);
        tracing::debug!(
            version,
            memberships = rows,
            ms = took.as_millis() as u64,
            "facts loaded"
        );
        Ok(())
    }

    /// Put `snap` in place unless a newer one already is.
    fn install(&self, snap: Arc<Snapshot>) {
        let mut cur = self.current.write().unwrap_or_else(|e| e.into_inner());
        if cur.as_ref().is_none_or(|c| c.version <= snap.version) {
            *cur = Some(snap);
        }
    }

    /// A snapshot at `version` or newer for the time questions (events, counts, diff),
    /// which have no SQL twin: the one held if it is new enough, else one read now (and
    /// kept, when the facts are held in memory).
    pub async fn fresh(&self, version: i64, db: &Db) -> db::Result<Arc<Snapshot>> {
        if let Some(s) = self.current().filter(|s| s.version >= version) {
            return Ok(s);
        }
        let snap = Arc::new(build(db).await?);
        if self.enabled {
            self.install(snap.clone());
        }
        Ok(snap)
    }

    /// (loads, failed loads, last load's seconds, version held or -1, bytes held).
    pub fn stats(&self) -> (u64, u64, f64, i64, usize) {
        let cur = self.current();
        (
            self.loads.load(Ordering::Relaxed),
            self.failed_loads.load(Ordering::Relaxed),
            self.last_load_us.load(Ordering::Relaxed) as f64 / 1e6,
            cur.as_ref().map_or(-1, |s| s.version),
            cur.as_ref().map_or(0, |s| s.bytes),
        )
    }
}

/// Read the facts in one read transaction and build their snapshot.
async fn build(db: &Db) -> db::Result<Snapshot> {
    let loaded = db::questions::load(db).await?;
    tokio::task::spawn_blocking(move || Snapshot::build(loaded))
        .await
        .map_err(|e| db::Error::internal(format!("building the snapshot: {e}")))
}

/// Give the memory a load freed (the rows as read, the snapshot replaced) back to the
/// system: glibc keeps freed blocks in its arenas otherwise, and a process that loaded
/// 338,000 memberships would go on holding the peak of the load.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim only returns free memory to the system; it has no
        // preconditions and touches no memory in use.
        unsafe {
            malloc_trim(0);
        }
    }
}
