//! Turning a JSON body into typed column values, checked against the resource's field
//! table. Everything that can be decided without the database is decided here: types,
//! unknown fields, required fields, enum sets, dates and their precision, periods that end
//! before they start, NUL bytes and lengths. References are checked later, in `db::crud`,
//! inside the write transaction.

use chrono::{Datelike, NaiveDate};
use serde_json::{Map, Value};

use crate::db::Val;
use crate::error::{ApiError, FieldError};
use crate::model::{Default, Field, KeyKind, Kind, PRECISION, Resource};

const MAX_TEXT: usize = 10_000;
const MAX_KEY: usize = 64;
const MAX_LIST: usize = 200;

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

/// The periods whose end must come after their start, per collection.
pub fn period(res: &Resource) -> Option<(&'static str, &'static str)> {
    match res.name {
        "organisations" => Some(("founded_on", "ended_on")),
        "agreements" => Some(("signed_on", "ended_on")),
        "memberships" => Some(("joined_on", "left_on")),
        "agreement-parties" => Some(("signed_on", "left_on")),
        _ => None,
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
pub fn validate(res: &'static Resource, body: &Value, mode: Mode) -> Result<Input, ApiError> {
    let Some(obj) = body.as_object() else {
        return Err(ApiError::field(
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
        Some(_) if res.key_kind == KeyKind::Id && mode == Mode::Create => {
            errors.push(FieldError::new(
                res.key,
                "is assigned by the server; leave it out",
            ));
            None
        }
        Some(v) => match parse_key_value(res, v) {
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

    let mut sources = Vec::new();
    if res.is_fact() {
        match obj.get("sources") {
            None | Some(Value::Null) => errors.push(FieldError::new(
                "sources",
                "is required: a list of at least one existing source slug",
            )),
            Some(v) => match string_list(v, true) {
                Ok(list) if list.is_empty() => {
                    errors.push(FieldError::new("sources", "must name at least one source"))
                }
                Ok(list) => {
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
                    sources = list;
                }
                Err(m) => errors.push(FieldError::new("sources", m)),
            },
        }
    }

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
        Err(ApiError::fields(errors))
    }
}

fn check_unknown(res: &Resource, obj: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    for name in obj.keys() {
        let known =
            name == res.key || res.field(name).is_some() || (name == "sources" && res.is_fact());
        if !known {
            let mut msg = format!("is not a field of a {}", res.singular);
            if name == "sources" {
                msg = "sources do not cite other sources".into();
            }
            errors.push(FieldError::new(name.clone(), msg));
        }
    }
}

/// The key as given in a body; must already be in canonical form except for case.
fn parse_key_value(res: &Resource, v: &Value) -> Result<Val, String> {
    match res.key_kind {
        KeyKind::Id => match v.as_i64() {
            Some(n) if n > 0 => Ok(Val::Int(Some(n))),
            _ => Err("must be a positive integer".into()),
        },
        KeyKind::StateCode => match v.as_str() {
            Some(s) if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) => {
                Ok(Val::text(s.to_ascii_uppercase()))
            }
            Some(_) => Err("must be an ISO 3166-1 alpha-2 code: two letters".into()),
            None => Err("must be a string".into()),
        },
        KeyKind::Slug => match v.as_str() {
            Some(s) if is_slug(s) => Ok(Val::text(s)),
            Some(_) => Err(format!(
                "must be lower case letters, digits and '-', at most {MAX_KEY} characters"
            )),
            None => Err("must be a string".into()),
        },
    }
}

/// A path key in canonical form, or `None` when it cannot name anything. Alpha-3 state
/// codes are returned upper-cased for the caller to resolve.
pub fn normalise_path_key(res: &Resource, raw: &str) -> Option<Val> {
    match res.key_kind {
        KeyKind::Id => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| Val::Int(Some(n))),
        KeyKind::StateCode => {
            let ok =
                (raw.len() == 2 || raw.len() == 3) && raw.bytes().all(|b| b.is_ascii_alphabetic());
            ok.then(|| Val::text(raw.to_ascii_uppercase()))
        }
        KeyKind::Slug => {
            let lower = raw.to_ascii_lowercase();
            is_slug(&lower).then_some(Val::Text(Some(lower)))
        }
    }
}

pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_KEY
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
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
        .map(|i| text(i, if slugs { MAX_KEY } else { 500 }))
        .collect()
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    // Exactly YYYY-MM-DD: chrono alone would accept "2020-1-5".
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// One field's JSON value as a column value, with the field's default when absent.
fn field_value(f: &Field, raw: &Value) -> Result<Val, String> {
    if raw.is_null() {
        if f.required {
            return Err("is required".into());
        }
        return Ok(match (f.default, f.kind) {
            (Some(Default::Text(t)), _) => Val::text(t),
            (Some(Default::Bool(b)), _) => Val::Bool(Some(b)),
            (None, Kind::Bool) => Val::Bool(None),
            (None, Kind::Int) => Val::Int(None),
            (None, Kind::Date { .. }) => Val::Date(None),
            (None, Kind::Strings) => Val::text("[]"),
            (None, _) => Val::Text(None),
        });
    }
    match f.kind {
        Kind::Text => {
            let s = text(raw, MAX_TEXT)?;
            special_text(f.name, &s)
        }
        Kind::Token => {
            let s = text(raw, MAX_KEY)?;
            let ok = s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if ok {
                Ok(Val::text(s))
            } else {
                Err("must be a snake_case word such as \"withdrew\"".into())
            }
        }
        Kind::Enum(set) => {
            let s = raw
                .as_str()
                .ok_or_else(|| format!("must be a string, not {}", type_name(raw)))?;
            if set.contains(&s) {
                Ok(Val::text(s))
            } else {
                Err(format!("must be one of: {}", set.join(", ")))
            }
        }
        Kind::Precision => {
            let s = raw
                .as_str()
                .ok_or_else(|| format!("must be a string, not {}", type_name(raw)))?;
            if PRECISION.contains(&s) {
                Ok(Val::text(s))
            } else {
                Err("must be one of: day, month, year".into())
            }
        }
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
            let s = text(raw, MAX_KEY)?;
            if target == "states" {
                let ok =
                    (s.len() == 2 || s.len() == 3) && s.bytes().all(|b| b.is_ascii_alphabetic());
                if ok {
                    Ok(Val::text(s.to_ascii_uppercase()))
                } else {
                    Err("must be a state's ISO 3166-1 alpha-2 (or alpha-3) code".into())
                }
            } else {
                let lower = s.to_ascii_lowercase();
                if is_slug(&lower) {
                    Ok(Val::text(lower))
                } else {
                    Err("must be a slug: lower case letters, digits and '-'".into())
                }
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

/// Formats some text fields must follow.
fn special_text(name: &str, s: &str) -> Result<Val, String> {
    let ok = match name {
        "iso3" => s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()),
        "iso_numeric" => s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()),
        "wikidata_id" => {
            s.len() > 1 && s.starts_with('Q') && s[1..].bytes().all(|b| b.is_ascii_digit())
        }
        _ => true,
    };
    if !ok {
        return Err(match name {
            "iso3" => "must be an ISO 3166-1 alpha-3 code: three letters",
            "iso_numeric" => "must be three digits, such as \"398\"",
            _ => "must be a Wikidata item id such as \"Q232\"",
        }
        .into());
    }
    Ok(Val::text(if name == "iso3" {
        s.to_ascii_uppercase()
    } else {
        s.to_string()
    }))
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
    if let Some((start, end)) = period(res)
        && let (Some(Val::Date(Some(s))), Some(Val::Date(Some(e)))) =
            (input.get(start), input.get(end))
        && e <= s
    {
        errors.push(FieldError::new(end, format!("must be after {start} ({s})")));
    }
}

/// RFC 7396 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    if let Value::Object(p) = patch {
        if !target.is_object() {
            *target = Value::Object(Map::new());
        }
        let t = target.as_object_mut().expect("object");
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    } else {
        *target = patch.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396_examples() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
        let mut t = json!({"a": ["b"]});
        merge_patch(&mut t, &json!({"a": "c"}));
        assert_eq!(t, json!({"a": "c"}));
    }

    #[test]
    fn dates_must_be_exactly_iso() {
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2020-1-05").is_none());
        assert!(parse_date("20200105").is_none());
    }
}

/// Parse a request body as JSON, refusing an object with the same key twice (which
/// `serde_json::Value` would silently resolve to the last one: an ambiguity that two
/// parsers can read differently).
pub fn parse_json_strict(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    use serde::Deserialize;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = Strict::deserialize(&mut de)?;
    de.end()?;
    Ok(v.0)
}

struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(serde::de::Error::custom(format!(
                    "the key {k:?} appears twice"
                )));
            }
            let Strict(v) = map.next_value()?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod strict_tests {
    use super::parse_json_strict;

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert!(parse_json_strict(br#"{"a": 1, "a": 2}"#).is_err());
        assert!(parse_json_strict(br#"{"x": {"b": 1, "b": 1}}"#).is_err());
        assert!(parse_json_strict(br#"[{"a": 1}, {"a": 2}]"#).is_ok());
        assert_eq!(
            parse_json_strict(br#"{"a": [1, "x", null, true, 2.5]}"#).unwrap()["a"][4],
            2.5
        );
        assert!(parse_json_strict(b"{} x").is_err());
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(
            parse_json_strict(deep.as_bytes()).is_err(),
            "recursion limit"
        );
    }
}
