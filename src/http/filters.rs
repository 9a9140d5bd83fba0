//! A list's filter parameters: a plain value (equality) or one of PostgREST's operators,
//! each value typed as its field is stored; and `fields=`.

use crate::db::Val;
use crate::db::read::{self, Cond};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::input::{KeyRef, key_ref, parse_date};
use crate::model::{Field, KeyKind, Kind, PRECISION, Resource};

/// The key filter: a well-formed key of no stored item (an unknown alpha-3 code) gives
/// no rows; a malformed one is a 400.
pub(super) async fn key_filter(
    state: &AppState,
    res: &'static Resource,
    v: &str,
) -> ApiResult<Val> {
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
pub(super) fn check_fields(res: &Resource, names: Vec<String>) -> ApiResult<Vec<String>> {
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
pub(super) async fn condition(
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
