//! The change log: every row a write touched, before and after, grouped by request
//! (batch); reading it, and reverting a batch.

use serde::Serialize;
use serde_json::Value;

use super::read::Where;
use super::seed::bump_version;
use super::write::{WriteCtx, delete_in, get_tx, replace_in};
use super::{Db, Error, Result, Tx, Val};
use crate::input::{self, Mode};
use crate::model::{KeyKind, Resource};

/// One change log entry as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ChangeRow {
    id: i64,
    batch: String,
    at: String,
    token: String,
    collection: String,
    item_key: String,
    action: String,
    before: Option<String>,
    after: Option<String>,
    reverts: Option<i64>,
    request_id: Option<String>,
}

/// One change log entry as served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub id: i64,
    pub batch: String,
    pub at: String,
    /// The name of the token that wrote.
    pub token: String,
    pub collection: String,
    pub key: String,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reverts: Option<i64>,
    /// The request id the client sent with the write (a label; the batch is the unit).
    pub request_id: Option<String>,
}

impl From<ChangeRow> for Change {
    fn from(r: ChangeRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Change {
            id: r.id,
            batch: r.batch,
            at: r.at,
            token: r.token,
            collection: r.collection,
            key: r.item_key,
            action: r.action,
            before: parse(r.before),
            after: parse(r.after),
            reverts: r.reverts,
            request_id: r.request_id,
        }
    }
}

const SELECT: &str = "select id, batch, at, token, collection, item_key, action, before, after, reverts, request_id from changes";

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Append one entry to the change log.
pub(super) async fn record(
    tx: &mut Tx,
    ctx: &WriteCtx,
    res: &Resource,
    key: &Val,
    before: Option<&Value>,
    after: Option<&Value>,
    reverts: Option<i64>,
) -> Result<()> {
    let action = match (before, after) {
        (None, _) => "create",
        (Some(_), None) => "delete",
        (Some(_), Some(_)) => "replace",
    };
    tx.execute(
        "insert into changes (batch, at, token, collection, item_key, action, before, after, reverts, request_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)".into(),
        &[
            Val::text(ctx.batch.clone()),
            Val::text(now()),
            Val::text(ctx.token.clone()),
            Val::text(res.name),
            Val::text(key.key_text()),
            Val::text(action),
            Val::Text(before.map(Value::to_string)),
            Val::Text(after.map(Value::to_string)),
            Val::Int(reverts),
            Val::Text(ctx.request_id.clone()),
        ],
    )
    .await
    .map(|_| ())
}

/// Filters of the change log.
#[derive(Debug, Default)]
pub struct ChangeQuery {
    pub collection: Option<String>,
    pub key: Option<String>,
    pub token: Option<String>,
    pub batch: Option<String>,
    pub action: Option<String>,
    /// Only changes older than this id (the cursor: newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// One page of the change log, newest first.
pub struct ChangePage {
    pub changes: Vec<Change>,
    pub total: i64,
    /// The last id of this page, when more follow.
    pub next: Option<i64>,
}

pub async fn list(db: &Db, q: &ChangeQuery) -> Result<ChangePage> {
    let mut w = Where::default();
    for (col, v) in [
        ("collection", &q.collection),
        ("item_key", &q.key),
        ("token", &q.token),
        ("batch", &q.batch),
        ("action", &q.action),
    ] {
        if let Some(v) = v {
            w.push(&format!("{col} = {{}}"), Val::text(v.clone()));
        }
    }
    let total = db
        .fetch_one_int(format!("select count(*) from changes{}", w.sql()), &w.vals)
        .await?;
    if let Some(id) = q.before_id {
        w.push("id < {}", Val::Int(Some(id)));
    }
    let sql = format!("{SELECT}{} order by id desc limit {}", w.sql(), q.limit + 1);
    let mut rows: Vec<ChangeRow> = db.fetch_as(sql, &w.vals).await?;
    let more = rows.len() as i64 > q.limit;
    rows.truncate(q.limit as usize);
    let next = rows.last().filter(|_| more).map(|r| r.id);
    Ok(ChangePage {
        changes: rows.into_iter().map(Change::from).collect(),
        total,
        next,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Change>> {
    let rows: Vec<ChangeRow> = db
        .fetch_as(format!("{SELECT} where id = $1"), &[Val::Int(Some(id))])
        .await?;
    Ok(rows.into_iter().next().map(Change::from))
}

/// Undo the request that made change `id`: every change of its batch, newest first, each
/// item put back as it was before. Refused where an item has changed since. The undo is
/// itself recorded (with `reverts`), so it can be undone in turn. `None` if no change
/// has the id.
pub async fn revert(db: &Db, id: i64, ctx: &WriteCtx) -> Result<Option<Vec<Change>>> {
    let Some(target) = get(db, id).await? else {
        return Ok(None);
    };
    let mut tx = db.begin_write(super::Scope::Everything).await?;
    let rows: Vec<ChangeRow> = tx
        .fetch_as(
            format!("{SELECT} where batch = $1 order by id desc"),
            &[Val::text(target.batch.clone())],
        )
        .await?;
    for change in rows.into_iter().map(Change::from) {
        let res = crate::model::resource(&change.collection).ok_or_else(|| {
            Error::internal(format!("change {} names an unknown collection", change.id))
        })?;
        let key = match res.key_kind {
            KeyKind::Id => Val::Int(change.key.parse().ok()),
            _ => Val::text(change.key.clone()),
        };
        let current = get_tx(&mut tx, res, &key).await?;
        if current != change.after {
            return Err(Error::ChangedSince {
                collection: res,
                key: change.key,
                change: change.id,
            });
        }
        match &change.before {
            None => delete_in(&mut tx, res, &key, false, ctx, None, Some(change.id)).await?,
            Some(before) => {
                let input = input::validate(res, before, Mode::Replace)?;
                replace_in(&mut tx, res, &key, input, ctx, None, Some(change.id)).await?;
            }
        }
    }
    super::release::reverted(&mut tx, &target.batch).await?;
    let made: Vec<ChangeRow> = tx
        .fetch_as(
            format!("{SELECT} where batch = $1 order by id"),
            &[Val::text(ctx.batch.clone())],
        )
        .await?;
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(Some(made.into_iter().map(Change::from).collect()))
}
