//! The OpenAPI 3.1 document, generated from what the server itself reads: the resource
//! tables (item, input and patch schemas), the vocabularies (one enum component each),
//! the parameter specs of lists and questions, the questions' column lists (row schemas)
//! and the problem catalogue (error responses). It cannot drift from what the server
//! accepts and answers; a conformance test checks real answers against it.
//!
//! For generated clients: every envelope key is declared and required; JSON and CSV are
//! separate operations (each list and question has a `.csv` twin path that answers
//! `text/csv` only); item operation ids are singular (`get_state`).

mod paths;
mod questions;

use serde_json::{Map, Value, json};

use super::params::{DEFAULT_LIMIT, MAX_LIMIT, ParamKind, ParamSpec};
use super::problems;
use crate::model::{KeyKind, Kind, PRECISION, RESOURCES, Resource, VOCABULARIES, vocabulary_name};

/// `State`, `AgreementParty`.
pub(crate) fn schema_name(res: &Resource) -> String {
    res.singular
        .split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `state`, `agreement_party`: item operation ids are singular.
pub(crate) fn op_name(res: &Resource) -> String {
    res.singular.replace(' ', "_")
}

pub(crate) fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The schema, or null.
pub(crate) fn nullable(s: Value) -> Value {
    if s.get("$ref").is_some() {
        return json!({"anyOf": [s, {"type": "null"}]});
    }
    let mut s = s;
    let t = s["type"].clone();
    s["type"] = json!([t, "null"]);
    s
}

/// A closed set: its named component, or an inline enum.
pub(crate) fn vocab_schema(set: &[&str]) -> Value {
    if set == super::changes::ACTIONS {
        return schema_ref("ChangeAction");
    }
    match vocabulary_name(set) {
        Some(name) => schema_ref(name),
        None => json!({"type": "string", "enum": set}),
    }
}

/// The orders a list can be sorted in: each sortable field, `-` for descending.
fn sort_schema(res: &Resource) -> Value {
    let values: Vec<String> = super::list::sortable(res)
        .iter()
        .flat_map(|f| [f.to_string(), format!("-{f}")])
        .filter(|f| *f != format!("-{}", res.key))
        .collect();
    json!({"type": "string", "enum": values})
}

fn field_schema(kind: Kind) -> Value {
    match kind {
        Kind::Text => json!({"type": "string", "maxLength": 10000}),
        Kind::Code(format) => json!({"type": "string", "pattern": format.pattern()}),
        Kind::Token => json!({"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}),
        Kind::Enum(set) => vocab_schema(set),
        Kind::Precision => vocab_schema(PRECISION),
        Kind::Date { .. } => json!({"type": "string", "format": "date"}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Int => json!({"type": "integer", "format": "int64"}),
        Kind::Ref(target) => match target.0.key_kind {
            KeyKind::StateCode => json!({"type": "string", "pattern": "^[A-Za-z]{2,3}$"}),
            KeyKind::Id => json!({"type": "integer", "format": "int64", "minimum": 1}),
            KeyKind::Slug => json!({"type": "string", "pattern": "^[a-z0-9-]+$"}),
        },
        Kind::Strings => json!({"type": "array", "items": {"type": "string"}}),
    }
}

fn described(mut s: Value, doc: &str) -> Value {
    s["description"] = json!(doc);
    s
}

pub(crate) fn key_schema(res: &Resource) -> Value {
    match res.key_kind {
        KeyKind::Id => json!({"type": "integer", "format": "int64", "minimum": 1}),
        KeyKind::StateCode => json!({"type": "string", "pattern": "^[A-Z]{2}$"}),
        KeyKind::Slug => {
            json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 64})
        }
    }
}

const SOURCES_DOC: &str = "Slugs of the sources behind this fact.";

/// The item as served (`output`) or as sent to POST and PUT (`input`).
fn resource_schema(res: &Resource, output: bool) -> Value {
    let mut props = Map::new();
    let mut required = vec![];
    props.insert(res.key.into(), key_schema(res));
    if output || res.key_kind != KeyKind::Id {
        required.push(res.key.to_string());
    }
    for f in res.fields {
        // Served items always carry required and defaulted fields; a body may send null for
        // any optional field (it then takes its default).
        let always_set = f.required || (output && f.default.is_some());
        let s = field_schema(f.kind);
        let s = if always_set { s } else { nullable(s) };
        props.insert(f.name.into(), described(s, f.doc));
        if f.required || output {
            required.push(f.name.to_string());
        }
    }
    if res.is_fact() {
        // Served lists embed the source objects on request (embed=sources).
        let item = if output {
            json!({"anyOf": [{"type": "string"}, schema_ref("SourceRef")]})
        } else {
            json!({"type": "string"})
        };
        props.insert(
            "sources".into(),
            json!({"type": "array", "items": item, "minItems": 1, "description": SOURCES_DOC}),
        );
        required.push("sources".into());
    }
    if !output && res.key_kind == KeyKind::Id {
        props[res.key]["description"] =
            json!("Assigned by the server on POST; may be given on PUT.");
    }
    let mut s = json!({"type": "object", "description": res.doc, "properties": props, "required": required});
    if !output {
        s["additionalProperties"] = json!(false);
    }
    s
}

/// A JSON merge patch (RFC 7396) of an item: every field optional; null removes a value
/// (the field then takes its default).
fn patch_schema(res: &Resource) -> Value {
    let mut props = Map::new();
    for f in res.fields {
        props.insert(
            f.name.into(),
            described(nullable(field_schema(f.kind)), f.doc),
        );
    }
    if res.is_fact() {
        props.insert(
            "sources".into(),
            json!({"type": "array", "items": {"type": "string"}, "minItems": 1, "description": SOURCES_DOC}),
        );
    }
    json!({"type": "object", "additionalProperties": false, "properties": props,
           "description": format!("Changes to a {} (JSON merge patch): only the fields sent change; null clears a field.", res.singular)})
}

/// A problem response, described from the catalogue.
pub(crate) fn problem(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/problem+json": {"schema": schema_ref("Problem")}}})
}

/// Responses: the successes given, then each error status described by its problem type
/// (and 500, which any request may meet).
pub(crate) fn responses(ok: Vec<(&str, Value)>, errors: &[u16]) -> Value {
    let mut m: Map<String, Value> = ok.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    for c in errors.iter().chain([&500]) {
        let status = axum::http::StatusCode::from_u16(*c).expect("valid status");
        let p = problems::by_status(status);
        m.insert(
            c.to_string(),
            problem(&format!(
                "{} (`/problems/{}`): {}",
                p.title, p.slug, p.description
            )),
        );
    }
    Value::Object(m)
}

/// A 200 (or other) JSON answer of a named schema.
pub(crate) fn json_answer(desc: &str, schema: Value) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": schema}}})
}

/// `304 Not Modified`, for reads that honour `If-None-Match`.
pub(crate) fn not_modified() -> Value {
    json!({"description": "Not modified: the If-None-Match tag is current.",
           "headers": {"ETag": {"schema": {"type": "string"}}}})
}

/// A CSV answer (the `.csv` twin paths).
pub(crate) fn csv_answer(desc: &str) -> Value {
    json!({"description": desc, "content": {"text/csv": {"schema": {"type": "string"},
           "example": "state,state_name,region\r\nKZ,Kazakhstan,central_asia\r\n"}}})
}

/// A filter value with an operator.
const OPERATOR_PATTERN: &str = "^(eq|neq|gt|gte|lt|lte|in|not\\.in|is|not\\.is)\\.";

/// One query parameter as OpenAPI describes it, from its spec.
pub(crate) fn param(p: &ParamSpec) -> Value {
    let (schema, doc): (Value, String) = match p.kind {
        ParamKind::AsOf => (
            json!({"type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2}|all)$"}),
            p.doc.into(),
        ),
        ParamKind::Day | ParamKind::Date => {
            (json!({"type": "string", "format": "date"}), p.doc.into())
        }
        ParamKind::AnswerLimit => (
            json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
            p.doc.into(),
        ),
        ParamKind::List {
            vocab: Some(set), ..
        } => (
            json!({"type": "string"}),
            format!("{} One or a comma list of: {}.", p.doc, set.join(", ")),
        ),
        ParamKind::List { example, .. } => (
            json!({"type": "string", "pattern": "^[^,]+(,[^,]+)*$"}),
            format!("{} A comma list, e.g. {example}.", p.doc),
        ),
        ParamKind::OneOf(set) => (vocab_schema(set), p.doc.into()),
        ParamKind::Flag => (json!({"type": "boolean", "default": false}), p.doc.into()),
        ParamKind::Format => (
            schema_ref("JsonFormat"),
            "json (the default). For CSV use the operation's .csv twin path (curl users may also send format=csv or Accept: text/csv here).".into(),
        ),
        ParamKind::Text | ParamKind::Cursor | ParamKind::Source | ParamKind::Key(_) => {
            (json!({"type": "string"}), p.doc.into())
        }
        ParamKind::Limit => (
            json!({"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}, {"type": "string", "enum": ["all"]}]}),
            p.doc.into(),
        ),
        ParamKind::Field(f) => (
            json!({"anyOf": [field_schema(f.kind), {"type": "string", "pattern": OPERATOR_PATTERN}]}),
            format!("Only items whose {} equals this value; or an operator: eq., neq., gt., gte., lt., lte. (numbers, dates, text), in.(a,b), not.in.(a,b), is.null, not.is.null (PostgREST's syntax).", f.name),
        ),
        ParamKind::Fields(res) => (
            json!({"type": "string", "pattern": "^[a-z_]+(,[a-z_]+)*$"}),
            format!("{} Fields: {}{}.", p.doc, res.key, res.fields.iter().map(|f| format!(", {}", f.name)).collect::<String>() + if res.is_fact() { ", sources" } else { "" }),
        ),
        ParamKind::Search(res) => (
            json!({"type": "string", "minLength": 1, "maxLength": 200}),
            format!(
                "Case-insensitive substring of {} (a phrase, not separate words).",
                res.search.join(", ")
            ),
        ),
        ParamKind::Sort(res) => (
            schema_ref(&format!("{}Sort", schema_name(res))),
            p.doc.into(),
        ),
    };
    json!({"name": p.name, "in": "query", "required": p.required, "schema": schema, "description": doc})
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for (name, set) in VOCABULARIES {
        schemas.insert((*name).into(), json!({"type": "string", "enum": set}));
    }
    schemas.insert(
        "SourceRef".into(),
        json!({"type": "object", "description": "A source as embed=sources gives it.",
               "required": ["slug", "title", "url", "publisher", "kind"],
               "properties": {"slug": {"type": "string"}, "title": {"type": "string"},
                   "url": {"type": ["string", "null"]}, "publisher": {"type": ["string", "null"]},
                   "kind": nullable(vocab_schema(crate::model::SOURCE_KINDS))}}),
    );
    schemas.insert(
        "JsonFormat".into(),
        json!({"type": "string", "enum": ["json"]}),
    );
    for res in RESOURCES {
        paths::collection(&mut paths, res);
        let name = schema_name(res);
        schemas.insert(name.clone(), resource_schema(res, true));
        schemas.insert(format!("{name}Input"), resource_schema(res, false));
        schemas.insert(format!("{name}Patch"), patch_schema(res));
        schemas.insert(format!("{name}Sort"), sort_schema(res));
        // fields= gives rows with only the fields asked for.
        let mut partial = resource_schema(res, true);
        partial["required"] = json!([]);
        partial["description"] = json!(format!(
            "A {} with only the fields named by fields=.",
            res.singular
        ));
        schemas.insert(format!("{name}Fields"), partial);
        schemas.insert(
            format!("{name}List"),
            json!({"type": "object", "required": ["data", "page"], "properties": {
                "data": {"type": "array", "items": {"anyOf": [schema_ref(&name), schema_ref(&format!("{name}Fields"))]}},
                "page": schema_ref("Page")}}),
        );
    }
    paths::operations(&mut paths);
    questions::paths(&mut paths, &mut schemas);
    paths::changes(&mut paths, &mut schemas);
    let types: Vec<String> = problems::CATALOGUE
        .iter()
        .map(|p| format!("/problems/{}", p.slug))
        .collect();
    schemas.insert("Problem".into(), json!({
        "type": "object", "description": "RFC 9457 problem details.", "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "description": format!("One of {}; GET it for what it means.", types.join(", "))},
            "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
            "errors": {"type": "array", "items": schema_ref("FieldError")}}}));
    schemas.insert(
        "FieldError".into(),
        json!({"type": "object", "required": ["field", "message"],
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}),
    );
    schemas.insert("Page".into(), json!({
        "type": "object", "required": ["limit", "next_cursor", "total"],
        "properties": {"limit": {"type": ["integer", "null"], "description": "null where the answer is not paginated"}, "next_cursor": {"type": ["string", "null"]}, "total": {"type": "integer"}}}));
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "pacts",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Which states belong to which security pacts in and around Central Asia, and since when. Reads are public; writes need a bearer token. Errors are application/problem+json (RFC 9457). Every list and question has a .csv twin path answering text/csv.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token from `pacts token create NAME`."}},
        },
    })
}
