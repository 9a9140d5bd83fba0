//! Turning a JSON body into typed column values, checked against the resource's field
//! table. Everything that can be decided without the database is decided here: types,
//! unknown fields, required fields, enum sets, code formats, dates and their precision,
//! periods that end before they start, NUL bytes and lengths. References, uniqueness and
//! overlapping periods are checked in `db::write`, inside the write transaction.

pub mod json;
pub mod keys;

use chrono::Datelike;
use serde::Serialize;
use serde_json::{Map, Value};

pub use json::{merge_patch, parse_json_strict};
pub use keys::{KeyRef, is_slug, key_ref, parse_date};

use crate::model::{Default, Field, Kind, PRECISION, Resource, Val};

const MAX_TEXT: usize = 10_000;
const MAX_LIST: usize = 200;

/// A problem with one field of a body or one query parameter.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A body that is not a valid item: what is wrong with each field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid: {}", summary(.0))]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Invalid(vec![FieldError::new(field, message)])
    }
    /// `field: message; field: message`.
    pub fn summary(&self) -> String {
        summary(&self.0)
    }
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A validated body: the key (when given), one value per field, and the sources.
#[derive(Debug)]
pub struct Input {
    pub key: Option<Val>,
    pub values: Vec<(&'static Field, Val)>,
    pub sources: Vec<String>,
}

impl Input {
    pub fn get(&self, name: &str) -> Option<&Val> {
        self.values
            .iter()
            .find(|(f, _)| f.name == name)
            .map(|(_, v)| v)
    }
}

/// Why a body is being validated: a create (POST) may not carry a server-assigned id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Replace,
}

/// Check a whole representation. The key is optional in the body; absent fields take
/// their defaults (or null).
pub fn validate(res: &'static Resource, body: &Value, mode: Mode) -> Result<Input, Invalid> {
    let Some(obj) = body.as_object() else {
        return Err(Invalid::field(
            "",
            format!(
                "the body must be a JSON object describing one {}",
                res.singular
            ),
        ));
    };
    let mut errors = Vec::new();
    check_unknown(res, obj, &mut errors);

    let key = match obj.get(res.key) {
        None | Some(Value::Null) => None,
        Some(_) if res.key_kind == crate::model::KeyKind::Id && mode == Mode::Create => {
            errors.push(FieldError::new(
                res.key,
                "is assigned by the server; leave it out",
            ));
            None
        }
        Some(v) => match keys::body_key(res, v) {
            Ok(k) => Some(k),
            Err(m) => {
                errors.push(FieldError::new(res.key, m));
                None
            }
        },
    };

    let mut values = Vec::with_capacity(res.fields.len());
    for f in res.fields {
        let raw = obj.get(f.name).unwrap_or(&Value::Null);
        match field_value(f, raw) {
            Ok(v) => values.push((f, v)),
            Err(m) => errors.push(FieldError::new(f.name, m)),
        }
    }

    let sources = if res.is_fact() {
        sources(obj.get("sources"), &mut errors)
    } else {
        Vec::new()
    };
    let input = Input {
        key,
        values,
        sources,
    };
    if errors.is_empty() {
        cross_checks(res, &input, &mut errors);
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(Invalid(errors))
    }
}

fn sources(raw: Option<&Value>, errors: &mut Vec<FieldError>) -> Vec<String> {
    let list = match raw {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(
                "sources",
                "is required: a list of at least one existing source slug",
            ));
            return Vec::new();
        }
        Some(v) => match string_list(v, true) {
            Ok(list) => list,
            Err(m) => {
                errors.push(FieldError::new("sources", m));
                return Vec::new();
            }
        },
    };
    if list.is_empty() {
        errors.push(FieldError::new("sources", "must name at least one source"));
    }
    for s in &list {
        if !is_slug(s) {
            errors.push(FieldError::new(
                "sources",
                format!("{s:?} is not a source slug"),
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(d) = list.iter().find(|s| !seen.insert(s.as_str())) {
        errors.push(FieldError::new("sources", format!("{d:?} is listed twice")));
    }
    list
}

fn check_unknown(res: &Resource, obj: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    for name in obj.keys() {
        let known =
            name == res.key || res.field(name).is_some() || (name == "sources" && res.is_fact());
        if !known {
            let msg = if name == "sources" {
                "sources do not cite other sources".to_string()
            } else {
                format!("is not a field of a {}", res.singular)
            };
            errors.push(FieldError::new(name.clone(), msg));
        }
    }
}

fn text(v: &Value, max: usize) -> Result<String, String> {
    match v {
        Value::String(s) => {
            if s.contains('\0') {
                Err("must not contain NUL bytes".into())
            } else if s.trim().is_empty() {
                Err("must not be empty; leave the field out or send null instead".into())
            } else if s.chars().count() > max {
                Err(format!("must be at most {max} characters"))
            } else {
                Ok(s.clone())
            }
        }
        other => Err(format!("must be a string, not {}", type_name(other))),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn string_list(v: &Value, slugs: bool) -> Result<Vec<String>, String> {
    let Value::Array(items) = v else {
        return Err(format!("must be an array of strings, not {}", type_name(v)));
    };
    if items.len() > MAX_LIST {
        return Err(format!("must have at most {MAX_LIST} items"));
    }
    items
        .iter()
        .map(|i| text(i, if slugs { keys::MAX_KEY } else { 500 }))
        .collect()
}

fn one_of(raw: &Value, set: &[&str]) -> Result<Val, String> {
    let s = raw
        .as_str()
        .ok_or_else(|| format!("must be a string, not {}", type_name(raw)))?;
    if set.contains(&s) {
        Ok(Val::text(s))
    } else {
        Err(format!("must be one of: {}", set.join(", ")))
    }
}

/// The value a field takes when it is absent or null.
fn absent(f: &Field) -> Val {
    match (f.default, f.kind) {
        (Some(Default::Text(t)), _) => Val::text(t),
        (Some(Default::Bool(b)), _) => Val::Bool(Some(b)),
        (None, Kind::Bool) => Val::Bool(None),
        (None, Kind::Int) => Val::Int(None),
        (None, Kind::Date { .. }) => Val::Date(None),
        (None, Kind::Strings) => Val::text("[]"),
        (None, _) => Val::Text(None),
    }
}

/// One field's JSON value as a column value, with the field's default when absent.
fn field_value(f: &Field, raw: &Value) -> Result<Val, String> {
    if raw.is_null() {
        return if f.required {
            Err("is required".into())
        } else {
            Ok(absent(f))
        };
    }
    match f.kind {
        Kind::Text => Ok(Val::text(text(raw, MAX_TEXT)?)),
        Kind::Code(format) => Ok(Val::text(format.check(&text(raw, MAX_TEXT)?)?)),
        Kind::Token => {
            let s = text(raw, keys::MAX_KEY)?;
            let ok = s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if ok {
                Ok(Val::text(s))
            } else {
                Err("must be a snake_case word such as \"withdrew\"".into())
            }
        }
        Kind::Enum(set) => one_of(raw, set),
        Kind::Precision => one_of(raw, PRECISION),
        Kind::Date { .. } => {
            let s = raw.as_str().ok_or_else(|| {
                format!("must be a date string YYYY-MM-DD, not {}", type_name(raw))
            })?;
            parse_date(s)
                .map(|d| Val::Date(Some(d)))
                .ok_or_else(|| format!("{s:?} is not a calendar date in the form YYYY-MM-DD"))
        }
        Kind::Bool => raw
            .as_bool()
            .map(|b| Val::Bool(Some(b)))
            .ok_or_else(|| format!("must be true or false, not {}", type_name(raw))),
        Kind::Int => raw
            .as_i64()
            .map(|n| Val::Int(Some(n)))
            .ok_or_else(|| format!("must be an integer, not {}", type_name(raw))),
        Kind::Ref(target) => {
            // Stored as given but canonical in case; an alternative key (alpha-3) is
            // resolved to the key inside the write transaction.
            let s = text(raw, keys::MAX_KEY)?;
            match key_ref(target.0, &s) {
                Some(KeyRef::Key(k)) => Ok(k),
                Some(KeyRef::Alt(a)) => Ok(Val::text(a)),
                None => Err(keys::ref_hint(target.0).into()),
            }
        }
        Kind::Strings => {
            let list = string_list(raw, false)?;
            Ok(Val::text(
                serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()),
            ))
        }
    }
}

/// Checks across fields: a date and its precision agree, a period ends after it starts.
fn cross_checks(res: &Resource, input: &Input, errors: &mut Vec<FieldError>) {
    for (f, v) in &input.values {
        let (Kind::Date { precision: Some(p) }, Val::Date(Some(d))) = (f.kind, v) else {
            continue;
        };
        let precision = input.get(p).and_then(|v| v.as_text()).unwrap_or("day");
        let ok = match precision {
            "month" => d.day() == 1,
            "year" => d.day() == 1 && d.month() == 1,
            _ => true,
        };
        if !ok {
            errors.push(FieldError::new(
                f.name,
                format!(
                    "with {p} = {precision:?} the date must be the first day of its {precision}"
                ),
            ));
        }
    }
    if let Some(period) = res.period
        && let (Some(Val::Date(Some(s))), Some(Val::Date(Some(e)))) =
            (input.get(period.start), input.get(period.end))
        && e <= s
    {
        errors.push(FieldError::new(
            period.end,
            format!("must be after {} ({s})", period.start),
        ));
    }
}
