//! A list's parameters, derived from the resource's table entry: `limit`, `cursor`, the
//! key, one equality filter per scalar field, `sources`, `q`, `sort` and `format`. The
//! same spec checks a request and documents the list in OpenAPI.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::QueryPairs;
use super::format::Format;
use super::params::{CsvTwin, FORMAT, ParamKind, ParamSpec, Parsed};
use crate::db::Val;
use crate::db::read::{self, After, ListQuery, Sort};
use crate::input::{KeyRef, key_ref, parse_date};
use crate::model::{KeyKind, Kind, PRECISION, Resource};

/// Every parameter a list of `res` takes, in documentation order.
pub fn spec(res: &'static Resource) -> Vec<ParamSpec> {
    let mut v = vec![
        ParamSpec::new("limit", ParamKind::Limit, "Rows per page."),
        ParamSpec::new(
            "cursor",
            ParamKind::Cursor,
            "Opaque position from page.next_cursor.",
        ),
        ParamSpec::new(res.key, ParamKind::Key(res), "Only the item with this key."),
    ];
    v.extend(
        res.scalar_fields()
            .map(|f| ParamSpec::new(f.name, ParamKind::Field(f), "")),
    );
    if res.is_fact() {
        v.push(ParamSpec::new(
            "sources",
            ParamKind::Source,
            "Only items citing this source slug.",
        ));
    }
    v.push(ParamSpec::new("q", ParamKind::Search(res), ""));
    v.push(ParamSpec::new(
        "sort",
        ParamKind::Sort(res),
        "Order by this field, - for descending; nulls last; ties by key.",
    ));
    v.push(FORMAT);
    v
}

/// The fields a list can be sorted on: the key and every scalar field.
pub fn sortable(res: &Resource) -> Vec<&'static str> {
    let mut v = vec![res.key];
    v.extend(res.scalar_fields().map(|f| f.name));
    v
}

/// A list request, checked.
pub struct ListRequest {
    pub query: ListQuery,
    pub format: Format,
    /// The `sort` parameter as given, which the cursor is tied to.
    pub sort: String,
}

impl ListRequest {
    pub async fn parse(
        state: &AppState,
        res: &'static Resource,
        pairs: &QueryPairs,
        headers: &HeaderMap,
        twin: bool,
    ) -> ApiResult<ListRequest> {
        let spec = CsvTwin::spec(&spec(res), twin);
        let p = Parsed::new(pairs, headers, &spec, &format!("/v1/{}", res.name))?;
        let format = if twin { Format::Csv } else { p.format()? };
        let sort_param = p.get("sort").unwrap_or_default().to_string();
        let mut q = ListQuery {
            limit: p.limit()?,
            sort: parse_sort(res, &sort_param)?,
            ..Default::default()
        };
        for (name, v) in &pairs.0 {
            let Some(param) = spec.iter().find(|s| s.name == name) else {
                continue;
            };
            match param.kind {
                ParamKind::Cursor => {
                    let kind = q.sort.map(|s| res.field(s.field).expect("sort field").kind);
                    q.after = Some(decode_cursor(res, &sort_param, kind, v)?);
                }
                ParamKind::Search(_) => {
                    let text = v.trim().to_lowercase();
                    if text.is_empty() || text.chars().count() > 200 {
                        return Err(ApiError::BadRequest(
                            "q must be 1 to 200 characters of text to search for.".into(),
                        ));
                    }
                    q.search = Some(text);
                }
                ParamKind::Source => q.source = Some(v.clone()),
                ParamKind::Field(f) => q
                    .filters
                    .push((f.name, filter_value(state, f.name, f.kind, v).await?)),
                ParamKind::Key(_) => q.filters.push((res.key, key_filter(state, res, v).await?)),
                _ => {}
            }
        }
        Ok(ListRequest {
            query: q,
            format,
            sort: sort_param,
        })
    }
}

fn parse_sort(res: &Resource, raw: &str) -> ApiResult<Option<Sort>> {
    if raw.is_empty() {
        return Ok(None);
    }
    let (desc, name) = match raw.strip_prefix('-') {
        Some(n) => (true, n),
        None => (false, raw),
    };
    if !sortable(res).contains(&name) {
        return Err(ApiError::BadRequest(format!(
            "sort: cannot sort /v1/{} by {name:?}. Sortable fields (prefix - for descending): {}.",
            res.name,
            sortable(res).join(", ")
        )));
    }
    if name == res.key {
        if desc {
            return Err(ApiError::BadRequest(format!(
                "sort: -{name} is not supported; lists are in ascending {name} order by default."
            )));
        }
        return Ok(None);
    }
    Ok(Some(Sort {
        field: res.field(name).expect("sortable").name,
        desc,
    }))
}

/// The key filter: a well-formed key of no stored item (an unknown alpha-3 code) gives
/// no rows; a malformed one is a 400.
async fn key_filter(state: &AppState, res: &'static Resource, v: &str) -> ApiResult<Val> {
    match key_ref(res, v) {
        Some(k @ KeyRef::Key(_)) => Ok(read::resolve(&state.db, res, &k)
            .await?
            .expect("a canonical key resolves to itself")),
        Some(k @ KeyRef::Alt(_)) => Ok(read::resolve(&state.db, res, &k)
            .await?
            .unwrap_or_else(|| Val::text(v.to_ascii_uppercase()))),
        None => Err(ApiError::BadRequest(format!(
            "The filter {}={v:?} is not valid: it is not a {} key.",
            res.key, res.singular
        ))),
    }
}

/// A filter value typed as the field is stored.
async fn filter_value(state: &AppState, name: &str, kind: Kind, raw: &str) -> ApiResult<Val> {
    let bad =
        |m: String| ApiError::BadRequest(format!("The filter {name}={raw:?} is not valid: {m}."));
    Ok(match kind {
        Kind::Bool => match raw {
            "true" => Val::Bool(Some(true)),
            "false" => Val::Bool(Some(false)),
            _ => return Err(bad("use true or false".into())),
        },
        Kind::Int => Val::Int(Some(raw.parse().map_err(|_| bad("use an integer".into()))?)),
        Kind::Date { .. } => Val::Date(Some(
            parse_date(raw).ok_or_else(|| bad("use a date YYYY-MM-DD".into()))?,
        )),
        Kind::Enum(set) if !set.contains(&raw) => {
            return Err(bad(format!("use one of {}", set.join(", "))));
        }
        Kind::Precision if !PRECISION.contains(&raw) => {
            return Err(bad("use day, month or year".into()));
        }
        Kind::Ref(target) => match read::find(&state.db, target.0, raw).await? {
            Some((k, _)) => k,
            None => {
                return Err(ApiError::NotFound(format!(
                    "The filter {name} names {raw:?}, but no {} has that key.",
                    target.0.singular
                )));
            }
        },
        Kind::Strings => return Err(bad("this field cannot be filtered on".into())),
        _ => Val::text(raw),
    })
}

fn json_to_val(v: &Value, kind: Kind) -> Option<Val> {
    Some(match (kind, v) {
        (Kind::Bool, Value::Null) => Val::Bool(None),
        (Kind::Int, Value::Null) => Val::Int(None),
        (Kind::Date { .. }, Value::Null) => Val::Date(None),
        (_, Value::Null) => Val::Text(None),
        (Kind::Bool, Value::Bool(b)) => Val::Bool(Some(*b)),
        (Kind::Int, Value::Number(n)) => Val::Int(Some(n.as_i64()?)),
        (Kind::Date { .. }, Value::String(s)) => Val::Date(Some(parse_date(s)?)),
        (Kind::Bool | Kind::Int | Kind::Date { .. }, _) => return None,
        (_, Value::String(s)) => Val::text(s.clone()),
        _ => return None,
    })
}

/// The cursor is the page's last position, as hex of a small JSON object. It names the
/// sort it belongs to, so it cannot be replayed against another order.
pub fn encode_cursor(sort: &str, after: &After) -> String {
    let plain = json!({"s": sort, "v": after.sort_value.as_ref().map(Val::to_json), "k": after.key.to_json()}).to_string();
    plain.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(res: &Resource, sort: &str, sort_kind: Option<Kind>, c: &str) -> ApiResult<After> {
    let bad = || {
        ApiError::BadRequest(
            "The cursor is not valid for this list and sort; pass page.next_cursor from the previous page unchanged.".into(),
        )
    };
    if !c.len().is_multiple_of(2) || c.len() > 2048 {
        return Err(bad());
    }
    let bytes: Option<Vec<u8>> = (0..c.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(c.get(i..i + 2)?, 16).ok())
        .collect();
    let v: Value = serde_json::from_slice(&bytes.ok_or_else(bad)?).map_err(|_| bad())?;
    if v["s"].as_str() != Some(sort) {
        return Err(bad());
    }
    let key_kind = if res.key_kind == KeyKind::Id {
        Kind::Int
    } else {
        Kind::Text
    };
    let key = json_to_val(&v["k"], key_kind)
        .filter(|k| !k.is_null())
        .ok_or_else(bad)?;
    let sort_value = match sort_kind {
        Some(kind) => Some(json_to_val(&v["v"], kind).ok_or_else(bad)?),
        None => None,
    };
    Ok(After { sort_value, key })
}
