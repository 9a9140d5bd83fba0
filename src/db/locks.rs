//! What a write locks on PostgreSQL: transaction-scoped advisory locks on exactly the keys
//! its checks depend on, so that writes to unrelated keys never wait for each other (or
//! for a peer that froze inside its transaction).
//!
//! - Every ordinary write holds the *shared* lock on [`EVERYTHING`]; a release upgrade or a
//!   revert (which touch rows they cannot name up front) hold it exclusively.
//! - A write holds its own row's key exclusively (read-modify-write of one item is
//!   serialised), the keys it refers to shared (a state cannot be deleted while a
//!   membership naming it is being written), and the scope of a no-overlap rule (state and
//!   organisation of a membership) exclusively, so that two overlapping periods cannot
//!   both pass the check.
//!
//! Keys are hashed to 64-bit numbers with FNV-1a (stable across processes and builds), and
//! the number is hashed again with the schema's name by PostgreSQL: advisory locks belong
//! to the whole database, and two pacts data sets in two schemas of one database (the test
//! suite's cases) must not wait for each other. A collision only makes two unrelated
//! writes wait for each other, never lets two conflicting ones through.

/// One advisory lock.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LockKey {
    pub id: i64,
    pub shared: bool,
}

/// The lock every write takes: shared for ordinary writes, exclusive for whole-data ones.
pub const EVERYTHING: &str = "pacts:everything";

/// How much of the data a write transaction may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Rows it names: it locks their keys as it goes.
    Keys,
    /// Anything (a release upgrade, a revert): it waits for every other writer.
    Everything,
}

impl LockKey {
    pub fn exclusive(parts: &[&str]) -> LockKey {
        LockKey {
            id: hash(parts),
            shared: false,
        }
    }

    pub fn shared(parts: &[&str]) -> LockKey {
        LockKey {
            id: hash(parts),
            shared: true,
        }
    }
}

/// The lock on one row's key (exclusive: its writer; shared: a writer referring to it).
pub fn row(table: &str, key: &super::Val, shared: bool) -> LockKey {
    let k = key.key_text();
    if shared {
        LockKey::shared(&[table, &k])
    } else {
        LockKey::exclusive(&[table, &k])
    }
}

fn hash(parts: &[&str]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h as i64
}

/// One statement taking the locks in ascending order (exclusive before shared on the same
/// key, which then is not taken twice).
pub(super) fn lock_sql(keys: &[LockKey]) -> String {
    let mut keys = keys.to_vec();
    keys.sort();
    keys.dedup_by(|b, a| a.id == b.id);
    let calls: Vec<String> = keys
        .iter()
        .map(|k| {
            let f = if k.shared {
                "pg_advisory_xact_lock_shared"
            } else {
                "pg_advisory_xact_lock"
            };
            format!("{f}(hashtextextended(current_schema() || ':{}', 0))", k.id)
        })
        .collect();
    format!("select {}", calls.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_ordered() {
        assert_eq!(
            LockKey::exclusive(&["memberships", "1"]),
            LockKey::exclusive(&["memberships", "1"])
        );
        assert_ne!(
            LockKey::exclusive(&["ab", "c"]).id,
            LockKey::exclusive(&["a", "bc"]).id
        );
        let a = LockKey::shared(&["x"]);
        let b = LockKey::exclusive(&["x"]);
        let sql = lock_sql(&[a.clone(), b.clone(), a]);
        assert_eq!(
            sql,
            format!(
                "select pg_advisory_xact_lock(hashtextextended(current_schema() || ':{}', 0))",
                b.id
            )
        );
    }
}
