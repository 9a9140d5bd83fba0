//! Every write: create, replace, delete (with cascade) and revert. Each runs in one
//! transaction that also checks `If-Match`, records the change log (the item before and
//! after, for the row and every dependant a cascade touches), stores the answer to an
//! idempotent POST, and bumps the data version.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::crud::{Where, bump_version, get_sql, key_col, search_text, to_json, val_json};
use super::{Col, Db, Rows, Tx, Val};
use crate::error::{ApiError, FieldError};
use crate::model::{KeyKind, Kind, OnCascade, RESOURCES, Resource};
use crate::validate::{self, Input, Mode};

/// Who writes, as part of which request, under which precondition.
#[derive(Debug, Clone, Default)]
pub struct WriteCtx {
    /// The name of the token (never the token).
    pub token: String,
    /// One id per request; a revert undoes a whole batch.
    pub batch: String,
    /// The `If-Match` header, if any.
    pub if_match: Option<String>,
}

/// An `Idempotency-Key` and a hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Idem {
    pub key: String,
    pub request_hash: String,
}

/// What a create produced: a new item, or the stored answer to an earlier identical POST.
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

/// A strong validator for one item: its representation's hash.
pub fn item_etag(item: &Value) -> String {
    let digest = Sha256::digest(item.to_string().as_bytes());
    let short: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{short}\"")
}

/// Does `If-Match` allow a write to an item in this state?
fn check_if_match(ctx: &WriteCtx, current: Option<&Value>) -> Result<(), ApiError> {
    let Some(cond) = ctx.if_match.as_deref() else {
        return Ok(());
    };
    let ok = match current {
        None => false,
        Some(_) if cond.trim() == "*" => true,
        Some(item) => {
            let tag = item_etag(item);
            cond.split(',').map(str::trim).any(|t| t == tag)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(
            "If-Match does not match the item's current ETag: it changed since you read it (or does not exist). GET it again and retry.".into(),
        ))
    }
}

/// One item as served, read inside the transaction.
pub async fn get_tx(tx: &mut Tx, res: &Resource, key: &Val) -> Result<Option<Value>, sqlx::Error> {
    let (sql, cols) = get_sql(tx.string_agg(), res);
    let rows = tx.fetch(sql, std::slice::from_ref(key), &cols).await?;
    Ok(rows.first().map(|r| to_json(res, r)))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn key_text(key: &Val) -> String {
    match key {
        Val::Text(Some(s)) => s.clone(),
        Val::Int(Some(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Append one entry to the change log.
async fn record(
    tx: &mut Tx,
    ctx: &WriteCtx,
    res: &Resource,
    key: &Val,
    before: Option<&Value>,
    after: Option<&Value>,
    reverts: Option<i64>,
) -> Result<(), sqlx::Error> {
    let action = match (before, after) {
        (None, _) => "create",
        (Some(_), None) => "delete",
        (Some(_), Some(_)) => "replace",
    };
    tx.execute(
        "insert into changes (batch, at, token, collection, item_key, action, before, after, reverts) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)".into(),
        &[
            Val::text(ctx.batch.clone()),
            Val::text(now()),
            Val::text(ctx.token.clone()),
            Val::text(res.name),
            Val::text(key_text(key)),
            Val::text(action),
            Val::Text(before.map(Value::to_string)),
            Val::Text(after.map(Value::to_string)),
            Val::Int(reverts),
        ],
    )
    .await
    .map(|_| ())
}

async fn exists(tx: &mut Tx, res: &Resource, key: &Val) -> Result<bool, sqlx::Error> {
    let n = tx
        .fetch_one_int(
            format!("select count(*) from {} where {} = $1", res.table, res.key),
            std::slice::from_ref(key),
        )
        .await?;
    Ok(n > 0)
}

/// Resolve a state reference given as alpha-2 or alpha-3 to the stored alpha-2 code.
async fn resolve_state(tx: &mut Tx, code: &str) -> Result<Option<String>, sqlx::Error> {
    let col = if code.len() == 3 { "iso3" } else { "code" };
    let rows = tx
        .fetch(
            format!("select code from states where {col} = $1"),
            &[Val::text(code)],
            &[Col::Text],
        )
        .await?;
    Ok(rows
        .first()
        .and_then(|r| r[0].as_text().map(str::to_string)))
}

/// Check (and canonicalise) references, sources and overlapping periods inside the
/// write transaction. `own_key` is the row being replaced, if any.
async fn check_references(
    tx: &mut Tx,
    res: &Resource,
    input: &mut Input,
    own_key: Option<&Val>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (f, v) in input.values.iter_mut() {
        let Kind::Ref(target) = f.kind else { continue };
        let Some(given) = v.as_text().map(str::to_string) else {
            continue;
        };
        if target == "states" {
            match resolve_state(tx, &given).await? {
                Some(code) => *v = Val::text(code),
                None => errors.push(FieldError::new(
                    f.name,
                    format!("no state has the code {given:?}"),
                )),
            }
            continue;
        }
        let target_res = crate::model::resource(target).expect("known target");
        if own_key.or(input.key.as_ref()).and_then(|k| k.as_text()) == Some(given.as_str())
            && target_res.name == res.name
        {
            errors.push(FieldError::new(
                f.name,
                format!("a {} cannot refer to itself", res.singular),
            ));
        } else if !exists(tx, target_res, v).await? {
            errors.push(FieldError::new(
                f.name,
                format!("no {} has the slug {given:?}", target_res.singular),
            ));
        }
    }
    for s in &input.sources {
        if !exists(tx, &crate::model::SOURCES, &Val::text(s.clone())).await? {
            errors.push(FieldError::new(
                "sources",
                format!("no source has the slug {s:?}"),
            ));
        }
    }
    if errors.is_empty() && res.name == "memberships" {
        check_overlap(tx, input, own_key, &mut errors).await?;
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::fields(errors))
    }
}

/// Two periods of the same state, organisation and role may not overlap.
async fn check_overlap(
    tx: &mut Tx,
    input: &Input,
    own_key: Option<&Val>,
    errors: &mut Vec<FieldError>,
) -> Result<(), sqlx::Error> {
    let get = |n: &str| input.get(n).cloned().unwrap_or(Val::Text(None));
    let mut w = Where::default();
    w.push("state = {}", get("state"));
    w.push("organisation = {}", get("organisation"));
    w.push("role = {}", get("role"));
    // Half-open periods [joined, left) overlap when each starts before the other ends.
    if let Val::Date(Some(_)) = get("left_on") {
        w.push("joined_on < {}", get("left_on"));
    }
    w.push("(left_on is null or left_on > {})", get("joined_on"));
    if let Some(k) = own_key {
        w.push("id <> {}", k.clone());
    }
    let rows = tx
        .fetch(
            format!("select id from memberships{} order by id limit 1", w.sql()),
            &w.vals,
            &[Col::Int],
        )
        .await?;
    if let Some(Val::Int(Some(id))) = rows.first().map(|r| r[0].clone()) {
        errors.push(FieldError::new(
            "joined_on",
            format!("the period overlaps membership {id} of the same state, organisation and role"),
        ));
    }
    Ok(())
}

async fn write_sources(
    tx: &mut Tx,
    res: &Resource,
    key: &Val,
    sources: &[String],
) -> Result<(), sqlx::Error> {
    let Some(link) = res.sources_table else {
        return Ok(());
    };
    tx.execute(
        format!("delete from {link} where fact = $1"),
        std::slice::from_ref(key),
    )
    .await?;
    for (i, s) in sources.iter().enumerate() {
        tx.execute(
            format!("insert into {link} (fact, source, position) values ($1, $2, $3)"),
            &[key.clone(), Val::text(s.clone()), Val::Int(Some(i as i64))],
        )
        .await?;
    }
    Ok(())
}

async fn insert_row(tx: &mut Tx, res: &Resource, input: &Input) -> Result<Val, sqlx::Error> {
    let mut cols: Vec<&str> = Vec::new();
    let mut vals: Vec<Val> = Vec::new();
    if let Some(k) = &input.key {
        cols.push(res.key);
        vals.push(k.clone());
    }
    for (f, v) in &input.values {
        cols.push(f.name);
        vals.push(v.clone());
    }
    cols.push("search");
    vals.push(Val::text(search_text(res, |n| {
        input.get(n).and_then(|v| v.as_text()).map(str::to_string)
    })));
    let placeholders: Vec<String> = (1..=vals.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "insert into {} ({}) values ({}) returning {}",
        res.table,
        cols.join(", "),
        placeholders.join(", "),
        res.key
    );
    let rows: Rows = tx.fetch(sql, &vals, &[key_col(res)]).await?;
    let key = rows
        .into_iter()
        .next()
        .map(|mut r| r.remove(0))
        .unwrap_or(Val::Text(None));
    if input.key.is_some() && res.key_kind == KeyKind::Id && tx.is_postgres() {
        // An explicit id (PUT) must not be handed out again by the identity sequence.
        tx.execute(
            format!(
                "select setval(pg_get_serial_sequence('{t}', 'id'), greatest((select max(id) from {t}), 1))",
                t = res.table
            ),
            &[],
        )
        .await?;
    }
    Ok(key)
}

async fn update_row(
    tx: &mut Tx,
    res: &Resource,
    key: &Val,
    input: &Input,
) -> Result<(), sqlx::Error> {
    let mut sets = Vec::new();
    let mut vals = Vec::new();
    for (f, v) in &input.values {
        vals.push(v.clone());
        sets.push(format!("{} = ${}", f.name, vals.len()));
    }
    vals.push(Val::text(search_text(res, |n| {
        input.get(n).and_then(|v| v.as_text()).map(str::to_string)
    })));
    sets.push(format!("search = ${}", vals.len()));
    vals.push(key.clone());
    let sql = format!(
        "update {} set {} where {} = ${}",
        res.table,
        sets.join(", "),
        res.key,
        vals.len()
    );
    tx.execute(sql, &vals).await?;
    Ok(())
}

/// Two states may not share an alpha-3 code.
async fn check_iso3_free(tx: &mut Tx, input: &Input, own: Option<&Val>) -> Result<(), ApiError> {
    let Some(iso3) = input.get("iso3").cloned() else {
        return Ok(());
    };
    let mut w = Where::default();
    w.push("iso3 = {}", iso3.clone());
    if let Some(k) = own {
        w.push("code <> {}", k.clone());
    }
    if tx
        .fetch_one_int(format!("select count(*) from states{}", w.sql()), &w.vals)
        .await?
        > 0
    {
        return Err(ApiError::Conflict(format!(
            "Another state already has the alpha-3 code {}.",
            val_json(&iso3, None)
        )));
    }
    Ok(())
}

/// Create a row (POST); 409 if the key is taken. With an `Idempotency-Key`, a retry of the
/// same request returns the stored answer instead of creating again.
pub async fn create(
    db: &Db,
    res: &Resource,
    mut input: Input,
    ctx: &WriteCtx,
    idem: Option<&Idem>,
) -> Result<Created, ApiError> {
    if res.key_kind != KeyKind::Id && input.key.is_none() {
        return Err(ApiError::field(res.key, "is required"));
    }
    let mut tx = db.begin_write().await?;
    if let Some(idem) = idem {
        let rows = tx
            .fetch(
                "select request_hash, status, location, body from idempotency_keys where token = $1 and idem_key = $2".into(),
                &[Val::text(ctx.token.clone()), Val::text(idem.key.clone())],
                &[Col::Text, Col::Int, Col::Text, Col::Text],
            )
            .await?;
        if let Some(r) = rows.first() {
            if r[0].as_text() != Some(idem.request_hash.as_str()) {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "was already used with a different request; use a new key for a new request",
                ));
            }
            let status = match r[1] {
                Val::Int(Some(n)) => n as u16,
                _ => 201,
            };
            return Ok(Created::Replayed {
                status,
                location: r[2].as_text().map(str::to_string),
                body: r[3].as_text().unwrap_or_default().to_string(),
            });
        }
    }
    if let Some(k) = &input.key
        && exists(&mut tx, res, k).await?
    {
        return Err(ApiError::Conflict(format!(
            "A {} with {} {} already exists; use PUT to replace it.",
            res.singular,
            res.key,
            val_json(k, None)
        )));
    }
    if res.key_kind == KeyKind::StateCode {
        check_iso3_free(&mut tx, &input, None).await?;
    }
    check_references(&mut tx, res, &mut input, None).await?;
    let key = insert_row(&mut tx, res, &input).await?;
    write_sources(&mut tx, res, &key, &input.sources).await?;
    let item = get_tx(&mut tx, res, &key).await?.unwrap_or(Value::Null);
    record(&mut tx, ctx, res, &key, None, Some(&item), None).await?;
    if let Some(idem) = idem {
        // Answers are kept for a day.
        let cutoff = (chrono::Utc::now() - chrono::Duration::days(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        tx.execute(
            "delete from idempotency_keys where created_at < $1".into(),
            &[Val::text(cutoff)],
        )
        .await?;
        tx.execute(
            "insert into idempotency_keys (token, idem_key, request_hash, status, location, body, created_at) values ($1, $2, $3, $4, $5, $6, $7)".into(),
            &[
                Val::text(ctx.token.clone()),
                Val::text(idem.key.clone()),
                Val::text(idem.request_hash.clone()),
                Val::Int(Some(201)),
                Val::text(format!("/v1/{}/{}", res.name, key_text(&key))),
                Val::text(item.to_string()),
                Val::text(now()),
            ],
        )
        .await?;
    }
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(Created::New { key, item })
}

/// Create or replace the row at `key` (PUT). Returns whether it was created, and the item.
pub async fn replace(
    db: &Db,
    res: &Resource,
    key: &Val,
    input: Input,
    ctx: &WriteCtx,
) -> Result<(bool, Value), ApiError> {
    let mut tx = db.begin_write().await?;
    let out = replace_in(&mut tx, res, key, input, ctx, None).await?;
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
) -> Result<Value, ApiError> {
    let mut tx = db.begin_write().await?;
    let mut current = get_tx(&mut tx, res, key)
        .await?
        .ok_or_else(|| super::crud::not_found(res, key))?;
    check_if_match(ctx, Some(&current))?;
    validate::merge_patch(&mut current, patch);
    let input = validate::validate(res, &current, Mode::Replace)?;
    let ctx = WriteCtx {
        if_match: None,
        ..ctx.clone()
    };
    let (_, item) = replace_in(&mut tx, res, key, input, &ctx, None).await?;
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(item)
}

async fn replace_in(
    tx: &mut Tx,
    res: &Resource,
    key: &Val,
    mut input: Input,
    ctx: &WriteCtx,
    reverts: Option<i64>,
) -> Result<(bool, Value), ApiError> {
    match &input.key {
        Some(k) if k != key => {
            return Err(ApiError::field(
                res.key,
                format!(
                    "{} does not match the key in the path ({})",
                    val_json(k, None),
                    val_json(key, None)
                ),
            ));
        }
        _ => input.key = Some(key.clone()),
    }
    let before = get_tx(tx, res, key).await?;
    check_if_match(ctx, before.as_ref())?;
    if res.key_kind == KeyKind::StateCode {
        check_iso3_free(tx, &input, Some(key)).await?;
    }
    check_references(tx, res, &mut input, Some(key)).await?;
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

/// The collection a dependant table belongs to, and the column holding its key: a fact
/// table itself, or a fact's link table to its sources.
fn dependant_resource(table: &str) -> Option<(&'static Resource, &'static str)> {
    RESOURCES
        .iter()
        .find(|r| r.table == table)
        .map(|r| (*r, r.key))
        .or_else(|| {
            RESOURCES
                .iter()
                .find(|r| r.sources_table == Some(table))
                .map(|r| (*r, "fact"))
        })
}

/// Delete the row at `key`. Without `cascade`, a row that others refer to is a 409 naming
/// them; with it, the dependants go too (or lose the reference, where that is the sane
/// outcome), each recorded in the change log. A source is never unlinked from a fact it
/// is the only source of.
pub async fn delete(
    db: &Db,
    res: &Resource,
    key: &Val,
    cascade: bool,
    ctx: &WriteCtx,
) -> Result<(), ApiError> {
    let mut tx = db.begin_write().await?;
    delete_in(&mut tx, res, key, cascade, ctx, None).await?;
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn delete_in(
    tx: &mut Tx,
    res: &Resource,
    key: &Val,
    cascade: bool,
    ctx: &WriteCtx,
    reverts: Option<i64>,
) -> Result<(), ApiError> {
    let Some(before) = get_tx(tx, res, key).await? else {
        return Err(super::crud::not_found(res, key));
    };
    check_if_match(ctx, Some(&before))?;
    let mut found = Vec::new();
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
    }
    if !found.is_empty() && !cascade {
        return Err(ApiError::Conflict(format!(
            "This {} is still referred to by {}. Delete or change those first, or repeat the request with ?cascade=true.",
            res.singular,
            found.join(", ")
        )));
    }
    if res.name == "sources" {
        let mut orphaned = Vec::new();
        for d in res.dependants {
            let n = tx
                .fetch_one_int(
                    format!("select count(*) from {t} l where l.source = $1 and not exists (select 1 from {t} o where o.fact = l.fact and o.source <> $1)", t = d.table),
                    std::slice::from_ref(key),
                )
                .await?;
            if n > 0 {
                orphaned.push(format!("{n} {}", d.label));
            }
        }
        if !orphaned.is_empty() {
            return Err(ApiError::Conflict(format!(
                "This source is the only source of {}; every fact must keep at least one source. Add another source to them first.",
                orphaned.join(", ")
            )));
        }
    }
    for d in res.dependants {
        let Some((dep_res, key_column)) = dependant_resource(d.table) else {
            continue;
        };
        let rows = tx
            .fetch(
                format!(
                    "select {key_column} from {} where {} = $1",
                    d.table, d.column
                ),
                std::slice::from_ref(key),
                &[key_col(dep_res)],
            )
            .await?;
        let mut befores = Vec::new();
        for r in &rows {
            if let Some(b) = get_tx(tx, dep_res, &r[0]).await? {
                befores.push((r[0].clone(), b));
            }
        }
        let sql = match d.on_cascade {
            OnCascade::Delete => format!("delete from {} where {} = $1", d.table, d.column),
            OnCascade::SetNull => format!(
                "update {} set {c} = null where {c} = $1",
                d.table,
                c = d.column
            ),
        };
        tx.execute(sql, std::slice::from_ref(key)).await?;
        for (k, b) in befores {
            let after = get_tx(tx, dep_res, &k).await?;
            record(tx, ctx, dep_res, &k, Some(&b), after.as_ref(), None).await?;
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

/// One change log entry as served.
fn change_json(r: &[Val]) -> Value {
    let parse = |v: &Val| {
        v.as_text()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .unwrap_or(Value::Null)
    };
    json!({
        "id": val_json(&r[0], None), "batch": val_json(&r[1], None), "at": val_json(&r[2], None),
        "token": val_json(&r[3], None), "collection": val_json(&r[4], None), "key": val_json(&r[5], None),
        "action": val_json(&r[6], None), "before": parse(&r[7]), "after": parse(&r[8]), "reverts": val_json(&r[9], None),
    })
}

const CHANGE_COLS: [Col; 10] = [
    Col::Int,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Int,
];
const CHANGE_SELECT: &str = "select id, batch, at, token, collection, item_key, action, before, after, reverts from changes";

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

/// The change log, newest first. Returns the rows, the total, and the last id when more follow.
pub async fn changes(
    db: &Db,
    q: &ChangeQuery,
) -> Result<(Vec<Value>, i64, Option<i64>), sqlx::Error> {
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
    let sql = format!(
        "{CHANGE_SELECT}{} order by id desc limit {}",
        w.sql(),
        q.limit + 1
    );
    let mut rows = db.fetch(sql, &w.vals, &CHANGE_COLS).await?;
    let more = rows.len() as i64 > q.limit;
    rows.truncate(q.limit as usize);
    let next = match rows.last() {
        Some(r) if more => match r[0] {
            Val::Int(Some(id)) => Some(id),
            _ => None,
        },
        _ => None,
    };
    Ok((rows.iter().map(|r| change_json(r)).collect(), total, next))
}

pub async fn change(db: &Db, id: i64) -> Result<Option<Value>, sqlx::Error> {
    let rows = db
        .fetch(
            format!("{CHANGE_SELECT} where id = $1"),
            &[Val::Int(Some(id))],
            &CHANGE_COLS,
        )
        .await?;
    Ok(rows.first().map(|r| change_json(r)))
}

/// Undo the request that made change `id`: every change of its batch, newest first, each
/// item put back as it was before. Refused (409) where an item has changed since. The
/// undo is itself recorded (with `reverts`), so it can be undone in turn.
pub async fn revert(db: &Db, id: i64, ctx: &WriteCtx) -> Result<Vec<Value>, ApiError> {
    let Some(target) = change(db, id).await? else {
        return Err(ApiError::NotFound(format!("No change has the id {id}.")));
    };
    let batch = target["batch"].as_str().unwrap_or_default().to_string();
    let mut tx = db.begin_write().await?;
    let rows = tx
        .fetch(
            format!("{CHANGE_SELECT} where batch = $1 order by id desc"),
            &[Val::text(batch)],
            &CHANGE_COLS,
        )
        .await?;
    for r in rows.iter().map(|r| change_json(r)) {
        let res = crate::model::resource(r["collection"].as_str().unwrap_or_default())
            .ok_or_else(|| ApiError::Internal("change log names an unknown collection".into()))?;
        let raw_key = r["key"].as_str().unwrap_or_default();
        let key = match res.key_kind {
            KeyKind::Id => Val::Int(raw_key.parse().ok()),
            _ => Val::text(raw_key),
        };
        let change_id = r["id"].as_i64();
        let current = get_tx(&mut tx, res, &key).await?;
        let expected = if r["after"].is_null() {
            None
        } else {
            Some(&r["after"])
        };
        if current.as_ref() != expected {
            return Err(ApiError::Conflict(format!(
                "The {} {raw_key} has changed since change {}; revert the later changes first (GET /v1/changes?collection={}&key={raw_key}).",
                res.singular, r["id"], res.name
            )));
        }
        let ctx = WriteCtx {
            if_match: None,
            ..ctx.clone()
        };
        if r["before"].is_null() {
            delete_in(&mut tx, res, &key, false, &ctx, change_id).await?;
        } else {
            let input = validate::validate(res, &r["before"], Mode::Replace)?;
            replace_in(&mut tx, res, &key, input, &ctx, change_id).await?;
        }
    }
    let made = tx
        .fetch(
            format!("{CHANGE_SELECT} where batch = $1 order by id"),
            &[Val::text(ctx.batch.clone())],
            &CHANGE_COLS,
        )
        .await?;
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(made.iter().map(|r| change_json(r)).collect())
}
