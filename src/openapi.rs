//! The OpenAPI 3.1 document, generated from the same resource tables that drive
//! validation and SQL, so it cannot drift from what the server accepts.

use serde_json::{Map, Value, json};

use crate::http::resources::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::model::{KeyKind, Kind, PRECISION, RESOURCES, Resource};

fn schema_name(res: &Resource) -> String {
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
        Kind::Token => json!({"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}),
        Kind::Enum(set) => json!({"type": "string", "enum": set}),
        Kind::Precision => json!({"type": "string", "enum": PRECISION}),
        Kind::Date { .. } => json!({"type": "string", "format": "date"}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Int => json!({"type": "integer", "format": "int64"}),
        Kind::Ref("states") => json!({"type": "string", "pattern": "^[A-Za-z]{2,3}$"}),
        Kind::Ref(_) => json!({"type": "string", "pattern": "^[a-z0-9-]+$"}),
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
        let nullable = !always_set;
        let mut s = field_schema(f.kind, nullable);
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

fn problem(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn errors(codes: &[&str]) -> Map<String, Value> {
    let mut m = Map::new();
    for c in codes {
        let d = match *c {
            "400" => "Malformed JSON, an unknown or bad query parameter, or a bad cursor.",
            "401" => "No valid write token (Authorization: Bearer <token>).",
            "404" => "No such item, or a filter names something that does not exist.",
            "405" => "Method not allowed; see the Allow header.",
            "409" => "The key exists already, or other rows still refer to this one.",
            "413" => "The body is too large.",
            "415" => "The body is not sent as JSON.",
            "422" => "The body is not a valid item: see `errors`.",
            _ => "The database cannot be reached; retry after Retry-After seconds.",
        };
        m.insert((*c).into(), problem(d));
    }
    m
}

fn merge(mut a: Map<String, Value>, b: Map<String, Value>) -> Value {
    a.extend(b);
    Value::Object(a)
}

fn item_response(name: &str, desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}})
}

fn paths_for(res: &Resource) -> (String, Value, String, Value) {
    let name = schema_name(res);
    let input = format!("{name}Input");
    let mut params = vec![
        json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}, "description": "Rows per page."}),
        json!({"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "Opaque position from page.next_cursor."}),
    ];
    params.push(json!({"name": res.key, "in": "query", "schema": {"type": "string"}, "description": "Only the item with this key."}));
    for f in res.fields.iter().filter(|f| f.kind != Kind::Strings) {
        params.push(json!({"name": f.name, "in": "query", "schema": field_schema(f.kind, false),
                           "description": format!("Only items whose {} equals this value.", f.name)}));
    }
    if res.is_fact() {
        params.push(json!({"name": "sources", "in": "query", "schema": {"type": "string"}, "description": "Only items citing this source slug."}));
    }
    let write_errors = ["400", "401", "404", "409", "413", "415", "422", "503"];
    let collection = json!({
        "get": {
            "operationId": format!("list_{}", res.table), "tags": [res.name],
            "summary": format!("List {}", res.name), "parameters": params,
            "responses": merge(
                Map::from_iter([("200".to_string(), json!({"description": "One page of items.",
                    "headers": {"Link": {"schema": {"type": "string"}, "description": "<…>; rel=\"next\" when more rows follow."}},
                    "content": {"application/json": {"schema": {"type": "object", "required": ["data", "page"], "properties": {
                        "data": {"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}},
                        "page": {"$ref": "#/components/schemas/Page"}}}}}}))]),
                errors(&["400", "404", "503"])),
        },
        "post": {
            "operationId": format!("create_{}", res.table), "tags": [res.name],
            "summary": format!("Create a {}", res.singular), "security": [{"bearer": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{input}")}}}},
            "responses": merge(Map::from_iter([("201".to_string(), {
                let mut r = item_response(&name, "Created.");
                r["headers"] = json!({"Location": {"schema": {"type": "string"}}});
                r
            })]), errors(&write_errors)),
        },
    });
    let key_param = json!({"name": "key", "in": "path", "required": true, "schema": {"type": "string"},
    "description": match res.key_kind {
        KeyKind::StateCode => "ISO 3166-1 alpha-2 or alpha-3 code, any case.",
        KeyKind::Id => "The integer id.",
        KeyKind::Slug => "The slug (lower case).",
    }});
    let item = json!({
        "parameters": [key_param],
        "get": {"operationId": format!("get_{}", res.table), "tags": [res.name], "summary": format!("Get one {}", res.singular),
                "responses": merge(Map::from_iter([("200".to_string(), item_response(&name, "The item."))]), errors(&["404", "503"]))},
        "put": {"operationId": format!("replace_{}", res.table), "tags": [res.name], "summary": format!("Create or replace a {}", res.singular),
                "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{input}")}}}},
                "responses": merge(Map::from_iter([
                    ("200".to_string(), item_response(&name, "Replaced.")),
                    ("201".to_string(), item_response(&name, "Created."))]), errors(&write_errors))},
        "patch": {"operationId": format!("patch_{}", res.table), "tags": [res.name], "summary": format!("Change fields of a {} (JSON merge patch, RFC 7396)", res.singular),
                "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": {
                    "application/merge-patch+json": {"schema": {"type": "object"}},
                    "application/json": {"schema": {"type": "object"}}}},
                "responses": merge(Map::from_iter([("200".to_string(), item_response(&name, "The changed item."))]), errors(&write_errors))},
        "delete": {"operationId": format!("delete_{}", res.table), "tags": [res.name], "summary": format!("Delete a {}", res.singular),
                "security": [{"bearer": []}],
                "parameters": [{"name": "cascade", "in": "query", "schema": {"type": "boolean", "default": false},
                                "description": "Also delete (or unlink) the rows that refer to this one."}],
                "responses": merge(Map::from_iter([("204".to_string(), json!({"description": "Deleted."}))]), errors(&["400", "401", "404", "409", "503"]))},
    });
    (
        format!("/v1/{}", res.name),
        collection,
        format!("/v1/{}/{{key}}", res.name),
        item,
    )
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for res in RESOURCES {
        let (cp, c, ip, i) = paths_for(res);
        paths.insert(cp, c);
        paths.insert(ip, i);
        schemas.insert(schema_name(res), resource_schema(res, true));
        schemas.insert(
            format!("{}Input", schema_name(res)),
            resource_schema(res, false),
        );
    }
    paths.insert("/healthz".into(), json!({"get": {"operationId": "healthz", "tags": ["operations"], "summary": "The process is up",
        "responses": {"200": {"description": "Up.", "content": {"application/json": {"schema": {"type": "object"}}}}}}}));
    paths.insert("/readyz".into(), json!({"get": {"operationId": "readyz", "tags": ["operations"], "summary": "The database is reachable and migrated",
        "responses": {"200": {"description": "Ready.", "content": {"application/json": {"schema": {"type": "object"}}}},
                      "503": problem("Not ready: database unreachable or migrations missing.")}}}));
    paths.insert("/openapi.json".into(), json!({"get": {"operationId": "openapi", "tags": ["operations"], "summary": "This document",
        "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}}}}));
    paths.insert("/problems/{slug}".into(), json!({"get": {"operationId": "problem_type", "tags": ["operations"], "summary": "What a problem type means",
        "parameters": [{"name": "slug", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The problem type.", "content": {"application/json": {"schema": {"type": "object"}}}},
                      "404": problem("No such problem type.")}}}));
    for p in ["/", "/v1"] {
        paths.insert(p.into(), json!({"get": {"operationId": if p == "/" { "root" } else { "index" }, "tags": ["operations"], "summary": "Map of the API",
            "responses": {"200": {"description": "Collections and links.", "content": {"application/json": {"schema": {"type": "object"}}}}}}}));
    }
    schemas.insert("Problem".into(), json!({
        "type": "object", "description": "RFC 9457 problem details.", "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}}}));
    schemas.insert("Page".into(), json!({
        "type": "object", "required": ["limit", "next_cursor", "total"],
        "properties": {"limit": {"type": "integer"}, "next_cursor": {"type": ["string", "null"]}, "total": {"type": "integer"}}}));
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
