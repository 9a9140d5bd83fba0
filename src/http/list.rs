//! A list's parameters, derived from the resource's table entry: `limit`, `cursor`, the
//! key, one equality filter per scalar field, `sources`, `q`, `sort` and `format`. The
//! same spec checks a request and documents the list in OpenAPI.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::QueryPairs;
use super::filters::{check_fields, condition};
use super::format::Format;
use super::params::{
    CsvTwin, FORMAT, MAX_LIMIT, ParamKind, ParamSpec, Parsed, cursor_decode, cursor_encode,
};
use crate::db::Val;
use crate::db::read::{After, ListQuery, Sort};
use crate::input::parse_date;
use crate::model::{KeyKind, Kind, REGIONS, Resource};

/// Every parameter a list of `res` takes, in documentation order.
pub fn spec(res: &'static Resource) -> Vec<ParamSpec> {
    let mut v = vec![
        ParamSpec::new(
            "limit",
            ParamKind::Limit,
            "Rows per page, or all for the whole list in one answer (streamed; X-Total-Count gives the total).",
        ),
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
    if res.name == "memberships" {
        v.push(ParamSpec::new(
            "as_of",
            ParamKind::Date,
            "Only periods held on this day (joined_on <= day < left_on); without it, every period.",
        ));
    }
    if has_state(res) {
        v.push(ParamSpec::new(
            "region",
            ParamKind::OneOf(REGIONS),
            "Only rows whose state is in this region.",
        ));
    }
    v.push(ParamSpec::new("q", ParamKind::Search(res), ""));
    v.push(ParamSpec::new(
        "fields",
        ParamKind::Fields(res),
        "Only these fields in each row, in this order (a comma list).",
    ));
    if res.is_fact() {
        v.push(ParamSpec::new(
            "embed",
            ParamKind::OneOf(&["sources"]),
            "sources: each row's sources as objects (slug, title, url, publisher, kind) instead of slugs.",
        ));
    }
    v.push(ParamSpec::new(
        "sort",
        ParamKind::Sort(res),
        "Order by this field, - for descending; nulls last; ties by key.",
    ));
    v.push(FORMAT);
    v
}

/// The resource has a `state` reference (memberships, agreement parties).
fn has_state(res: &Resource) -> bool {
    res.field("state")
        .is_some_and(|f| matches!(f.kind, Kind::Ref(_)))
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
    /// `fields=`: the fields each row keeps, in order.
    pub fields: Option<Vec<String>>,
    /// `embed=sources`.
    pub embed_sources: bool,
    /// `limit=all`: every row, streamed.
    pub all: bool,
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
        let all = p.get("limit") == Some("all");
        let mut q = ListQuery {
            limit: if all { MAX_LIMIT } else { p.limit()? },
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
                ParamKind::Field(f) => q.filters.push(condition(state, res, Some(f), v).await?),
                ParamKind::Key(_) => q.filters.push(condition(state, res, None, v).await?),
                _ => {}
            }
        }
        q.as_of = p.date("as_of")?;
        if has_state(res) {
            q.region = p.one_of("region", REGIONS)?;
        }
        let fields = match p.get("fields") {
            Some(_) => Some(check_fields(
                res,
                p.list("fields", None, 64)?.unwrap_or_default(),
            )?),
            None => None,
        };
        let embed_sources = p.one_of("embed", &["sources"])?.is_some();
        if embed_sources && format == Format::Csv {
            return Err(ApiError::BadRequest(
                "embed=sources nests objects in each row, which CSV cannot hold; ask for JSON, or look the slugs up in /v1/sources.".into(),
            ));
        }
        Ok(ListRequest {
            query: q,
            format,
            sort: sort_param,
            fields,
            embed_sources,
            all,
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
    cursor_encode(
        &json!({"s": sort, "v": after.sort_value.as_ref().map(Val::to_json), "k": after.key.to_json()}),
    )
}

fn decode_cursor(res: &Resource, sort: &str, sort_kind: Option<Kind>, c: &str) -> ApiResult<After> {
    let bad = || {
        ApiError::BadRequest(
            "The cursor is not valid for this list and sort; pass page.next_cursor from the previous page unchanged.".into(),
        )
    };
    let v = cursor_decode(c, 2048).ok_or_else(bad)?;
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
