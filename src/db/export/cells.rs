//! Cells of the reference CSV files: values as the reference writes them (yes/no, dates
//! cut to their precision, reference ids), RFC 4180 quoting, and writing one file.

use std::path::Path;

use serde_json::Value;

use crate::db::read::{ListQuery, list};
use crate::db::{Db, Error, Result};
use crate::model::Resource;

pub(super) async fn all(db: &Db, res: &Resource) -> Result<Vec<Value>> {
    let q = ListQuery {
        limit: 10_000_000,
        ..Default::default()
    };
    Ok(list(db, res, &q).await?.items)
}

pub(super) fn s(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(x) => x.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        other => other.to_string(),
    }
}

/// A date cut to its precision: `2001`, `2001-06`, `2001-06-15`.
pub(super) fn date(item: &Value, field: &str, precision: &str) -> (String, String) {
    let d = s(&item[field]);
    if d.is_empty() {
        return (String::new(), String::new());
    }
    let p = s(&item[precision]);
    let cut = match p.as_str() {
        "year" => d[..4].to_string(),
        "month" => d[..7].to_string(),
        _ => d,
    };
    (cut, p)
}

pub(super) fn sources(item: &Value) -> String {
    item["sources"]
        .as_array()
        .map(|a| a.iter().map(s).collect::<Vec<_>>().join(";"))
        .unwrap_or_default()
}

/// An organisation's reference id (`CSTO`); empty for none.
pub(super) fn org_id(slug: &Value) -> String {
    s(slug).to_ascii_uppercase()
}

pub(super) fn agreement_id(slug: &Value) -> String {
    let x = s(slug);
    if x.is_empty() {
        x
    } else {
        format!("AG_{}", x.to_ascii_uppercase().replace('-', "_"))
    }
}

pub(super) fn numbered(prefix: &str, id: &Value) -> String {
    format!("{prefix}{:03}", id.as_i64().unwrap_or(0))
}

/// One CSV field (RFC 4180 quoting).
fn field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

pub(super) fn write(
    dir: &Path,
    name: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<usize> {
    let mut out = header.join(",");
    out.push_str("\r\n");
    let n = rows.len();
    for r in rows {
        out.push_str(&r.iter().map(|v| field(v)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    std::fs::write(dir.join(name), out).map_err(|e| Error::Internal(Box::new(e)))?;
    Ok(n)
}
