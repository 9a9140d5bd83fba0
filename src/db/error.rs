//! What went wrong, in database terms. Only this module looks at driver errors (SQLSTATE
//! codes, SQLite result codes, pool and I/O failures); callers match on [`Error`] and
//! never on the backend. The source of a fault is kept, so that the one log line written
//! for it can show the whole chain.

use crate::input::{FieldError, Invalid};
use crate::model::{Resource, Val};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which integrity rule a statement broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    Unique,
    ForeignKey,
    Check,
    NotNull,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No row has this key.
    #[error("no {} has the key {}", .collection.singular, .key.key_text())]
    NotFound {
        collection: &'static Resource,
        key: Val,
    },
    /// A create names a key that is taken.
    #[error("the {} {} exists already", .collection.singular, .key.key_text())]
    KeyTaken {
        collection: &'static Resource,
        key: Val,
    },
    /// A field that must be unique holds a value another row has.
    #[error("another {} has {field} = {}", .collection.singular, .value.key_text())]
    Duplicate {
        collection: &'static Resource,
        field: &'static str,
        value: Val,
    },
    /// Rows elsewhere refer to this one (each entry: a count and what they are).
    #[error("the {} is still referred to by {}", .collection.singular, .by.join(", "))]
    Referenced {
        collection: &'static Resource,
        by: Vec<String>,
    },
    /// Removing this source would leave facts without any source.
    #[error("the source is the only source of {}", .of.join(", "))]
    OnlySource { of: Vec<String> },
    /// An item changed after the change a revert was asked for.
    #[error("the {} {key} changed after change {change}", .collection.singular)]
    ChangedSince {
        collection: &'static Resource,
        key: String,
        change: i64,
    },
    /// The row breaks a rule checked against stored data (a reference to nothing, an
    /// overlapping period): one entry per field.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The caller's precondition on the current row does not hold.
    #[error("the precondition on the current row does not hold")]
    PreconditionFailed,
    /// An idempotency key was used before with a different request.
    #[error("the idempotency key was used for another request")]
    IdempotencyKeyReused,
    /// The database refused a statement by one of its own constraints.
    #[error("{kind:?} constraint violated{}", .field.as_ref().map(|f| format!(" on {f}")).unwrap_or_default())]
    Constraint {
        kind: Constraint,
        field: Option<String>,
    },
    /// Another writer holds the lock for longer than we wait.
    #[error("the database is busy")]
    Busy(#[source] sqlx::Error),
    /// The database cannot be reached, or is shutting down.
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A statement did not finish in time.
    #[error("the database did not answer in time")]
    Deadline,
    /// A `COMMIT` was sent but its answer never came (deadline, lost connection): the
    /// write may or may not have been stored.
    #[error("the outcome of the commit is unknown")]
    OutcomeUnknown(#[source] Box<Error>),
    /// The storage under the database fails reads or writes (SQLite's I/O errors).
    #[error("the database's storage reports an I/O error")]
    StorageIo(#[source] sqlx::Error),
    /// No space left to write.
    #[error("the database's disk is full")]
    DiskFull(#[source] sqlx::Error),
    /// The database (or its file) accepts no writes.
    #[error("the database is read-only")]
    ReadOnly(#[source] sqlx::Error),
    /// Anything else: a fault on our side.
    #[error("database fault")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// An internal fault described in words (data that breaks an invariant).
    pub fn internal(why: impl Into<String>) -> Self {
        Error::Internal(why.into().into())
    }

    /// One field of a row breaks a rule checked against the stored data.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid(Invalid(vec![FieldError::new(field, message)]))
    }
}

/// SQLite's primary result codes (the low byte of an extended code).
const SQLITE_READONLY: i64 = 8;
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_IOERR: i64 = 10;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        let (kind, code, message) = match &e {
            sqlx::Error::Database(db) => (
                db.kind(),
                db.code().map(|c| c.to_string()).unwrap_or_default(),
                db.message().to_string(),
            ),
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => return Error::Unavailable(e),
            _ => return Error::Internal(Box::new(e)),
        };
        let constraint = match kind {
            ErrorKind::UniqueViolation => Some(Constraint::Unique),
            ErrorKind::ForeignKeyViolation => Some(Constraint::ForeignKey),
            ErrorKind::CheckViolation => Some(Constraint::Check),
            ErrorKind::NotNullViolation => Some(Constraint::NotNull),
            _ => None,
        };
        if let Some(kind) = constraint {
            return Error::Constraint {
                kind,
                field: constraint_field(&e, &message),
            };
        }
        if let Ok(n) = code.parse::<i64>() {
            // SQLite: result codes are numbers.
            return match n & 0xff {
                SQLITE_BUSY | SQLITE_LOCKED => Error::Busy(e),
                SQLITE_FULL => Error::DiskFull(e),
                SQLITE_READONLY => Error::ReadOnly(e),
                SQLITE_IOERR | SQLITE_CANTOPEN => Error::StorageIo(e),
                _ => Error::Internal(Box::new(e)),
            };
        }
        // PostgreSQL: SQLSTATE. Class 08 is the connection, 57P01..57P03 shutdown,
        // 53300 too many connections, 53100 disk full, 25006 read-only transaction,
        // 55P03 lock not available, 57014 statement cancelled (a timeout).
        match code.as_str() {
            "53100" => Error::DiskFull(e),
            "25006" => Error::ReadOnly(e),
            "55P03" | "40P01" | "40001" => Error::Busy(e),
            "57014" => Error::Deadline,
            c if c.starts_with("08") || c.starts_with("57P") || c == "53300" => {
                Error::Unavailable(e)
            }
            _ => Error::Internal(Box::new(e)),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        match e {
            sqlx::migrate::MigrateError::Execute(inner)
            | sqlx::migrate::MigrateError::ExecuteMigration(inner, _) => inner.into(),
            other => Error::Internal(Box::new(other)),
        }
    }
}

/// The column a constraint failure names, where the driver says: PostgreSQL's column
/// field, or SQLite's `UNIQUE constraint failed: table.column` message.
fn constraint_field(e: &sqlx::Error, message: &str) -> Option<String> {
    if let sqlx::Error::Database(db) = e
        && let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        && let Some(c) = pg.column()
    {
        return Some(c.to_string());
    }
    let (_, rest) = message.split_once("constraint failed: ")?;
    let first = rest.split(',').next()?.trim();
    Some(first.rsplit('.').next()?.to_string())
}
