//! Query parameters as data. Each list and question declares its parameters once, as a
//! slice of [`ParamSpec`]; the same slice decides which parameters a request may send
//! (anything else is a 400 listing them), how each is parsed, and what the OpenAPI
//! document says about it.

use axum::http::HeaderMap;
use chrono::Utc;

use super::error::{ApiError, ApiResult};
use super::extract::QueryPairs;
use super::format::{self, Format};
use crate::db::questions::AsOf;
use crate::input::parse_date;
use crate::model::{Field, Resource};

/// What a parameter holds.
#[derive(Debug, Clone, Copy)]
pub enum ParamKind {
    /// A date `YYYY-MM-DD` or `all`; today (UTC) when absent.
    AsOf,
    /// A date `YYYY-MM-DD`; today (UTC) when absent.
    Day,
    /// A comma list, each item from `vocab` when given, at most `max` items.
    List {
        vocab: Option<&'static [&'static str]>,
        max: usize,
        example: &'static str,
    },
    /// One value out of a set.
    OneOf(&'static [&'static str]),
    /// `true` or `false` (default false).
    Flag,
    /// `json` or `csv`.
    Format,
    /// Free text up to 200 characters.
    Text,
    /// Rows per page, or `all`.
    Limit,
    /// Rows per page of a question's answer; every row when absent.
    AnswerLimit,
    /// An optional date `YYYY-MM-DD`, no default.
    Date,
    /// An opaque position from `page.next_cursor`.
    Cursor,
    /// A list's equality filter on one field.
    Field(&'static Field),
    /// A list's filter on the key.
    Key(&'static Resource),
    /// A case-insensitive phrase searched in the resource's search fields.
    Search(&'static Resource),
    /// A field to order a list by, `-` for descending.
    Sort(&'static Resource),
    /// Only facts citing this source.
    Source,
    /// A comma list of the resource's field names.
    Fields(&'static Resource),
}

/// One query parameter of one endpoint.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub required: bool,
    pub doc: &'static str,
}

impl ParamSpec {
    pub const fn new(name: &'static str, kind: ParamKind, doc: &'static str) -> Self {
        ParamSpec {
            name,
            kind,
            required: false,
            doc,
        }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

pub const FORMAT: ParamSpec = ParamSpec::new(
    "format",
    ParamKind::Format,
    "Response format; also chosen by Accept: text/csv.",
);

/// Marks a request to a `.csv` twin path (`/v1/states.csv`, `/v1/matrix.csv`, …): the
/// answer is CSV, and `format` is not a parameter there. Generated clients get a JSON
/// operation and a text operation instead of one operation with two 200 bodies.
#[derive(Debug, Clone, Copy)]
pub struct CsvTwin;

impl CsvTwin {
    /// The parameters of the twin: the JSON path's without `format`.
    pub fn spec(spec: &[ParamSpec], twin: bool) -> Vec<ParamSpec> {
        spec.iter()
            .filter(|p| !twin || !matches!(p.kind, ParamKind::Format))
            .cloned()
            .collect()
    }

    /// The twin of a path.
    pub fn path(path: &str) -> String {
        format!("{path}.csv")
    }
}

/// Rows per page by default, and at most.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// A request's query checked against an endpoint's parameters.
pub struct Parsed<'a> {
    pairs: &'a QueryPairs,
    headers: &'a HeaderMap,
}

impl<'a> Parsed<'a> {
    /// 400 for a parameter the endpoint does not take.
    pub fn new(
        pairs: &'a QueryPairs,
        headers: &'a HeaderMap,
        spec: &[ParamSpec],
        context: &str,
    ) -> ApiResult<Self> {
        let names: Vec<&str> = spec.iter().map(|p| p.name).collect();
        pairs.only(&names, context)?;
        Ok(Parsed { pairs, headers })
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs.get(name)
    }

    pub fn format(&self) -> ApiResult<Format> {
        format::negotiate(self.headers, self.get("format"))
    }

    /// `as_of`: a date `YYYY-MM-DD` or `all`; today (UTC) when absent.
    pub fn as_of(&self) -> ApiResult<AsOf> {
        match self.get("as_of") {
            None => Ok(AsOf::Date(Utc::now().date_naive())),
            Some("all") => Ok(AsOf::All),
            Some(v) => parse_date(v).map(AsOf::Date).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "as_of must be a date YYYY-MM-DD or all (got {v:?})."
                ))
            }),
        }
    }

    /// An optional date `YYYY-MM-DD`, no default.
    pub fn date(&self, name: &str) -> ApiResult<Option<chrono::NaiveDate>> {
        self.get(name)
            .map(|v| {
                parse_date(v).ok_or_else(|| {
                    ApiError::BadRequest(format!("{name} must be a date YYYY-MM-DD (got {v:?})."))
                })
            })
            .transpose()
    }

    /// A comma list, each item checked against `allowed` when given; at most `max` items.
    pub fn list(
        &self,
        name: &str,
        allowed: Option<&[&str]>,
        max: usize,
    ) -> ApiResult<Option<Vec<String>>> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        let mut out: Vec<String> = Vec::new();
        for item in raw.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(ApiError::BadRequest(format!(
                    "{name} has an empty item; give a comma list such as {name}=a,b."
                )));
            }
            if let Some(set) = allowed
                && !set.contains(&item)
            {
                return Err(ApiError::BadRequest(format!(
                    "{name}: {item:?} is not one of {}.",
                    set.join(", ")
                )));
            }
            if !out.iter().any(|o| o == item) {
                out.push(item.to_string());
            }
            // Stop early: a long list is refused without building all of it.
            if out.len() > max {
                break;
            }
        }
        if out.len() > max {
            let n = raw.split(',').count();
            return Err(ApiError::BadRequest(format!(
                "{name} lists {n} items; at most {max} are allowed."
            )));
        }
        Ok(Some(out))
    }

    /// A list the endpoint requires.
    pub fn required_list(&self, name: &str, max: usize, example: &str) -> ApiResult<Vec<String>> {
        self.list(name, None, max)?.ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{name} is required: a comma list such as {name}={example}."
            ))
        })
    }

    pub fn one_of(&self, name: &str, set: &[&str]) -> ApiResult<Option<String>> {
        Ok(self.list(name, Some(set), 1)?.map(|mut v| v.remove(0)))
    }

    pub fn flag(&self, name: &str) -> ApiResult<bool> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(ApiError::BadRequest(format!(
                "{name} must be true or false (got {v:?})."
            ))),
        }
    }

    /// `limit`: 1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`].
    pub fn limit(&self) -> ApiResult<i64> {
        match self.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "limit must be a whole number from 1 to {MAX_LIMIT} (got {v:?})."
                    ))
                }),
        }
    }
}

/// A cursor: a small JSON object as hex, opaque to clients.
pub fn cursor_encode(v: &serde_json::Value) -> String {
    v.to_string().bytes().map(|b| format!("{b:02x}")).collect()
}

/// The JSON object of a cursor, or `None` if it is not one (or longer than `max`).
pub fn cursor_decode(c: &str, max: usize) -> Option<serde_json::Value> {
    if !c.len().is_multiple_of(2) || c.len() > max {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..c.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(c.get(i..i + 2)?, 16).ok())
        .collect();
    serde_json::from_slice(&bytes?).ok()
}
