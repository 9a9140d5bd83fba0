//! Data releases. The seed data is numbered: each release's items, exactly as the API
//! serves them, are embedded (`seeds/releases/N.json`, made by `seeds/generate.py`), and
//! the database records the release it holds. `upgrade` brings a database to the shipped
//! release by applying only the difference between the two releases, item by item and
//! field by field, through the change log as one batch (revertible like any request):
//!
//! - a row the release adds is inserted, unless a row with its key exists already and
//!   differs (a conflict);
//! - a field the release changes is changed where the database still holds the old
//!   release's value; where a curator changed it since, it is left and reported;
//! - a row the release removes is deleted where it is as the old release left it;
//! - a row deleted since is never re-created.
//!
//! An empty database is seeded from the embedded SQL instead. Several processes starting at
//! once over one PostgreSQL apply a release once: the upgrade runs under the write lock and
//! reads the release held inside it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::seed::{SEED_SQL, backfill_search, bump_version};
use super::write::{WriteCtx, delete_in, get_tx, replace_in};
use super::{Db, Error, Result, Tx, Val};
use crate::input::{self, Mode};
use crate::model::{KeyKind, Kind, RESOURCES, Resource};

/// Every release's items, oldest first; the last is the one this binary ships.
const FILES: &[(i64, &str)] = &[
    (1, include_str!("../../seeds/releases/1.json")),
    (2, include_str!("../../seeds/releases/2.json")),
];

/// The release this binary ships.
pub fn shipped() -> i64 {
    FILES.last().map_or(0, |(n, _)| *n)
}

/// One release: each collection's items by key.
struct Release {
    items: BTreeMap<&'static str, BTreeMap<String, Value>>,
}

fn release(n: i64) -> Option<&'static Release> {
    static PARSED: OnceLock<Vec<(i64, Release)>> = OnceLock::new();
    let all = PARSED.get_or_init(|| {
        FILES
            .iter()
            .map(|(n, text)| {
                let doc: Value = serde_json::from_str(text).expect("an embedded release parses");
                let mut items = BTreeMap::new();
                for res in RESOURCES {
                    let list = doc["collections"][res.name]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    let by_key = list
                        .into_iter()
                        .map(|item| (key_text(&item[res.key]), item))
                        .collect();
                    items.insert(res.name, by_key);
                }
                (*n, Release { items })
            })
            .collect()
    });
    all.iter().find(|(m, _)| *m == n).map(|(_, r)| r)
}

fn key_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn key_val(res: &Resource, key: &str) -> Val {
    match res.key_kind {
        KeyKind::Id => Val::Int(key.parse().ok()),
        _ => Val::text(key),
    }
}

/// A release value that was not applied because the database differs from the old
/// release there (a curator's change through the API).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Conflict {
    pub collection: &'static str,
    pub key: String,
    /// The field, or `*` for the whole row (deleted since, or added by a curator).
    pub field: String,
    pub release_value: Value,
    pub database_value: Value,
}

/// What an upgrade did (or, in a dry run, would do).
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    /// The release the database held; 0 for an empty database.
    pub from: i64,
    pub to: i64,
    /// An empty database was seeded with the whole release.
    pub seeded: bool,
    pub added: Vec<(&'static str, String)>,
    /// Each changed row with the fields that changed.
    pub changed: Vec<(&'static str, String, Vec<String>)>,
    pub removed: Vec<(&'static str, String)>,
    pub conflicts: Vec<Conflict>,
    /// The change log batch of the upgrade, when one was written.
    pub batch: Option<String>,
}

impl Report {
    /// `added 25, changed 48, removed 0, skipped as conflicts 3`.
    pub fn counts(&self) -> String {
        format!(
            "added {}, changed {}, removed {}, skipped as conflicts {}",
            self.added.len(),
            self.changed.len(),
            self.removed.len(),
            self.conflicts.len()
        )
    }
}

/// Additions in an order that satisfies references: sources first, then the facts.
fn add_order() -> Vec<&'static Resource> {
    let mut v: Vec<&'static Resource> =
        RESOURCES.iter().copied().filter(|r| !r.is_fact()).collect();
    v.extend(RESOURCES.iter().copied().filter(|r| r.is_fact()));
    v
}

impl Db {
    /// The release the database holds (0: none yet).
    pub async fn release_held(&self) -> Result<i64> {
        self.fetch_one_int("select release from data_release where id = 1", &[])
            .await
    }

    /// Bring the database to the shipped release (see the module's documentation). With
    /// `dry_run`, nothing is written and the report says what would be done.
    pub async fn upgrade(&self, dry_run: bool) -> Result<Report> {
        let to = shipped();
        let mut tx = self.begin_write(super::Scope::Everything).await?;
        let held = tx
            .fetch_one_int("select release from data_release where id = 1", &[])
            .await?;
        let empty = tx.fetch_one_int("select count(*) from states", &[]).await? == 0;
        let mut report = Report {
            from: if empty { 0 } else { held.max(1) },
            to,
            ..Default::default()
        };
        if empty {
            report.seeded = true;
            if !dry_run {
                tx.execute_script(SEED_SQL).await?;
                sync_sequences(&mut tx).await?;
                set_release(&mut tx, to, None, None).await?;
                bump_version(&mut tx).await?;
                tx.commit().await?;
                backfill_search(self).await?;
            }
            return Ok(report);
        }
        if report.from >= to {
            return Ok(report);
        }
        let (Some(old), Some(new)) = (release(report.from), release(to)) else {
            return Err(Error::internal(format!(
                "no embedded data for release {} or {to}",
                report.from
            )));
        };
        let batch = format!(
            "release-{to}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
        );
        let ctx = WriteCtx {
            token: format!("release {to}"),
            batch: batch.clone(),
            request_id: None,
        };
        let step = Step {
            old,
            new,
            ctx: &ctx,
            dry_run,
        };
        let mut later = Vec::new();
        for res in add_order() {
            plan_collection(&mut tx, res, &step, &mut report, &mut later).await?;
        }
        // Self-references of rows added above (an organisation's successor added with it).
        for (res, key, item) in later {
            apply(&mut tx, res, &key, &item, &ctx).await?;
        }
        for (name, key) in report.removed.clone().into_iter().rev() {
            let res = crate::model::resource(name).expect("a collection");
            if !dry_run {
                delete_in(&mut tx, res, &key_val(res, &key), false, &ctx, None, None).await?;
            }
        }
        if dry_run {
            return Ok(report);
        }
        set_release(&mut tx, to, Some(report.from), Some(&batch)).await?;
        bump_version(&mut tx).await?;
        tx.commit().await?;
        report.batch = Some(batch);
        Ok(report)
    }

    /// Load one release's SQL into an empty database and record it as held (for tests and
    /// tools that need a database as an earlier release left it).
    pub async fn load_release_sql(&self, sql: &str, release: i64) -> Result<()> {
        let mut tx = self.begin_write(super::Scope::Everything).await?;
        tx.execute_script(sql).await?;
        sync_sequences(&mut tx).await?;
        set_release(&mut tx, release, None, None).await?;
        bump_version(&mut tx).await?;
        tx.commit().await?;
        backfill_search(self).await.map(|_| ())
    }
}

/// PostgreSQL's identity sequences past the ids the SQL gave (pacts itself takes ids from
/// `id_counters`; this keeps plain inserts by other tools from colliding).
async fn sync_sequences(tx: &mut Tx) -> Result<()> {
    for res in RESOURCES.iter().filter(|r| r.key_kind == KeyKind::Id) {
        tx.sync_sequence(res.table).await?;
    }
    Ok(())
}

async fn set_release(
    tx: &mut Tx,
    n: i64,
    previous: Option<i64>,
    batch: Option<&str>,
) -> Result<()> {
    tx.execute(
        "update data_release set release = $1, previous = $2, batch = $3 where id = 1".into(),
        &[
            Val::Int(Some(n)),
            Val::Int(previous),
            Val::Text(batch.map(str::to_string)),
        ],
    )
    .await
    .map(|_| ())
}

/// After the batch that applied a release is reverted, the database holds the previous one.
pub async fn reverted(tx: &mut Tx, batch: &str) -> Result<()> {
    tx.execute(
        "update data_release set release = previous, previous = null, batch = null where batch = $1 and previous is not null".into(),
        &[Val::text(batch)],
    )
    .await
    .map(|_| ())
}

/// Store `item` as the row at `key` (validated like any write, recorded in the log).
async fn apply(
    tx: &mut Tx,
    res: &'static Resource,
    key: &str,
    item: &Value,
    ctx: &WriteCtx,
) -> Result<()> {
    let input = input::validate(res, item, Mode::Replace)?;
    replace_in(tx, res, &key_val(res, key), input, ctx, None, None).await?;
    Ok(())
}

/// The item without references to its own collection (they are set once every added row
/// exists).
fn without_self_refs(res: &Resource, item: &Value) -> Option<Value> {
    let mut out = item.clone();
    let mut cut = false;
    for f in res.fields {
        if let Kind::Ref(target) = f.kind
            && std::ptr::eq(target.0, res)
            && !out[f.name].is_null()
        {
            out[f.name] = Value::Null;
            cut = true;
        }
    }
    cut.then_some(out)
}

/// One upgrade: from which release to which, written how (or not at all).
struct Step<'a> {
    old: &'a Release,
    new: &'a Release,
    ctx: &'a WriteCtx,
    dry_run: bool,
}

/// Plan (and unless a dry run, apply) one collection's part of an upgrade. Rows added with
/// links to their own collection are queued in `later` to have those links set once every
/// added row exists.
async fn plan_collection(
    tx: &mut Tx,
    res: &'static Resource,
    step: &Step<'_>,
    report: &mut Report,
    later: &mut Vec<(&'static Resource, String, Value)>,
) -> Result<()> {
    let (old, new, ctx, dry_run) = (step.old, step.new, step.ctx, step.dry_run);
    let empty = BTreeMap::new();
    let olds = old.items.get(res.name).unwrap_or(&empty);
    let news = new.items.get(res.name).unwrap_or(&empty);
    let conflict = |key: &str, field: &str, release: &Value, db: &Value| Conflict {
        collection: res.name,
        key: key.to_string(),
        field: field.to_string(),
        release_value: release.clone(),
        database_value: db.clone(),
    };
    // Additions first: a changed row may refer to a row added with it (EAEU -> EurAsEC).
    let mut order: Vec<(&String, &Value)> = news
        .iter()
        .filter(|(k, _)| !olds.contains_key(*k))
        .collect();
    order.extend(news.iter().filter(|(k, _)| olds.contains_key(*k)));
    for (key, n) in order {
        let o = olds.get(key);
        if o == Some(n) {
            continue;
        }
        let current = get_tx(tx, res, &key_val(res, key)).await?;
        match (o, current) {
            (None, None) => {
                report.added.push((res.name, key.clone()));
                if !dry_run {
                    match without_self_refs(res, n) {
                        Some(first) => {
                            apply(tx, res, key, &first, ctx).await?;
                            later.push((res, key.clone(), n.clone()));
                        }
                        None => apply(tx, res, key, n, ctx).await?,
                    }
                }
            }
            (None, Some(c)) if &c == n => {}
            (None, Some(c)) => report.conflicts.push(conflict(key, "*", n, &c)),
            (Some(_), None) => report.conflicts.push(conflict(key, "*", n, &Value::Null)),
            (Some(o), Some(c)) => {
                let mut merged: Map<String, Value> = c.as_object().cloned().unwrap_or_default();
                let mut fields = Vec::new();
                for (f, nv) in n.as_object().into_iter().flatten() {
                    let ov = o.get(f).unwrap_or(&Value::Null);
                    let cv = c.get(f).unwrap_or(&Value::Null);
                    if ov == nv || cv == nv {
                        continue;
                    }
                    if cv == ov {
                        merged.insert(f.clone(), nv.clone());
                        fields.push(f.clone());
                    } else {
                        report.conflicts.push(conflict(key, f, nv, cv));
                    }
                }
                if !fields.is_empty() {
                    report.changed.push((res.name, key.clone(), fields));
                    if !dry_run {
                        apply(tx, res, key, &Value::Object(merged), ctx).await?;
                    }
                }
            }
        }
    }
    for (key, o) in olds {
        if news.contains_key(key) {
            continue;
        }
        match get_tx(tx, res, &key_val(res, key)).await? {
            None => {}
            Some(c) if &c == o => report.removed.push((res.name, key.clone())),
            Some(c) => report.conflicts.push(conflict(key, "*", &Value::Null, &c)),
        }
    }
    Ok(())
}
