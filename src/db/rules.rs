//! The rules a row must keep against the stored data, checked inside the write
//! transaction and read from the resource's table entry: references resolve (an
//! alternative key such as a state's alpha-3 code becomes the key), sources exist, periods
//! of equal rows do not overlap, unique fields do not repeat.

use std::collections::HashMap;

use super::locks::{self, LockKey};
use super::read::{Where, alt_key_query, key_col};
use super::{Col, Error, Result, Rows, Tx, Val};
use crate::input::{self, FieldError, Input, Invalid, KeyRef};
use crate::model::{Kind, Resource, SOURCES};

pub(super) async fn exists(tx: &mut Tx, res: &Resource, key: &Val) -> Result<bool> {
    let n = tx
        .fetch_one_int(
            format!("select count(*) from {} where {} = $1", res.table, res.key),
            std::slice::from_ref(key),
        )
        .await?;
    Ok(n > 0)
}

/// The stored key a reference names (an alternative key resolved), if a row has it.
async fn resolve_ref(tx: &mut Tx, target: &Resource, given: &str) -> Result<Option<Val>> {
    let key = match input::key_ref(target, given) {
        Some(KeyRef::Key(k)) => k,
        Some(KeyRef::Alt(a)) => match alt_key_query(target) {
            Some(sql) => {
                let rows = tx.fetch(sql, &[Val::text(a)], &[key_col(target)]).await?;
                match rows.into_iter().next() {
                    Some(mut r) => r.remove(0),
                    None => return Ok(None),
                }
            }
            None => return Ok(None),
        },
        None => return Ok(None),
    };
    Ok(exists(tx, target, &key).await?.then_some(key))
}

/// Check (and canonicalise) references, sources, unique fields and overlapping periods
/// inside the write transaction. `own_key` is the row being replaced, if any.
/// `restoring`: a revert puts back a row as it was; rules added since it was written (a
/// period before its organisation existed) do not stop that.
pub(super) async fn check_rules(
    tx: &mut Tx,
    res: &'static Resource,
    input: &mut Input,
    own_key: Option<&Val>,
    restoring: bool,
) -> Result<()> {
    let mut errors = Vec::new();
    let own = own_key.or(input.key.as_ref()).cloned();
    for (f, v) in input.values.iter_mut() {
        let Kind::Ref(target) = f.kind else { continue };
        let Some(given) = v.as_text().map(str::to_string) else {
            continue;
        };
        let target = target.0;
        if std::ptr::eq(target, res) && own.as_ref().and_then(Val::as_text) == Some(&given) {
            errors.push(FieldError::new(
                f.name,
                format!("a {} cannot refer to itself", res.singular),
            ));
            continue;
        }
        match resolve_ref(tx, target, &given).await? {
            Some(key) => *v = key,
            None => errors.push(FieldError::new(
                f.name,
                format!("no {} has the {} {given:?}", target.singular, target.key),
            )),
        }
    }
    for s in &input.sources {
        if !exists(tx, &SOURCES, &Val::text(s.clone())).await? {
            errors.push(FieldError::new(
                "sources",
                format!("no source has the slug {s:?}"),
            ));
        }
    }
    if errors.is_empty() {
        tx.lock(&rule_locks(res, input)).await?;
        check_overlap(tx, res, input, own_key, &mut errors).await?;
        if !restoring {
            check_not_before(tx, res, input, &mut errors).await?;
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    check_unique(tx, res, input, own_key).await
}

/// The keys the checks below depend on (see [`super::locks`]): rows referred to
/// (shared), the scope of the no-overlap rule and each unique value (exclusive).
fn rule_locks(res: &Resource, input: &Input) -> Vec<LockKey> {
    let mut keys = Vec::new();
    for (f, v) in &input.values {
        if let Kind::Ref(target) = f.kind
            && !v.is_null()
        {
            keys.push(locks::row(target.0.table, v, true));
        }
    }
    if let Some(same) = res.period.and_then(|p| p.no_overlap) {
        let mut parts = vec![res.table.to_string(), "overlap".to_string()];
        parts.extend(
            same.iter()
                .map(|f| input.get(f).map(Val::key_text).unwrap_or_default()),
        );
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        keys.push(LockKey::exclusive(&parts));
    }
    for field in res.unique {
        if let Some(v) = input.get(field).filter(|v| !v.is_null()) {
            keys.push(LockKey::exclusive(&[
                res.table,
                "unique",
                field,
                &v.key_text(),
            ]));
        }
    }
    keys
}

/// Rows equal in the period's `no_overlap` fields may not have overlapping periods.
async fn check_overlap(
    tx: &mut Tx,
    res: &Resource,
    input: &Input,
    own_key: Option<&Val>,
    errors: &mut Vec<FieldError>,
) -> Result<()> {
    let Some(period) = res.period else {
        return Ok(());
    };
    let Some(same) = period.no_overlap else {
        return Ok(());
    };
    let get = |n: &str| input.get(n).cloned().unwrap_or(Val::Text(None));
    let mut w = Where::default();
    for field in same {
        w.push(&format!("{field} = {{}}"), get(field));
    }
    // Half-open periods [start, end) overlap when each starts before the other ends.
    if let Val::Date(Some(_)) = get(period.end) {
        w.push(&format!("{} < {{}}", period.start), get(period.end));
    }
    w.push(
        &format!("({e} is null or {e} > {{}})", e = period.end),
        get(period.start),
    );
    if let Some(k) = own_key {
        w.push(&format!("{} <> {{}}", res.key), k.clone());
    }
    let rows = tx
        .fetch(
            format!(
                "select {k} from {}{} order by {k} limit 1",
                res.table,
                w.sql(),
                k = res.key
            ),
            &w.vals,
            &[key_col(res)],
        )
        .await?;
    if let Some(other) = rows.first().map(|r| r[0].key_text()) {
        errors.push(FieldError::new(
            period.start,
            format!(
                "the period overlaps {} {other} of the same {}",
                res.singular,
                and_list(same)
            ),
        ));
    }
    Ok(())
}

/// Fields the table marks unique may not repeat another row's value.
async fn check_unique(
    tx: &mut Tx,
    res: &'static Resource,
    input: &Input,
    own_key: Option<&Val>,
) -> Result<()> {
    for field in res.unique {
        let Some(value) = input.get(field).filter(|v| !v.is_null()).cloned() else {
            continue;
        };
        let mut w = Where::default();
        w.push(&format!("{field} = {{}}"), value.clone());
        if let Some(k) = own_key {
            w.push(&format!("{} <> {{}}", res.key), k.clone());
        }
        let n = tx
            .fetch_one_int(
                format!("select count(*) from {}{}", res.table, w.sql()),
                &w.vals,
            )
            .await?;
        if n > 0 {
            return Err(Error::Duplicate {
                collection: res,
                field,
                value,
            });
        }
    }
    Ok(())
}

/// When each row of a table began, and the row it continues (its lineage link): read in
/// one query, walked in memory.
pub(super) struct Lineage(HashMap<String, (Option<chrono::NaiveDate>, Option<String>)>);

impl Lineage {
    /// The query that reads it, and its column types.
    pub(super) fn query(target: &Resource, date_field: &str) -> (String, [Col; 3]) {
        (
            format!(
                "select {}, {date_field}, {} from {}",
                target.key,
                target.lineage.unwrap_or("null"),
                target.table
            ),
            [key_col(target), Col::Date, Col::Text],
        )
    }

    pub(super) fn from_rows(rows: Rows) -> Lineage {
        Lineage(
            rows.into_iter()
                .map(|r| {
                    let began = match r[1] {
                        Val::Date(d) => d,
                        _ => None,
                    };
                    (r[0].key_text(), (began, r[2].as_text().map(str::to_string)))
                })
                .collect(),
        )
    }

    /// The earliest day the row at `key`, or one of its predecessors, began; `None` when
    /// any of them has no such date (nothing to hold a period to).
    pub(super) fn start(&self, key: &str) -> Option<chrono::NaiveDate> {
        let mut earliest: Option<chrono::NaiveDate> = None;
        let mut next = Some(key.to_string());
        let mut seen = Vec::new();
        while let Some(k) = next.take() {
            if seen.contains(&k) {
                break;
            }
            let Some((began, link)) = self.0.get(&k) else {
                break;
            };
            let d = (*began)?;
            earliest = Some(earliest.map_or(d, |e| e.min(d)));
            next = link.clone();
            seen.push(k);
        }
        earliest
    }
}

/// A period may not start before the row it belongs to began (an organisation's founding,
/// an agreement's signature), unless a predecessor covers the day.
async fn check_not_before(
    tx: &mut Tx,
    res: &Resource,
    input: &Input,
    errors: &mut Vec<FieldError>,
) -> Result<()> {
    let Some(period) = res.period else {
        return Ok(());
    };
    let Some((ref_field, date_field)) = period.not_before else {
        return Ok(());
    };
    let (Some(Val::Date(Some(start))), Some(target_key)) =
        (input.get(period.start), input.get(ref_field))
    else {
        return Ok(());
    };
    let Some(Kind::Ref(target)) = res.field(ref_field).map(|f| f.kind) else {
        return Ok(());
    };
    let (sql, cols) = Lineage::query(target.0, date_field);
    let lineage = Lineage::from_rows(tx.fetch(sql, &[], &cols).await?);
    if let Some(began) = lineage.start(&target_key.key_text())
        && *start < began
    {
        errors.push(FieldError::new(
            period.start,
            format!(
                "{start} is before the {} {} began ({began}); a {} starts on or after that day (or a predecessor's)",
                target.0.singular,
                target_key.key_text(),
                res.singular
            ),
        ));
    }
    Ok(())
}

/// `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
