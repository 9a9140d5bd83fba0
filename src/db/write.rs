//! Every write: create, replace, patch and delete (with cascade). Each runs in one
//! transaction that checks the caller's precondition and the rules of the resource's
//! table entry (references, uniqueness, overlapping periods, the last source of a fact),
//! records the change log (the item before and after, for the row and every dependant a
//! cascade touches), stores the answer to an idempotent create, and bumps the data
//! version.

use serde_json::Value;

use super::changes::record;
use super::idempotency::{self, Idem};
use super::locks::{self, LockKey};
use super::read::{get_sql, key_col, to_json};
use super::rules::{check_rules, exists};
use super::seed::bump_version;
use super::store::{insert_row, update_row, write_sources};
use super::{Db, Error, Result, Tx, Val};
use crate::input::{self, Input, Mode};
use crate::model::{KeyKind, OnCascade, Resource};

/// Who writes, as part of which request.
#[derive(Debug, Clone, Default)]
pub struct WriteCtx {
    /// The name of the token (never the token).
    pub token: String,
    /// One id per request, assigned by the server; a revert undoes a whole batch.
    pub batch: String,
    /// The client's request id, as a label only.
    pub request_id: Option<String>,
}

impl WriteCtx {
    /// A context with a new batch id, unique across processes and restarts.
    pub fn new(token: impl Into<String>, request_id: Option<String>) -> WriteCtx {
        let mut b = [0u8; 12];
        let _ = getrandom::fill(&mut b);
        let batch: String = b.iter().map(|x| format!("{x:02x}")).collect();
        WriteCtx {
            token: token.into(),
            batch: format!("b-{batch}"),
            request_id,
        }
    }
}

/// A condition on the current row (or its absence) that must hold for a write to go
/// ahead, checked inside the write's transaction: the HTTP layer's `If-Match`.
pub trait Precondition: Send + Sync {
    fn holds(&self, current: Option<&Value>) -> bool;
}

/// An optional precondition.
pub type Cond<'a> = Option<&'a dyn Precondition>;

fn check(cond: Cond<'_>, current: Option<&Value>) -> Result<()> {
    match cond {
        Some(c) if !c.holds(current) => Err(Error::PreconditionFailed),
        _ => Ok(()),
    }
}

/// What a create produced: a new item, or the stored answer to an earlier identical one.
pub enum Created {
    New {
        key: Val,
        item: Value,
    },
    Replayed {
        status: u16,
        location: Option<String>,
        body: String,
    },
}

/// One item as served, read inside the transaction.
pub async fn get_tx(tx: &mut Tx, res: &Resource, key: &Val) -> Result<Option<Value>> {
    let (sql, cols) = get_sql(tx.string_agg(), res);
    let rows = tx.fetch(sql, std::slice::from_ref(key), &cols).await?;
    Ok(rows.first().map(|r| to_json(res, r)))
}

/// Create a row; the key must be free. With an idempotency key, a retry of the same
/// request returns the stored answer instead of creating again.
pub async fn create(
    db: &Db,
    res: &'static Resource,
    mut input: Input,
    ctx: &WriteCtx,
    idem: Option<&Idem>,
) -> Result<Created> {
    if res.key_kind != KeyKind::Id && input.key.is_none() {
        return Err(Error::field(res.key, "is required"));
    }
    let mut keys = Vec::new();
    if let Some(idem) = idem {
        keys.push(LockKey::exclusive(&["idempotency", &ctx.token, &idem.key]));
    }
    if let Some(k) = &input.key {
        keys.push(locks::row(res.table, k, false));
    }
    let mut tx = db.begin_write_locking(&keys).await?;
    if let Some(idem) = idem
        && let Some(stored) = idempotency::lookup(&mut tx, &ctx.token, idem).await?
    {
        return Ok(stored);
    }
    if let Some(k) = &input.key
        && exists(&mut tx, res, k).await?
    {
        return Err(Error::KeyTaken {
            collection: res,
            key: k.clone(),
        });
    }
    check_rules(&mut tx, res, &mut input, None, false).await?;
    let key = insert_row(&mut tx, res, &input).await?;
    write_sources(&mut tx, res, &key, &input.sources).await?;
    let item = get_tx(&mut tx, res, &key).await?.unwrap_or(Value::Null);
    record(&mut tx, ctx, res, &key, None, Some(&item), None).await?;
    if let Some(idem) = idem {
        idempotency::store(&mut tx, &ctx.token, idem, res, &key, &item).await?;
    }
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(Created::New { key, item })
}

/// Create or replace the row at `key`. Returns whether it was created, and the item.
pub async fn replace(
    db: &Db,
    res: &'static Resource,
    key: &Val,
    input: Input,
    ctx: &WriteCtx,
    cond: Cond<'_>,
) -> Result<(bool, Value)> {
    let mut tx = db
        .begin_write_locking(&[locks::row(res.table, key, false)])
        .await?;
    let out = replace_in(&mut tx, res, key, input, ctx, cond, None).await?;
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(out)
}

/// Apply a JSON merge patch to the current item and store the result.
pub async fn patch(
    db: &Db,
    res: &'static Resource,
    key: &Val,
    patch: &Value,
    ctx: &WriteCtx,
    cond: Cond<'_>,
) -> Result<Value> {
    let mut tx = db
        .begin_write_locking(&[locks::row(res.table, key, false)])
        .await?;
    let mut current = get_tx(&mut tx, res, key)
        .await?
        .ok_or_else(|| Error::NotFound {
            collection: res,
            key: key.clone(),
        })?;
    check(cond, Some(&current))?;
    input::merge_patch(&mut current, patch);
    let input = input::validate(res, &current, Mode::Replace)?;
    let (_, item) = replace_in(&mut tx, res, key, input, ctx, None, None).await?;
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(item)
}

/// Replace (or create) the row at `key` inside `tx`; the caller holds the row's key, or
/// everything.
pub(super) async fn replace_in(
    tx: &mut Tx,
    res: &'static Resource,
    key: &Val,
    mut input: Input,
    ctx: &WriteCtx,
    cond: Cond<'_>,
    reverts: Option<i64>,
) -> Result<(bool, Value)> {
    match &input.key {
        Some(k) if k != key => {
            return Err(Error::field(
                res.key,
                format!(
                    "{} does not match the key in the path ({})",
                    k.to_json(),
                    key.to_json()
                ),
            ));
        }
        _ => input.key = Some(key.clone()),
    }
    let before = get_tx(tx, res, key).await?;
    check(cond, before.as_ref())?;
    check_rules(tx, res, &mut input, Some(key), reverts.is_some()).await?;
    if before.is_some() {
        update_row(tx, res, key, &input).await?;
    } else {
        insert_row(tx, res, &input).await?;
    }
    write_sources(tx, res, key, &input.sources).await?;
    let after = get_tx(tx, res, key).await?.unwrap_or(Value::Null);
    if before.as_ref() != Some(&after) {
        record(tx, ctx, res, key, before.as_ref(), Some(&after), reverts).await?;
    }
    Ok((before.is_none(), after))
}

/// Delete the row at `key`. Without `cascade`, a row that others refer to is refused,
/// naming them; with it, the dependants go too (or lose the reference, where that is the
/// sane outcome), each recorded in the change log. A source is never unlinked from a
/// fact it is the only source of.
pub async fn delete(
    db: &Db,
    res: &'static Resource,
    key: &Val,
    cascade: bool,
    ctx: &WriteCtx,
    cond: Cond<'_>,
) -> Result<()> {
    let mut tx = db
        .begin_write_locking(&[locks::row(res.table, key, false)])
        .await?;
    delete_in(&mut tx, res, key, cascade, ctx, cond, None).await?;
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Delete the row at `key` inside `tx`; the caller holds the row's key, or everything.
pub(super) async fn delete_in(
    tx: &mut Tx,
    res: &'static Resource,
    key: &Val,
    cascade: bool,
    ctx: &WriteCtx,
    cond: Cond<'_>,
    reverts: Option<i64>,
) -> Result<()> {
    let Some(before) = get_tx(tx, res, key).await? else {
        return Err(Error::NotFound {
            collection: res,
            key: key.clone(),
        });
    };
    check(cond, Some(&before))?;
    let mut found = Vec::new();
    let mut orphaned = Vec::new();
    for d in res.dependants {
        let n = tx
            .fetch_one_int(
                format!("select count(*) from {} where {} = $1", d.table, d.column),
                std::slice::from_ref(key),
            )
            .await?;
        if n > 0 {
            found.push(format!("{n} {}", d.label));
        }
        if d.on_cascade == OnCascade::UnlinkKeepingOne {
            let n = tx
                .fetch_one_int(
                    format!(
                        "select count(*) from {t} l where l.{c} = $1 and not exists (select 1 from {t} o where o.{k} = l.{k} and o.{c} <> $1)",
                        t = d.table,
                        c = d.column,
                        k = d.owner_key
                    ),
                    std::slice::from_ref(key),
                )
                .await?;
            if n > 0 {
                orphaned.push(format!("{n} {}", d.label));
            }
        }
    }
    if !found.is_empty() && !cascade {
        return Err(Error::Referenced {
            collection: res,
            by: found,
        });
    }
    if !orphaned.is_empty() {
        return Err(Error::OnlySource { of: orphaned });
    }
    for d in res.dependants {
        let owner = d.owner.0;
        let rows = tx
            .fetch(
                format!(
                    "select {} from {} where {} = $1",
                    d.owner_key, d.table, d.column
                ),
                std::slice::from_ref(key),
                &[key_col(owner)],
            )
            .await?;
        let mut befores = Vec::new();
        for r in &rows {
            if let Some(b) = get_tx(tx, owner, &r[0]).await? {
                befores.push((r[0].clone(), b));
            }
        }
        let sql = match d.on_cascade {
            OnCascade::Delete | OnCascade::UnlinkKeepingOne => {
                format!("delete from {} where {} = $1", d.table, d.column)
            }
            OnCascade::SetNull => format!(
                "update {} set {c} = null where {c} = $1",
                d.table,
                c = d.column
            ),
        };
        tx.execute(sql, std::slice::from_ref(key)).await?;
        for (k, b) in befores {
            let after = get_tx(tx, owner, &k).await?;
            record(tx, ctx, owner, &k, Some(&b), after.as_ref(), None).await?;
        }
    }
    tx.execute(
        format!("delete from {} where {} = $1", res.table, res.key),
        std::slice::from_ref(key),
    )
    .await?;
    record(tx, ctx, res, key, Some(&before), None, reverts).await?;
    Ok(())
}
