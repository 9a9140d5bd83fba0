//! Reading any collection: list (filters, search, sort, keyset pages) and get, with SQL
//! built from the resource's field table. Only fixed identifiers from `model` and `$N`
//! placeholders go into SQL text; every value is bound.

use serde_json::{Map, Value};

use super::{Col, Db, Result, Val};
use crate::input::KeyRef;
use crate::model::{KeyKind, Kind, Resource};

/// The column type a field is stored as.
pub(super) fn col_of(kind: Kind) -> Col {
    match kind {
        Kind::Bool => Col::Bool,
        Kind::Int => Col::Int,
        Kind::Date { .. } => Col::Date,
        _ => Col::Text,
    }
}

pub(super) fn key_col(res: &Resource) -> Col {
    if res.key_kind == KeyKind::Id {
        Col::Int
    } else {
        Col::Text
    }
}

/// `select` list and column types of a resource's full representation.
pub(super) fn select_list(agg: &str, res: &Resource) -> (String, Vec<Col>) {
    let mut sql = format!("t.{}", res.key);
    let mut cols = vec![key_col(res)];
    for f in res.fields {
        sql.push_str(", t.");
        sql.push_str(f.name);
        cols.push(col_of(f.kind));
    }
    if let Some(link) = res.sources_table {
        sql.push_str(&format!(
            ", (select {}(l.source, ',' order by l.position) from {link} l where l.fact = t.{}) as sources",
            agg,
            res.key
        ));
        cols.push(Col::Text);
    }
    (sql, cols)
}

pub(super) fn val_json(v: &Val, kind: Option<Kind>) -> Value {
    match v {
        Val::Text(Some(s)) if kind == Some(Kind::Strings) => {
            serde_json::from_str(s).unwrap_or_else(|_| Value::Array(vec![]))
        }
        other => other.to_json(),
    }
}

/// One row as the API's JSON object: key, fields in table order, then sources.
pub(super) fn to_json(res: &Resource, row: &[Val]) -> Value {
    let mut m = Map::new();
    m.insert(res.key.to_string(), val_json(&row[0], None));
    for (i, f) in res.fields.iter().enumerate() {
        m.insert(f.name.to_string(), val_json(&row[i + 1], Some(f.kind)));
    }
    if res.sources_table.is_some() {
        let list = row
            .get(res.fields.len() + 1)
            .and_then(|v| v.as_text())
            .map(|s| s.split(',').map(|x| Value::String(x.to_string())).collect())
            .unwrap_or_default();
        m.insert("sources".into(), Value::Array(list));
    }
    Value::Object(m)
}

/// The case-folded text `q=` matches against: the resource's search fields, lower-cased
/// by Unicode rules (the same on both backends), one per line so that a phrase never
/// matches across two fields.
pub fn search_text(res: &Resource, get: impl Fn(&str) -> Option<String>) -> String {
    let mut parts = Vec::new();
    for name in res.search {
        let Some(v) = get(name) else { continue };
        if res.field(name).map(|f| f.kind) == Some(Kind::Strings) {
            let list: Vec<String> = serde_json::from_str(&v).unwrap_or_default();
            parts.extend(list);
        } else {
            parts.push(v);
        }
    }
    parts
        .iter()
        .map(|p| p.to_lowercase())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A `where` clause under construction; numbers its own placeholders.
#[derive(Default)]
pub struct Where {
    clauses: Vec<String>,
    pub vals: Vec<Val>,
}

impl Where {
    /// Add a condition; `{}` in `template` is replaced by the next placeholder.
    pub fn push(&mut self, template: &str, v: Val) {
        self.vals.push(v);
        self.clauses
            .push(template.replace("{}", &format!("${}", self.vals.len())));
    }
    /// Add a condition whose placeholders the caller numbered (values already pushed).
    pub fn push_raw(&mut self, clause: String) {
        self.clauses.push(clause);
    }
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" where {}", self.clauses.join(" and "))
        }
    }
}

/// A comparison of one field: `=`, `<>`, `<`, `<=`, `>`, `>=` with one value, `in` and
/// `not in` with several, `is null` and `is not null` with none.
#[derive(Debug, Clone)]
pub struct Cond {
    pub field: &'static str,
    pub op: &'static str,
    pub vals: Vec<Val>,
}

/// What a list request asks for, already validated.
#[derive(Debug, Default)]
pub struct ListQuery {
    /// Conditions on fields, all of which must hold.
    pub filters: Vec<Cond>,
    /// Memberships (or party rows) held on this day: joined on or before it, not yet left.
    pub as_of: Option<chrono::NaiveDate>,
    /// Only rows whose state is in this region.
    pub region: Option<String>,
    /// Only facts citing this source.
    pub source: Option<String>,
    /// Case-insensitive substring of the search fields (already lower-cased).
    pub search: Option<String>,
    pub sort: Option<Sort>,
    /// Keyset position: rows after this one in the sort order.
    pub after: Option<After>,
    pub limit: i64,
    /// Leave the total uncounted (`Page::total` is then 0): the later pages of a
    /// streamed export, whose total was counted with the first.
    pub skip_total: bool,
}

/// Order by one field (nulls last in both directions), then by key.
#[derive(Debug, Clone, Copy)]
pub struct Sort {
    pub field: &'static str,
    pub desc: bool,
}

/// Where the previous page ended: the sort value (if sorted) and the key of its last row.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    pub sort_value: Option<Val>,
    pub key: Val,
}

pub struct Page {
    pub items: Vec<Value>,
    pub total: i64,
    /// Where this page ended, when more rows follow.
    pub next: Option<After>,
}

/// Escape `%`, `_` and `\` for a `like … escape '\'` pattern.
fn like_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub async fn list(db: &Db, res: &Resource, q: &ListQuery) -> Result<Page> {
    let mut w = Where::default();
    for c in &q.filters {
        let col = format!("t.{}", c.field);
        let text = match res.field(c.field) {
            Some(f) => col_of(f.kind) == Col::Text,
            None => key_col(res) == Col::Text,
        };
        let expr = if text && matches!(c.op, "<" | "<=" | ">" | ">=") {
            db.collate_c(&col)
        } else {
            col
        };
        match c.op {
            "is null" | "is not null" => w.push_raw(format!("{expr} {}", c.op)),
            "in" | "not in" => {
                let n = w.vals.len();
                w.vals.extend(c.vals.iter().cloned());
                let marks: Vec<String> =
                    (1..=c.vals.len()).map(|i| format!("${}", n + i)).collect();
                w.push_raw(format!("{expr} {} ({})", c.op, marks.join(", ")));
            }
            op => w.push(&format!("{expr} {op} {{}}"), c.vals[0].clone()),
        }
    }
    if let Some(day) = q.as_of {
        let n = w.vals.len();
        w.vals.extend([Val::Date(Some(day)), Val::Date(Some(day))]);
        w.push_raw(format!(
            "t.joined_on <= ${} and (t.left_on is null or ${} < t.left_on)",
            n + 1,
            n + 2
        ));
    }
    if let Some(region) = &q.region {
        w.push(
            "exists (select 1 from states s where s.code = t.state and s.region = {})",
            Val::text(region.clone()),
        );
    }
    if let (Some(src), Some(link)) = (&q.source, res.sources_table) {
        w.push(
            &format!(
                "exists (select 1 from {link} l where l.fact = t.{} and l.source = {{}})",
                res.key
            ),
            Val::text(src.clone()),
        );
    }
    if let Some(text) = &q.search {
        w.push(
            "t.search like {} escape '\\'",
            Val::text(like_pattern(text)),
        );
    }
    let total = if q.skip_total {
        0
    } else {
        db.fetch_one_int(
            format!("select count(*) from {} t{}", res.table, w.sql()),
            &w.vals,
        )
        .await?
    };

    let key_expr = if key_col(res) == Col::Text {
        db.collate_c(&format!("t.{}", res.key))
    } else {
        format!("t.{}", res.key)
    };
    let (dir, op) = match q.sort {
        Some(Sort { desc: true, .. }) => (" desc", "<"),
        _ => ("", ">"),
    };
    let mut order = format!("{key_expr}{dir}");
    let sort_index = q
        .sort
        .and_then(|s| res.fields.iter().position(|f| f.name == s.field))
        .map(|i| i + 1);
    if let Some(sort) = q.sort {
        let f = res.field(sort.field).expect("validated sort field");
        let raw = format!("t.{}", f.name);
        let expr = if col_of(f.kind) == Col::Text {
            db.collate_c(&raw)
        } else {
            raw.clone()
        };
        order = format!("case when {raw} is null then 1 else 0 end, {expr}{dir}, {order}");
        if let Some(after) = &q.after {
            match &after.sort_value {
                Some(v) if !v.is_null() => {
                    let n = w.vals.len();
                    w.vals.extend([v.clone(), v.clone(), after.key.clone()]);
                    w.push_raw(format!(
                        "({raw} is null or {expr} {op} ${} or ({raw} = ${} and {key_expr} {op} ${}))",
                        n + 1,
                        n + 2,
                        n + 3
                    ));
                }
                _ => w.push(
                    &format!("({raw} is null and {key_expr} {op} {{}})"),
                    after.key.clone(),
                ),
            }
        }
    } else if let Some(after) = &q.after {
        w.push(&format!("{key_expr} {op} {{}}"), after.key.clone());
    }
    let (select, cols) = select_list(db.string_agg(), res);
    let sql = format!(
        "select {select} from {} t{} order by {order} limit {}",
        res.table,
        w.sql(),
        q.limit + 1
    );
    let mut rows = db.fetch(sql, &w.vals, &cols).await?;
    let more = rows.len() as i64 > q.limit;
    rows.truncate(q.limit as usize);
    let next = match rows.last() {
        Some(last) if more => Some(After {
            sort_value: sort_index.map(|i| last[i].clone()),
            key: last[0].clone(),
        }),
        _ => None,
    };
    Ok(Page {
        items: rows.iter().map(|r| to_json(res, r)).collect(),
        total,
        next,
    })
}

/// The query for one item by key, and its column types.
pub(super) fn get_sql(agg: &str, res: &Resource) -> (String, Vec<Col>) {
    let (select, cols) = select_list(agg, res);
    (
        format!(
            "select {select} from {} t where t.{} = $1",
            res.table, res.key
        ),
        cols,
    )
}

pub async fn get(db: &Db, res: &Resource, key: &Val) -> Result<Option<Value>> {
    let (sql, cols) = get_sql(db.string_agg(), res);
    let rows = db.fetch(sql, std::slice::from_ref(key), &cols).await?;
    Ok(rows.first().map(|r| to_json(res, r)))
}

/// The query finding a row's key by its alternative key (a state by alpha-3), if the
/// collection has one.
pub(super) fn alt_key_query(res: &Resource) -> Option<String> {
    res.alt_key
        .map(|col| format!("select {} from {} where {col} = $1", res.key, res.table))
}

/// The stored key a client's key names: the key itself, or the key of the row whose
/// alternative key column (a state's alpha-3 code) holds it. `None` when no row has the
/// alternative key; a canonical key is returned whether or not a row has it.
pub async fn resolve(db: &Db, res: &Resource, key: &KeyRef) -> Result<Option<Val>> {
    match (key, alt_key_query(res)) {
        (KeyRef::Key(k), _) => Ok(Some(k.clone())),
        (KeyRef::Alt(a), Some(sql)) => {
            let rows = db
                .fetch(sql, &[Val::text(a.clone())], &[key_col(res)])
                .await?;
            Ok(rows.into_iter().next().map(|mut r| r.remove(0)))
        }
        (KeyRef::Alt(_), None) => Ok(None),
    }
}

/// The canonical key for a path segment, or `None` if nothing can have it.
pub async fn resolve_key(db: &Db, res: &Resource, raw: &str) -> Result<Option<Val>> {
    match crate::input::key_ref(res, raw) {
        Some(k) => resolve(db, res, &k).await,
        None => Ok(None),
    }
}

/// The item with the key a client named, if one is stored.
pub async fn find(db: &Db, res: &Resource, raw: &str) -> Result<Option<(Val, Value)>> {
    let Some(key) = resolve_key(db, res, raw).await? else {
        return Ok(None);
    };
    Ok(get(db, res, &key).await?.map(|item| (key, item)))
}
