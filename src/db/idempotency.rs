//! Stored answers to creates sent with an idempotency key: a retry of the same request
//! (same token, key and request hash) gets the first answer back instead of creating
//! again; the same key with another request is refused. Answers are kept for a day.

use serde_json::Value;

use super::write::Created;
use super::{Col, Error, Result, Tx, Val};
use crate::model::Resource;

/// An idempotency key, a hash of the request it came with, and how the caller names the
/// created item's address (its `Location`), which is stored with the answer.
#[derive(Debug, Clone)]
pub struct Idem {
    pub key: String,
    pub request_hash: String,
    pub location: fn(&Resource, &Val) -> String,
}

/// How long a stored answer is kept.
const KEEP_FOR: chrono::TimeDelta = chrono::TimeDelta::days(1);

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The stored answer for this key, if any; refused if the key came with another request.
pub async fn lookup(tx: &mut Tx, token: &str, idem: &Idem) -> Result<Option<Created>> {
    let rows = tx
        .fetch(
            "select request_hash, status, location, body from idempotency_keys where token = $1 and idem_key = $2".into(),
            &[Val::text(token), Val::text(idem.key.clone())],
            &[Col::Text, Col::Int, Col::Text, Col::Text],
        )
        .await?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    if r[0].as_text() != Some(idem.request_hash.as_str()) {
        return Err(Error::IdempotencyKeyReused);
    }
    let status = match r[1] {
        Val::Int(Some(n)) => u16::try_from(n).unwrap_or(201),
        _ => 201,
    };
    Ok(Some(Created::Replayed {
        status,
        location: r[2].as_text().map(str::to_string),
        body: r[3].as_text().unwrap_or_default().to_string(),
    }))
}

/// Store the answer to a create, dropping answers older than a day.
pub async fn store(
    tx: &mut Tx,
    token: &str,
    idem: &Idem,
    res: &Resource,
    key: &Val,
    item: &Value,
) -> Result<()> {
    let cutoff =
        (chrono::Utc::now() - KEEP_FOR).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    // On PostgreSQL, rows another open transaction is deleting are left to it, so that
    // no create waits here for another writer.
    let prune = if tx.is_postgres() {
        "delete from idempotency_keys where (token, idem_key) in (select token, idem_key from idempotency_keys where created_at < $1 limit 100 for update skip locked)"
    } else {
        "delete from idempotency_keys where created_at < $1"
    };
    tx.execute(prune.into(), &[Val::text(cutoff)]).await?;
    tx.execute(
        "insert into idempotency_keys (token, idem_key, request_hash, status, location, body, created_at) values ($1, $2, $3, $4, $5, $6, $7)".into(),
        &[
            Val::text(token),
            Val::text(idem.key.clone()),
            Val::text(idem.request_hash.clone()),
            Val::Int(Some(201)),
            Val::text((idem.location)(res, key)),
            Val::text(item.to_string()),
            Val::text(now()),
        ],
    )
    .await?;
    Ok(())
}
