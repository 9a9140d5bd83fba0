//! Whether the database can store changes: the storage fault the last failed write hit
//! (a full disk, a read-only file, an I/O error), until a write succeeds again. `/readyz`
//! reports it; the server's storage watcher (`Db::watch_storage`) probes with a real write
//! so that recovery is seen without waiting for a client's write.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Error;

/// A fault of the storage under the database, as opposed to a fault of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    DiskFull,
    ReadOnly,
    Io,
}

impl StorageFault {
    fn of(e: &Error) -> Option<StorageFault> {
        match e {
            Error::DiskFull(_) => Some(StorageFault::DiskFull),
            Error::ReadOnly(_) => Some(StorageFault::ReadOnly),
            Error::StorageIo(_) => Some(StorageFault::Io),
            _ => None,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            StorageFault::DiskFull => "the database's disk is full",
            StorageFault::ReadOnly => "the database is read-only",
            StorageFault::Io => "the database's storage reports I/O errors",
        }
    }
}

/// How long a storage fault lasts before the server tries a write of its own (and then
/// again at this interval): a small write can fit into space the database file already
/// has while larger ones fail, and readiness should not flap on that.
pub const HOLD: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct Health {
    fault: Mutex<Option<(StorageFault, Instant)>>,
}

impl Health {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<(StorageFault, Instant)>> {
        self.fault.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A statement or commit failed: note a storage fault.
    pub fn saw(&self, e: &Error) {
        if let Some(f) = StorageFault::of(e) {
            let mut slot = self.slot();
            // The time is when this fault began: writes that keep failing do not
            // postpone the probe.
            if slot.is_none_or(|(old, _)| old != f) {
                *slot = Some((f, Instant::now()));
            }
        }
    }

    /// A write committed: the storage takes changes again.
    pub fn wrote(&self) {
        *self.slot() = None;
    }

    /// The fault seen, and how long ago it began, until a write succeeds again.
    pub fn fault(&self) -> Option<(StorageFault, Duration)> {
        self.slot().map(|(f, at)| (f, at.elapsed()))
    }
}
