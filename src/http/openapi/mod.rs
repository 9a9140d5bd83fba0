//! The OpenAPI 3.1 document, generated from what the server itself reads: the resource
//! tables (item schemas), the parameter specs of lists and questions, the questions'
//! column lists (row schemas) and the problem catalogue (error responses). It cannot
//! drift from what the server accepts and answers.

mod paths;
mod questions;

use serde_json::{Map, Value, json};

use super::params::{DEFAULT_LIMIT, MAX_LIMIT, ParamKind, ParamSpec};
use super::problems;
use crate::model::{KeyKind, Kind, PRECISION, RESOURCES, Resource};

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

fn field_schema(kind: Kind, nullable: bool) -> Value {
    let mut s = match kind {
        Kind::Text => json!({"type": "string", "maxLength": 10000}),
        Kind::Code(format) => json!({"type": "string", "pattern": format.pattern()}),
        Kind::Token => json!({"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}),
        Kind::Enum(set) => json!({"type": "string", "enum": set}),
        Kind::Precision => json!({"type": "string", "enum": PRECISION}),
        Kind::Date { .. } => json!({"type": "string", "format": "date"}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Int => json!({"type": "integer", "format": "int64"}),
        Kind::Ref(target) => match target.0.key_kind {
            KeyKind::StateCode => json!({"type": "string", "pattern": "^[A-Za-z]{2,3}$"}),
            KeyKind::Id => json!({"type": "integer", "format": "int64", "minimum": 1}),
            KeyKind::Slug => json!({"type": "string", "pattern": "^[a-z0-9-]+$"}),
        },
        Kind::Strings => json!({"type": "array", "items": {"type": "string"}}),
    };
    if nullable {
        let t = s["type"].clone();
        s["type"] = json!([t, "null"]);
        if let Some(e) = s.get_mut("enum").and_then(Value::as_array_mut) {
            e.push(Value::Null);
        }
    }
    s
}

fn key_schema(res: &Resource) -> Value {
    match res.key_kind {
        KeyKind::Id => json!({"type": "integer", "format": "int64", "minimum": 1}),
        KeyKind::StateCode => json!({"type": "string", "pattern": "^[A-Z]{2}$"}),
        KeyKind::Slug => {
            json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 64})
        }
    }
}

/// The item as served (`output`) or as sent (`input`).
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
        let mut s = field_schema(f.kind, !always_set);
        s["description"] = json!(f.doc);
        props.insert(f.name.into(), s);
        if f.required || output {
            required.push(f.name.to_string());
        }
    }
    if res.is_fact() {
        props.insert(
            "sources".into(),
            json!({"type": "array", "items": {"type": "string"}, "minItems": 1,
                   "description": "Slugs of the sources behind this fact."}),
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

/// A problem response, described from the catalogue.
pub(crate) fn problem(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

/// Error responses for these status codes, each described by its problem type.
pub(crate) fn errors(codes: &[u16]) -> Map<String, Value> {
    codes
        .iter()
        .map(|c| {
            let status = axum::http::StatusCode::from_u16(*c).expect("valid status");
            let p = problems::by_status(status);
            (
                c.to_string(),
                problem(&format!(
                    "{} (`/problems/{}`): {}",
                    p.title, p.slug, p.description
                )),
            )
        })
        .collect()
}

pub(crate) fn merge(mut a: Map<String, Value>, b: Map<String, Value>) -> Value {
    a.extend(b);
    Value::Object(a)
}

pub(crate) fn csv_content() -> Value {
    json!({"schema": {"type": "string"}, "example": "state,state_name,region\r\nKZ,Kazakhstan,central_asia\r\n"})
}

/// One query parameter as OpenAPI describes it, from its spec.
pub(crate) fn param(p: &ParamSpec) -> Value {
    let (schema, doc): (Value, String) = match p.kind {
        ParamKind::AsOf => (
            json!({"type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2}|all)$"}),
            p.doc.into(),
        ),
        ParamKind::Day => (json!({"type": "string", "format": "date"}), p.doc.into()),
        ParamKind::List {
            vocab: Some(set), ..
        } => (
            json!({"type": "string", "description": format!("One or a comma list of: {}", set.join(", "))}),
            p.doc.into(),
        ),
        ParamKind::List { example, .. } => (
            json!({"type": "string", "pattern": "^[^,]+(,[^,]+)*$", "description": format!("Comma list, e.g. {example}")}),
            p.doc.into(),
        ),
        ParamKind::OneOf(set) => (json!({"type": "string", "enum": set}), p.doc.into()),
        ParamKind::Flag => (json!({"type": "boolean", "default": false}), p.doc.into()),
        ParamKind::Format => (
            json!({"type": "string", "enum": ["json", "csv"]}),
            p.doc.into(),
        ),
        ParamKind::Text | ParamKind::Cursor | ParamKind::Source | ParamKind::Key(_) => {
            (json!({"type": "string"}), p.doc.into())
        }
        ParamKind::Limit => (
            json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
            p.doc.into(),
        ),
        ParamKind::Field(f) => (
            field_schema(f.kind, false),
            format!("Only items whose {} equals this value.", f.name),
        ),
        ParamKind::Search(res) => (
            json!({"type": "string", "minLength": 1, "maxLength": 200}),
            format!(
                "Case-insensitive substring of {} (a phrase, not separate words).",
                res.search.join(", ")
            ),
        ),
        ParamKind::Sort(res) => {
            let values: Vec<String> = super::list::sortable(res)
                .iter()
                .flat_map(|f| [f.to_string(), format!("-{f}")])
                .filter(|f| *f != format!("-{}", res.key))
                .collect();
            (json!({"type": "string", "enum": values}), p.doc.into())
        }
    };
    json!({"name": p.name, "in": "query", "required": p.required, "schema": schema, "description": doc})
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for res in RESOURCES {
        paths::collection(&mut paths, res);
        schemas.insert(schema_name(res), resource_schema(res, true));
        schemas.insert(
            format!("{}Input", schema_name(res)),
            resource_schema(res, false),
        );
    }
    paths::operations(&mut paths);
    questions::paths(&mut paths, &mut schemas);
    paths::changes(&mut paths);
    let types: Vec<String> = problems::CATALOGUE
        .iter()
        .map(|p| format!("/problems/{}", p.slug))
        .collect();
    schemas.insert("Problem".into(), json!({
        "type": "object", "description": "RFC 9457 problem details.", "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "description": format!("One of {}; GET it for what it means.", types.join(", "))},
            "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}}}));
    schemas.insert("Page".into(), json!({
        "type": "object", "required": ["limit", "next_cursor", "total"],
        "properties": {"limit": {"type": ["integer", "null"], "description": "null where the answer is not paginated"}, "next_cursor": {"type": ["string", "null"]}, "total": {"type": "integer"}}}));
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "pacts",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Which states belong to which security pacts in and around Central Asia, and since when. Reads are public; writes need a bearer token. Errors are application/problem+json (RFC 9457).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token from `pacts token create NAME`."}},
        },
    })
}
