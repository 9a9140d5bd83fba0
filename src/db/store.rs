//! Storing one row: its key (server-assigned ids from counters that only grow), its
//! columns and search text, and the links to its sources. `db::write` decides what to
//! store; this module only stores it.

use super::read::search_text;
use super::{Col, Error, Result, Tx, Val};
use crate::input::Input;
use crate::model::{KeyKind, Resource};

pub(super) async fn write_sources(
    tx: &mut Tx,
    res: &Resource,
    key: &Val,
    sources: &[String],
) -> Result<()> {
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

fn search_of(res: &Resource, input: &Input) -> Val {
    Val::text(search_text(res, |n| {
        input.get(n).and_then(|v| v.as_text()).map(str::to_string)
    }))
}

/// The next server-assigned id of a table: from a counter that only grows (an id is never
/// handed out twice, on either backend) and starts above every id a release uses. SQLite
/// (one writer at a time) keeps the counters in `id_counters`; PostgreSQL takes them from
/// sequences, which no writer waits for, skipping an id a client already chose by PUT.
async fn next_id(tx: &mut Tx, table: &str) -> Result<Val> {
    if tx.is_postgres() {
        for _ in 0..1000 {
            let rows = tx
                .fetch(
                    format!(
                        "select n from (select nextval('{table}_next_id') as n) s where not exists (select 1 from {table} where id = s.n)"
                    ),
                    &[],
                    &[Col::Int],
                )
                .await?;
            if let Some(Val::Int(Some(n))) = rows.first().and_then(|r| r.first()) {
                return Ok(Val::Int(Some(*n)));
            }
        }
        return Err(Error::internal(format!("no free id for {table}")));
    }
    let n = tx
        .fetch_one_int(
            "update id_counters set next = next + 1 where name = $1 returning next - 1",
            &[Val::text(table)],
        )
        .await?;
    if n == 0 {
        return Err(Error::internal(format!("no id counter for {table}")));
    }
    Ok(Val::Int(Some(n)))
}

/// After an explicit id (PUT, a release): the counter moves past it.
async fn pass_id(tx: &mut Tx, table: &str, key: &Val) -> Result<()> {
    let sql = if tx.is_postgres() {
        format!(
            "select setval('{table}_next_id', $1 + 1, false) from {table}_next_id where last_value + (case when is_called then 1 else 0 end) <= $1"
        )
    } else {
        format!("update id_counters set next = $1 + 1 where name = '{table}' and next <= $1")
    };
    tx.execute(sql, std::slice::from_ref(key)).await.map(|_| ())
}

pub(super) async fn insert_row(tx: &mut Tx, res: &Resource, input: &Input) -> Result<Val> {
    let key = match &input.key {
        Some(k) => {
            if res.key_kind == KeyKind::Id {
                pass_id(tx, res.table, k).await?;
            }
            k.clone()
        }
        None if res.key_kind == KeyKind::Id => next_id(tx, res.table).await?,
        None => return Err(Error::field(res.key, "is required")),
    };
    let mut cols: Vec<&str> = vec![res.key];
    let mut vals: Vec<Val> = vec![key.clone()];
    for (f, v) in &input.values {
        cols.push(f.name);
        vals.push(v.clone());
    }
    cols.push("search");
    vals.push(search_of(res, input));
    let placeholders: Vec<String> = (1..=vals.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "insert into {} ({}) values ({})",
        res.table,
        cols.join(", "),
        placeholders.join(", "),
    );
    tx.execute(sql, &vals).await?;
    Ok(key)
}

pub(super) async fn update_row(
    tx: &mut Tx,
    res: &Resource,
    key: &Val,
    input: &Input,
) -> Result<()> {
    let mut sets = Vec::new();
    let mut vals = Vec::new();
    for (f, v) in &input.values {
        vals.push(v.clone());
        sets.push(format!("{} = ${}", f.name, vals.len()));
    }
    vals.push(search_of(res, input));
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
