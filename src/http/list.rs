//! A list's parameters, derived from the resource's table entry: `limit`, `cursor`, the
//! key, one equality filter per scalar field, `sources`, `q`, `sort` and `format`. The
//! same spec checks a request and documents the list in OpenAPI.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::QueryPairs;
use super::format::Format;
use super::params::{CsvTwin, FORMAT, MAX_LIMIT, ParamKind, ParamSpec, Parsed};
use crate::db::Val;
use crate::db::read::{self, After, Cond, ListQuery, Sort};
use crate::input::{KeyRef, key_ref, parse_date};
use crate::model::{Field, KeyKind, Kind, PRECISION, REGIONS, Resource};

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
        q.as_of = p
            .get("as_of")
            .map(|v| {
                parse_date(v).ok_or_else(|| {
                    ApiError::BadRequest(format!("as_of must be a date YYYY-MM-DD (got {v:?})."))
                })
            })
            .transpose()?;
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

/// The fields `fields=` may name: the key, every field, and `sources` on a fact.
fn check_fields(res: &Resource, names: Vec<String>) -> ApiResult<Vec<String>> {
    let known =
        |n: &str| n == res.key || res.field(n).is_some() || (res.is_fact() && n == "sources");
    if let Some(bad) = names.iter().find(|n| !known(n)) {
        let mut all = vec![res.key];
        all.extend(res.fields.iter().map(|f| f.name));
        if res.is_fact() {
            all.push("sources");
        }
        return Err(ApiError::BadRequest(format!(
            "fields: /v1/{} has no field {bad:?}. Fields: {}.",
            res.name,
            all.join(", ")
        )));
    }
    Ok(names)
}

/// Most values one `in.(…)` may list.
const MAX_IN: usize = 100;

/// One filter parameter: `value` (equality) or PostgREST's operators `eq.`, `neq.`,
/// `gt.`, `gte.`, `lt.`, `lte.`, `in.(a,b)`, `not.in.(a,b)`, `is.null`, `not.is.null`.
/// `field: None` is the key.
async fn condition(
    state: &AppState,
    res: &'static Resource,
    field: Option<&'static Field>,
    raw: &str,
) -> ApiResult<Cond> {
    let name = field.map_or(res.key, |f| f.name);
    let bad =
        |m: &str| ApiError::BadRequest(format!("The filter {name}={raw:?} is not valid: {m}."));
    let (op, rest) = match raw {
        "is.null" => ("is null", None),
        "not.is.null" => ("is not null", None),
        _ => OPERATORS
            .iter()
            .find_map(|(prefix, op)| raw.strip_prefix(prefix).map(|r| (*op, Some(r))))
            .unwrap_or(("=", Some(raw))),
    };
    if op == "=" && (raw.starts_with("is.") || raw.starts_with("not.")) {
        return Err(bad(
            "is. takes only null (is.null, not.is.null) and not. only in.(…) or is.null; to match such a text, put eq. before it",
        ));
    }
    let comparable = field.is_none_or(|f| {
        matches!(
            f.kind,
            Kind::Int | Kind::Date { .. } | Kind::Text | Kind::Code(_) | Kind::Token
        )
    });
    let ordered = matches!(op, "<" | "<=" | ">" | ">=");
    if ordered && !comparable {
        return Err(bad(
            "gt, gte, lt and lte compare numbers, dates and text; use eq, neq or in here",
        ));
    }
    let values: Vec<&str> = match (op, rest) {
        (_, None) => Vec::new(),
        ("in" | "not in", Some(r)) => {
            let inner = r
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| bad("write in.(a,b,c)"))?;
            let items: Vec<&str> = inner.split(',').map(str::trim).collect();
            if items.iter().any(|i| i.is_empty()) || items.len() > MAX_IN {
                return Err(bad(&format!("in.(…) takes 1 to {MAX_IN} non-empty values")));
            }
            items
        }
        (_, Some(r)) => vec![r],
    };
    let mut vals = Vec::with_capacity(values.len());
    for v in values {
        vals.push(match field {
            Some(f) => filter_value(state, f.name, f.kind, v).await?,
            // A key compared by order is taken as given (an id, or text by byte).
            None if ordered && res.key_kind == KeyKind::Id => {
                Val::Int(Some(v.parse().map_err(|_| bad("use an integer id"))?))
            }
            None if ordered => Val::text(v),
            None => key_filter(state, res, v).await?,
        });
    }
    Ok(Cond {
        field: name,
        op,
        vals,
    })
}

/// The operator prefixes, longest first where one is the start of another.
const OPERATORS: &[(&str, &str)] = &[
    ("eq.", "="),
    ("neq.", "<>"),
    ("gte.", ">="),
    ("gt.", ">"),
    ("lte.", "<="),
    ("lt.", "<"),
    ("not.in.", "not in"),
    ("in.", "in"),
];

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
