//! The data version as this process knows it. Every write bumps a version inside its own
//! transaction; this process re-reads it from the database at most every
//! [`VERSION_TTL`] (and at once after a write of its own), so a write through another
//! process sharing the same PostgreSQL is seen within that time, and a write through
//! this one immediately. ETags and the response cache are keyed by it.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::db::{self, Db};

/// How stale this process's idea of the data version may be (writes elsewhere).
pub const VERSION_TTL: Duration = Duration::from_millis(250);

/// The data version as this process knows it.
#[derive(Debug)]
pub struct Version {
    value: AtomicI64,
    /// Microseconds since `epoch` of the last read from the database; 0 = read now.
    checked: AtomicU64,
    refreshing: AtomicBool,
    /// Bumped by every local write, so that a read of the version that started before
    /// the write committed is not taken as fresh.
    generation: AtomicU64,
    epoch: Instant,
}

impl Default for Version {
    fn default() -> Self {
        Version {
            value: AtomicI64::new(-1),
            checked: AtomicU64::new(0),
            refreshing: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }
}

impl Version {
    fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64 + 1
    }

    /// Forget the known version: the next read asks the database (after a local write).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.checked.store(0, Ordering::Release);
    }

    /// The current version, re-read when older than the TTL. One request refreshes while
    /// the others go on with the value they have; a failed read keeps the old value (and
    /// says so, so that the caller can answer 503 when it has none).
    pub async fn current(&self, db: &Db) -> db::Result<i64> {
        let checked = self.checked.load(Ordering::Acquire);
        let known = self.value.load(Ordering::Acquire);
        let fresh =
            checked != 0 && self.now_us().saturating_sub(checked) < VERSION_TTL.as_micros() as u64;
        if fresh && known >= 0 {
            return Ok(known);
        }
        let must_wait = checked == 0 || known < 0;
        if !must_wait && self.refreshing.swap(true, Ordering::AcqRel) {
            return Ok(known);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let result = db.data_version().await;
        self.refreshing.store(false, Ordering::Release);
        match result {
            Ok(v) => {
                self.value.fetch_max(v, Ordering::AcqRel);
                if self.generation.load(Ordering::Acquire) == generation {
                    self.checked.store(self.now_us(), Ordering::Release);
                }
                Ok(v)
            }
            Err(e) => Err(e),
        }
    }
}
