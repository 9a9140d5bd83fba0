//! Write tokens. A token is `pacts_<lookup>_<secret>`; only the SHA-256 of the whole token
//! is stored, beside the public `lookup` part used to find its row. The hash is compared
//! in constant time. Revocation is a column update, seen by the next request.

use chrono::Utc;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Col, Db, Val};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A newly created token: shown once, never stored.
pub struct NewToken {
    pub name: String,
    pub token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("a token named {0:?} already exists")]
    Exists(String),
    #[error("no token is named {0:?}")]
    Unknown(String),
    #[error("token names are 1 to 64 characters of letters, digits, '-', '_' and '.'")]
    BadName,
    #[error("no random numbers are available: {0}")]
    Random(String),
    #[error(transparent)]
    Db(#[from] super::Error),
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

pub async fn create(db: &Db, name: &str) -> Result<NewToken, TokenError> {
    if !valid_name(name) {
        return Err(TokenError::BadName);
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| TokenError::Random(e.to_string()))?;
    let lookup = hex(&raw[..6]);
    let token = format!("pacts_{lookup}_{}", hex(&raw[6..]));
    let mut tx = db.begin_write(super::Scope::Keys).await?;
    let taken = tx
        .fetch_one_int(
            "select count(*) from api_tokens where name = $1",
            &[Val::text(name)],
        )
        .await?;
    if taken > 0 {
        return Err(TokenError::Exists(name.to_string()));
    }
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let created = if db.is_postgres() {
        "cast($4 as timestamptz)"
    } else {
        "$4"
    };
    tx.execute(
        format!(
            "insert into api_tokens (name, lookup, hash, created_at) values ($1, $2, $3, {created})"
        ),
        &[
            Val::text(name),
            Val::text(lookup),
            Val::text(hash(&token)),
            Val::text(now),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(NewToken {
        name: name.to_string(),
        token,
    })
}

/// What is known of a token (never the token itself).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenInfo {
    pub name: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// Name, creation time and revocation time of every token.
pub async fn list(db: &Db) -> super::Result<Vec<TokenInfo>> {
    let sql = if !db.is_postgres() {
        "select name, created_at, revoked_at from api_tokens order by name"
    } else {
        {
            "select name, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as created_at,
                    to_char(revoked_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as revoked_at
               from api_tokens order by name"
        }
    };
    db.fetch_as(sql.into(), &[]).await
}

pub async fn revoke(db: &Db, name: &str) -> Result<(), TokenError> {
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let at = if db.is_postgres() {
        "cast($1 as timestamptz)"
    } else {
        "$1"
    };
    let mut tx = db.begin_write(super::Scope::Keys).await?;
    let n = tx
        .execute(
            format!(
                "update api_tokens set revoked_at = coalesce(revoked_at, {at}) where name = $2"
            ),
            &[Val::text(now), Val::text(name)],
        )
        .await?;
    if n == 0 {
        return Err(TokenError::Unknown(name.to_string()));
    }
    tx.commit().await?;
    Ok(())
}

/// What a presented token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A live token: its name, and its public id.
    Valid { name: String, lookup: String },
    /// The id names a live token but the secret is wrong.
    WrongSecret { lookup: String },
    /// Malformed, unknown or revoked.
    Unknown,
}

/// Check a presented token against the live ones.
pub async fn check(db: &Db, presented: &str) -> super::Result<Verdict> {
    let mut parts = presented.splitn(3, '_');
    let (Some("pacts"), Some(lookup), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(Verdict::Unknown);
    };
    if lookup.len() != 12 || !lookup.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Verdict::Unknown);
    }
    let rows = db
        .fetch(
            "select name, hash from api_tokens where lookup = $1 and revoked_at is null".into(),
            &[Val::text(lookup)],
            &[Col::Text, Col::Text],
        )
        .await?;
    if rows.is_empty() {
        return Ok(Verdict::Unknown);
    }
    let want = hash(presented);
    for r in rows {
        if let (Some(name), Some(stored)) = (r[0].as_text(), r[1].as_text())
            && bool::from(stored.as_bytes().ct_eq(want.as_bytes()))
        {
            return Ok(Verdict::Valid {
                name: name.to_string(),
                lookup: lookup.to_string(),
            });
        }
    }
    Ok(Verdict::WrongSecret {
        lookup: lookup.to_string(),
    })
}

/// The name of the live token matching `presented`, if any.
pub async fn verify(db: &Db, presented: &str) -> super::Result<Option<String>> {
    Ok(match check(db, presented).await? {
        Verdict::Valid { name, .. } => Some(name),
        _ => None,
    })
}
