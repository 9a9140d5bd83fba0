//! Paths of the collections, the change log and the operational endpoints.

use serde_json::{Map, Value, json};

use super::{csv_content, errors, merge, param, problem, schema_name};
use crate::http::changes;
use crate::model::{KeyKind, Resource};

fn item_response(name: &str, desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}})
}

/// `/v1/{name}` and `/v1/{name}/{key}`.
pub fn collection(paths: &mut Map<String, Value>, res: &'static Resource) {
    let name = schema_name(res);
    let input = format!("{name}Input");
    let params: Vec<Value> = crate::http::list::spec(res).iter().map(param).collect();
    let write_errors = [400, 401, 404, 409, 412, 413, 415, 422, 429, 503];
    let if_match = json!({"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"},
        "description": "Only write if the item's current ETag is one of these (or * : it exists); else 412."});
    let collection = json!({
        "get": {
            "operationId": format!("list_{}", res.table), "tags": [res.name],
            "summary": format!("List {}", res.name), "parameters": params,
            "responses": merge(
                Map::from_iter([("200".to_string(), json!({"description": "One page of items.",
                    "headers": {"Link": {"schema": {"type": "string"}, "description": "<…>; rel=\"next\" when more rows follow."}},
                    "content": {"application/json": {"schema": {"type": "object", "required": ["data", "page"], "properties": {
                        "data": {"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}},
                        "page": {"$ref": "#/components/schemas/Page"}}}},
                        "text/csv": csv_content()}}))]),
                errors(&[400, 404, 503])),
        },
        "post": {
            "operationId": format!("create_{}", res.table), "tags": [res.name],
            "summary": format!("Create a {}", res.singular), "security": [{"bearer": []}],
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 200},
                "description": "Retrying a POST with the same key and body returns the first answer instead of creating again (kept 24 h)."}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{input}")}}}},
            "responses": merge(Map::from_iter([("201".to_string(), {
                let mut r = item_response(&name, "Created.");
                r["headers"] = json!({"Location": {"schema": {"type": "string"}}});
                r
            })]), errors(&write_errors)),
        },
    });
    let key_param = json!({"name": "key", "in": "path", "required": true, "schema": {"type": "string"}, "example": res.example_key,
    "description": match res.key_kind {
        KeyKind::StateCode => "ISO 3166-1 alpha-2 or alpha-3 code, any case.",
        KeyKind::Id => "The integer id.",
        KeyKind::Slug => "The slug (lower case).",
    }});
    let item = json!({
        "parameters": [key_param],
        "get": {"operationId": format!("get_{}", res.table), "tags": [res.name], "summary": format!("Get one {}", res.singular),
                "responses": merge(Map::from_iter([("200".to_string(), item_response(&name, "The item."))]), errors(&[404, 503]))},
        "put": {"operationId": format!("replace_{}", res.table), "tags": [res.name], "summary": format!("Create or replace a {}", res.singular),
                "security": [{"bearer": []}], "parameters": [if_match.clone()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{input}")}}}},
                "responses": merge(Map::from_iter([
                    ("200".to_string(), item_response(&name, "Replaced.")),
                    ("201".to_string(), item_response(&name, "Created."))]), errors(&write_errors))},
        "patch": {"operationId": format!("patch_{}", res.table), "tags": [res.name], "summary": format!("Change fields of a {} (JSON merge patch, RFC 7396)", res.singular),
                "security": [{"bearer": []}], "parameters": [if_match.clone()],
                "requestBody": {"required": true, "content": {
                    "application/merge-patch+json": {"schema": {"type": "object"}},
                    "application/json": {"schema": {"type": "object"}}}},
                "responses": merge(Map::from_iter([("200".to_string(), item_response(&name, "The changed item."))]), errors(&write_errors))},
        "delete": {"operationId": format!("delete_{}", res.table), "tags": [res.name], "summary": format!("Delete a {}", res.singular),
                "security": [{"bearer": []}],
                "parameters": crate::http::writes::DELETE_SPEC.iter().map(param).chain([if_match]).collect::<Vec<_>>(),
                "responses": merge(Map::from_iter([("204".to_string(), json!({"description": "Deleted."}))]), errors(&[400, 401, 404, 409, 412, 429, 503]))},
    });
    paths.insert(format!("/v1/{}", res.name), collection);
    paths.insert(format!("/v1/{}/{{key}}", res.name), item);
}

/// The change log.
pub fn changes(paths: &mut Map<String, Value>) {
    let change = json!({"type": "object", "required": ["id", "batch", "at", "token", "collection", "key", "action", "before", "after", "reverts"], "properties": {
        "id": {"type": "integer"}, "batch": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
        "token": {"type": "string", "description": "The name of the token that wrote."},
        "collection": {"type": "string"}, "key": {"type": "string"},
        "action": {"type": "string", "enum": ["create", "replace", "delete"]},
        "before": {"description": "The item before (null for a create)."}, "after": {"description": "The item after (null for a delete)."},
        "reverts": {"type": ["integer", "null"]}}});
    let mut list_errors = errors(&[400, 401, 429, 503]);
    list_errors.insert("200".into(), json!({"description": "Changes, newest first.", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"data": {"type": "array", "items": change.clone()}, "page": {"$ref": "#/components/schemas/Page"}}}}}}));
    let params: Vec<Value> = changes::SPEC.iter().map(param).collect();
    paths.insert("/v1/changes".into(), json!({"get": {"operationId": "list_changes", "tags": ["changes"], "summary": "The change log (token required)",
        "security": [{"bearer": []}], "parameters": params, "responses": list_errors}}));
    let mut one = errors(&[401, 404, 429, 503]);
    one.insert(
        "200".into(),
        json!({"description": "One change.", "content": {"application/json": {"schema": change}}}),
    );
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}, "example": "1"});
    paths.insert("/v1/changes/{id}".into(), json!({"get": {"operationId": "get_change", "tags": ["changes"], "summary": "One change (token required)",
        "security": [{"bearer": []}], "parameters": [id.clone()], "responses": one}}));
    let mut rev = errors(&[401, 404, 409, 422, 429, 503]);
    rev.insert("200".into(), json!({"description": "What the revert changed.", "content": {"application/json": {"schema": {"type": "object"}}}}));
    paths.insert("/v1/changes/{id}/revert".into(), json!({"post": {"operationId": "revert_change", "tags": ["changes"],
        "summary": "Undo the request that made this change (token required)", "security": [{"bearer": []}], "parameters": [id], "responses": rev}}));
}

/// Health, readiness, this document, problem types, the index, the pages, metrics.
pub fn operations(paths: &mut Map<String, Value>) {
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
    paths.insert("/v1".into(), json!({"get": {"operationId": "index", "tags": ["operations"], "summary": "Map of the API",
        "responses": {"200": {"description": "Collections and links.", "content": {"application/json": {"schema": {"type": "object"}}}}}}}));
    for (p, id, summary) in [
        ("/", "dashboard", "The dashboard (HTML, works offline)"),
        (
            "/docs",
            "docs",
            "This reference as a page (HTML, works offline)",
        ),
    ] {
        paths.insert(p.into(), json!({"get": {"operationId": id, "tags": ["pages"], "summary": summary,
            "responses": {"200": {"description": "An HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}}}}}));
    }
    paths.insert("/assets/{name}".into(), json!({"get": {"operationId": "asset", "tags": ["pages"], "summary": "The pages' scripts and styles",
        "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}, "example": "app.js"}],
        "responses": {"200": {"description": "A static file.", "content": {"text/javascript": {"schema": {"type": "string"}}, "text/css": {"schema": {"type": "string"}}}},
                      "404": problem("No such file.")}}}));
    paths.insert("/metrics".into(), json!({"get": {"operationId": "metrics", "tags": ["operations"], "summary": "Prometheus metrics",
        "responses": {"200": {"description": "Prometheus text format.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}));
}
