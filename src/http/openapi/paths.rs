//! Paths of the collections (and their `.csv` twins), the change log and the operational
//! endpoints.

use serde_json::{Map, Value, json};

use super::{
    csv_answer, json_answer, key_schema, not_modified, op_name, param, problem, responses,
    schema_name, schema_ref,
};
use crate::http::changes;
use crate::http::params::CsvTwin;
use crate::model::{KeyKind, RESOURCES, Resource};

/// Statuses every read may answer besides its success: a bad parameter, a bad token, an
/// unknown key, a blocked address, an unreachable database.
pub const READ_ERRORS: &[u16] = &[400, 401, 404, 429, 503];
/// Writes also meet a body that is too slow (408) and a full disk (507).
const WRITE_ERRORS: &[u16] = &[400, 401, 404, 408, 409, 412, 413, 415, 422, 429, 503, 507];

/// `/v1/{name}`, its `.csv` twin, and `/v1/{name}/{key}`.
pub fn collection(paths: &mut Map<String, Value>, res: &'static Resource) {
    let name = schema_name(res);
    let op = op_name(res);
    let spec = crate::http::list::spec(res);
    let params: Vec<Value> = spec.iter().map(param).collect();
    let if_match = json!({"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"},
        "description": "Only write if the item's current ETag is one of these (or * : it exists); else 412."});
    let if_none_match = json!({"name": "If-None-Match", "in": "header", "required": false, "schema": {"type": "string"},
        "description": "* : only create, never replace (412 if the item exists)."});
    let input = json!({"required": true, "content": {"application/json": {"schema": schema_ref(&format!("{name}Input"))}}});
    let mut created = json_answer("Created.", schema_ref(&name));
    created["headers"] = json!({"Location": {"schema": {"type": "string"}},
        "ETag": {"schema": {"type": "string"}},
        "Idempotent-Replayed": {"schema": {"type": "string"}, "description": "true when this is the stored answer to an earlier identical POST."}});
    let list_path = format!("/v1/{}", res.name);
    paths.insert(list_path.clone(), json!({
        "get": {
            "operationId": format!("list_{}", res.table), "tags": [res.name],
            "summary": format!("List {}", res.name), "parameters": params,
            "responses": responses(vec![
                ("200", {
                    let mut r = json_answer("One page of items.", schema_ref(&format!("{name}List")));
                    r["headers"] = json!({"Link": {"schema": {"type": "string"}, "description": "<…>; rel=\"next\" when more rows follow."}});
                    r
                }),
                ("304", not_modified())], READ_ERRORS),
        },
        "post": {
            "operationId": format!("create_{op}"), "tags": [res.name],
            "summary": format!("Create a {}", res.singular), "security": [{"bearer": []}],
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 200},
                "description": "Retrying a POST with the same key and body returns the first answer instead of creating again (kept 24 h)."}],
            "requestBody": input,
            "responses": responses(vec![("201", created.clone())], WRITE_ERRORS),
        },
    }));
    let twin: Vec<Value> = CsvTwin::spec(&spec, true).iter().map(param).collect();
    paths.insert(CsvTwin::path(&list_path), json!({"get": {
        "operationId": format!("list_{}_csv", res.table), "tags": [res.name],
        "summary": format!("List {} as CSV (one header row, then one row per item; lists are joined with ;)", res.name),
        "parameters": twin,
        "responses": responses(vec![("200", csv_answer("One page of items as CSV.")), ("304", not_modified())], READ_ERRORS)}}));
    let key_param = json!({"name": "key", "in": "path", "required": true,
    "schema": if res.key_kind == KeyKind::Id { key_schema(res) } else { json!({"type": "string"}) },
    "example": if res.key_kind == KeyKind::Id { json!(res.example_key.parse::<i64>().unwrap_or(1)) } else { json!(res.example_key) },
    "description": match res.key_kind {
        KeyKind::StateCode => "ISO 3166-1 alpha-2 or alpha-3 code, any case.",
        KeyKind::Id => "The integer id.",
        KeyKind::Slug => "The slug (lower case).",
    }});
    let item_params: Vec<Value> = crate::http::items::ITEM_SPEC.iter().map(param).collect();
    let delete_params: Vec<Value> = crate::http::writes::DELETE_SPEC
        .iter()
        .map(param)
        .chain([if_match.clone()])
        .collect();
    let patch = json!({"required": true, "content": {
        "application/merge-patch+json": {"schema": schema_ref(&format!("{name}Patch"))},
        "application/json": {"schema": schema_ref(&format!("{name}Patch"))}}});
    let mut one = json_answer("The item.", schema_ref(&name));
    one["headers"] = json!({"ETag": {"schema": {"type": "string"}, "description": "Send it back in If-Match to write only if nobody changed the item since."}});
    paths.insert(format!("/v1/{}/{{key}}", res.name), json!({
        "parameters": [key_param],
        "get": {"operationId": format!("get_{op}"), "tags": [res.name], "summary": format!("Get one {}", res.singular),
                "parameters": item_params,
                "responses": responses(vec![("200", one.clone()), ("304", not_modified())], READ_ERRORS)},
        "put": {"operationId": format!("replace_{op}"), "tags": [res.name], "summary": format!("Create or replace a {}", res.singular),
                "security": [{"bearer": []}], "parameters": [if_match.clone(), if_none_match],
                "requestBody": input,
                "responses": responses(vec![("200", one.clone()), ("201", created)], WRITE_ERRORS)},
        "patch": {"operationId": format!("patch_{op}"), "tags": [res.name], "summary": format!("Change fields of a {} (JSON merge patch, RFC 7396)", res.singular),
                "security": [{"bearer": []}], "parameters": [if_match], "requestBody": patch,
                "responses": responses(vec![("200", one)], WRITE_ERRORS)},
        "delete": {"operationId": format!("delete_{op}"), "tags": [res.name], "summary": format!("Delete a {}", res.singular),
                "security": [{"bearer": []}], "parameters": delete_params,
                "responses": responses(vec![("204", json!({"description": "Deleted."}))], &[400, 401, 404, 409, 412, 429, 503, 507])},
    }));
}

/// The change log: typed entries (before and after are items of the named collection).
pub fn changes(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let items: Vec<Value> = RESOURCES
        .iter()
        .map(|r| schema_ref(&schema_name(r)))
        .chain([json!({"type": "null"})])
        .collect();
    let collections: Vec<&str> = RESOURCES.iter().map(|r| r.name).collect();
    schemas.insert(
        "ChangeAction".into(),
        json!({"type": "string", "enum": ["create", "replace", "delete"]}),
    );
    schemas.insert("Change".into(), json!({"type": "object",
        "required": ["id", "batch", "at", "token", "collection", "key", "action", "before", "after", "reverts", "request_id"], "properties": {
        "id": {"type": "integer"}, "batch": {"type": "string", "description": "The request that made it, as the server numbered it; a revert undoes the whole batch."},
        "at": {"type": "string", "format": "date-time"},
        "token": {"type": "string", "description": "The name of the token that wrote."},
        "collection": {"type": "string", "enum": collections}, "key": {"type": "string"},
        "action": schema_ref("ChangeAction"),
        "before": {"anyOf": items.clone(), "description": "The item before (null for a create)."},
        "after": {"anyOf": items, "description": "The item after (null for a delete)."},
        "reverts": {"type": ["integer", "null"], "description": "The change this one undid, if it was made by a revert."},
        "request_id": {"type": ["string", "null"], "description": "The X-Request-Id the write came with (at most 128 characters; a label, not the batch)."}}}));
    schemas.insert(
        "ChangeList".into(),
        json!({"type": "object", "required": ["data", "page"], "properties": {
        "data": {"type": "array", "items": schema_ref("Change")}, "page": schema_ref("Page")}}),
    );
    schemas.insert(
        "RevertResult".into(),
        json!({"type": "object", "required": ["reverted", "batch", "changes"], "properties": {
        "reverted": {"type": "integer", "description": "The change whose request was undone."},
        "batch": {"type": "string", "description": "This revert's own batch (revert it to redo)."},
        "changes": {"type": "array", "items": schema_ref("Change")}}}),
    );
    let params: Vec<Value> = changes::SPEC.iter().map(param).collect();
    let auth_errors: &[u16] = &[400, 401, 429, 503];
    paths.insert("/v1/changes".into(), json!({"get": {"operationId": "list_changes", "tags": ["changes"], "summary": "The change log, newest first (token required)",
        "security": [{"bearer": []}], "parameters": params,
        "responses": responses(vec![("200", json_answer("Changes, newest first.", schema_ref("ChangeList")))], auth_errors)}}));
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}, "example": 1});
    paths.insert("/v1/changes/{id}".into(), json!({"get": {"operationId": "get_change", "tags": ["changes"], "summary": "One change (token required)",
        "security": [{"bearer": []}], "parameters": [id.clone()],
        "responses": responses(vec![("200", json_answer("One change.", schema_ref("Change")))], &[401, 404, 429, 503])}}));
    paths.insert("/v1/changes/{id}/revert".into(), json!({"post": {"operationId": "revert_change", "tags": ["changes"],
        "summary": "Undo the request that made this change (token required)", "security": [{"bearer": []}], "parameters": [id],
        "responses": responses(vec![("200", json_answer("What the revert changed.", schema_ref("RevertResult")))], &[401, 404, 409, 422, 429, 503, 507])}}));
}

/// Health, readiness, this document, problem types, the index, the pages, metrics.
pub fn operations(paths: &mut Map<String, Value>) {
    let object = || json!({"type": "object"});
    paths.insert("/healthz".into(), json!({"get": {"operationId": "healthz", "tags": ["operations"], "summary": "The process is up",
        "responses": {"200": json_answer("Up.", json!({"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}))}}}));
    paths.insert("/readyz".into(), json!({"get": {"operationId": "readyz", "tags": ["operations"], "summary": "The database is reachable and migrated",
        "responses": {"200": json_answer("Ready.", json!({"type": "object", "required": ["status", "database", "migrations"],
            "properties": {"status": {"type": "string"}, "database": {"type": "string"}, "migrations": {"type": "string"}}})),
                      "503": problem("Not ready: database unreachable or migrations missing.")}}}));
    paths.insert(
        "/openapi.json".into(),
        json!({"get": {"operationId": "openapi", "tags": ["operations"], "summary": "This document",
        "responses": {"200": json_answer("OpenAPI 3.1.", object())}}}),
    );
    paths.insert("/problems/{slug}".into(), json!({"get": {"operationId": "problem_type", "tags": ["operations"], "summary": "What a problem type means",
        "parameters": [{"name": "slug", "in": "path", "required": true, "schema": {"type": "string"}, "example": "not-found"}],
        "responses": {"200": json_answer("The problem type.", json!({"type": "object", "required": ["type", "title", "status", "description"],
            "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "description": {"type": "string"}}})),
                      "404": problem("No such problem type.")}}}));
    paths.insert("/v1".into(), json!({"get": {"operationId": "index", "tags": ["operations"], "summary": "Map of the API",
        "responses": responses(vec![("200", json_answer("Collections and links.", json!({"type": "object",
            "required": ["name", "description", "collections", "openapi", "health", "ready"], "properties": {
            "name": {"type": "string"}, "description": {"type": "string"}, "openapi": {"type": "string"}, "health": {"type": "string"}, "ready": {"type": "string"},
            "collections": {"type": "array", "items": {"type": "object", "required": ["name", "href", "description"],
                "properties": {"name": {"type": "string"}, "href": {"type": "string"}, "description": {"type": "string"}}}}}}))),
            ("304", not_modified())], &[401, 429, 503])}}));
    for (p, id, summary) in [
        ("/", "dashboard", "The dashboard (HTML, works offline)"),
        (
            "/docs",
            "docs",
            "This reference as a page (HTML, works offline)",
        ),
    ] {
        paths.insert(p.into(), json!({"get": {"operationId": id, "tags": ["pages"], "summary": summary,
            "responses": {"200": {"description": "An HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}},
                          "304": not_modified()}}}));
    }
    paths.insert("/assets/{name}".into(), json!({"get": {"operationId": "asset", "tags": ["pages"], "summary": "The pages' scripts and styles",
        "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}, "example": "app.js"}],
        "responses": {"200": {"description": "A static file.", "content": {"text/javascript": {"schema": {"type": "string"}}, "text/css": {"schema": {"type": "string"}}}},
                      "304": not_modified(), "404": problem("No such file.")}}}));
    paths.insert("/metrics".into(), json!({"get": {"operationId": "metrics", "tags": ["operations"], "summary": "Prometheus metrics",
        "responses": {"200": {"description": "Prometheus text format.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}));
}
