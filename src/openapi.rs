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
            "412" => "If-Match does not match the item's current ETag.",
            "413" => "The body is too large.",
            "429" => "Too many failed authentications from this address; see Retry-After.",
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
    params.push(json!({"name": "q", "in": "query", "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": format!("Case-insensitive substring of {} (a phrase, not separate words).", crate::model::search_fields(res).join(", "))}));
    let mut sortable = vec![res.key.to_string()];
    sortable.extend(
        res.fields
            .iter()
            .filter(|f| f.kind != Kind::Strings)
            .map(|f| f.name.to_string()),
    );
    let sort_values: Vec<String> = sortable
        .iter()
        .flat_map(|f| [f.clone(), format!("-{f}")])
        .filter(|f| *f != format!("-{}", res.key))
        .collect();
    params.push(
        json!({"name": "sort", "in": "query", "schema": {"type": "string", "enum": sort_values},
        "description": "Order by this field, - for descending; nulls last; ties by key."}),
    );
    params.push(format_param());
    let write_errors = [
        "400", "401", "404", "409", "412", "413", "415", "422", "429", "503",
    ];
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
                errors(&["400", "404", "503"])),
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
    let example = match res.name {
        "states" => "KZ",
        "organisations" => "csto",
        "agreements" => "cst",
        "sources" => "seed-article",
        "claims" => "c01",
        _ => "1",
    };
    let key_param = json!({"name": "key", "in": "path", "required": true, "schema": {"type": "string"}, "example": example,
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
                "parameters": [{"name": "cascade", "in": "query", "schema": {"type": "boolean", "default": false},
                                "description": "Also delete (or unlink) the rows that refer to this one."}, if_match],
                "responses": merge(Map::from_iter([("204".to_string(), json!({"description": "Deleted."}))]), errors(&["400", "401", "404", "409", "412", "429", "503"]))},
    });
    (
        format!("/v1/{}", res.name),
        collection,
        format!("/v1/{}/{{key}}", res.name),
        item,
    )
}

fn format_param() -> Value {
    json!({"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]},
           "description": "Response format; also chosen by Accept: text/csv."})
}

fn csv_content() -> Value {
    json!({"schema": {"type": "string"}, "example": "state,state_name,region\r\nKZ,Kazakhstan,central_asia\r\n"})
}

fn query_param(name: &str, schema: Value, desc: &str, required: bool) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": schema, "description": desc})
}

fn list_of(items: &[&str]) -> Value {
    json!({"type": "string", "pattern": "^[^,]+(,[^,]+)*$", "description": format!("Comma list, e.g. {}", items.join(","))})
}

/// The question endpoints (src/http/queries.rs).
fn query_paths(paths: &mut Map<String, Value>) {
    use crate::model::{ORG_KINDS, REGIONS, ROLES};
    let as_of = query_param(
        "as_of",
        json!({"type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2}|all)$"}),
        "A date YYYY-MM-DD (default: today, UTC) or all for every period. Held on d: joined_on <= d < left_on.",
        false,
    );
    let role = query_param(
        "role",
        json!({"type": "string", "description": format!("One or a comma list of: {}", ROLES.join(", "))}),
        "Only these roles.",
        false,
    );
    let kind = query_param(
        "kind",
        json!({"type": "string", "description": format!("One or a comma list of: {}", ORG_KINDS.join(", "))}),
        "Only organisations of these kinds. Without it, legal_status and initiative are left out.",
        false,
    );
    let region = query_param(
        "region",
        json!({"type": "string", "enum": REGIONS}),
        "Only states in this region.",
        false,
    );
    let key = |d: &str| {
        let example = if d.starts_with("ISO") {
            "KZ"
        } else if d.starts_with("Agreement") {
            "cst"
        } else {
            "csto"
        };
        json!({"name": "key", "in": "path", "required": true, "schema": {"type": "string"}, "description": d, "example": example})
    };
    let ok = |schema: &str, desc: &str| {
        json!({
        "description": desc,
        "content": {
            "application/json": {"schema": {"type": "object", "required": ["data", "page"], "properties": {
                "data": {"type": "array", "items": {"$ref": format!("#/components/schemas/{schema}")}},
                "page": {"$ref": "#/components/schemas/Page"}}}},
            "text/csv": csv_content()}})
    };
    let errs = errors(&["400", "404", "503"]);
    let op = |id: &str, summary: &str, params: Vec<Value>, resp: Value| {
        let mut responses = Map::new();
        responses.insert("200".into(), resp);
        responses.extend(errs.clone());
        json!({"get": {"operationId": id, "tags": ["queries"], "summary": summary, "parameters": params, "responses": responses}})
    };
    let lineage = query_param(
        "lineage",
        json!({"type": "boolean", "default": false}),
        "Follow predecessor links for dates before the organisation existed (CSTO -> CST, SCO -> Shanghai Five); such rows say lineage: true.",
        false,
    );
    paths.insert("/v1/organisations/{key}/members".into(), op("organisation_members",
        "The states holding a membership in an organisation on a date, with role and period",
        vec![key("Organisation slug."), as_of.clone(), role.clone(), region.clone(), lineage, format_param()],
        ok("MembershipRow", "Members; the envelope also has as_of, organisation (with membership_coverage and size_note) and complete.")));
    paths.insert(
        "/v1/organisations/{key}/history".into(),
        op(
            "organisation_history",
            "Every period of every state in an organisation, in date order",
            vec![
                key("Organisation slug."),
                role.clone(),
                region.clone(),
                format_param(),
            ],
            ok("MembershipRow", "The timeline."),
        ),
    );
    paths.insert(
        "/v1/states/{key}/memberships".into(),
        op(
            "state_memberships",
            "The organisations a state belongs to on a date, with role and period",
            vec![
                key("ISO alpha-2 or alpha-3 code."),
                as_of.clone(),
                role.clone(),
                query_param(
                    "organisation",
                    list_of(&["csto", "sco"]),
                    "Only these organisations.",
                    false,
                ),
                kind.clone(),
                format_param(),
            ],
            ok("MembershipRow", "Memberships."),
        ),
    );
    paths.insert(
        "/v1/states/{key}/agreements".into(),
        op(
            "state_agreements",
            "Every agreement the state has a party row in, ended ones included",
            vec![key("ISO alpha-2 or alpha-3 code."), format_param()],
            ok("PartyRow", "Party rows."),
        ),
    );
    paths.insert(
        "/v1/agreements/{key}/parties".into(),
        op(
            "agreement_parties",
            "Every state with a party row in an agreement, former parties included",
            vec![key("Agreement slug."), format_param()],
            ok("PartyRow", "Party rows."),
        ),
    );
    paths.insert(
        "/v1/shared".into(),
        op(
            "shared",
            "The organisations in which every listed state holds a membership on the date",
            vec![
                query_param(
                    "states",
                    list_of(&["KZ", "KG"]),
                    "At most 20 states (alpha-2 or alpha-3).",
                    true,
                ),
                as_of.clone(),
                role.clone(),
                kind.clone(),
                format_param(),
            ],
            ok(
                "SharedRow",
                "One row per organisation; CSV has one role column per state.",
            ),
        ),
    );
    paths.insert(
        "/v1/overlap".into(),
        op(
            "overlap",
            "The states holding a membership in every listed organisation on the date",
            vec![
                query_param(
                    "organisations",
                    list_of(&["csto", "sco"]),
                    "At most 20 organisation slugs.",
                    true,
                ),
                as_of,
                role.clone(),
                format_param(),
            ],
            ok(
                "OverlapRow",
                "One row per state; CSV has one role column per organisation.",
            ),
        ),
    );
    paths.insert(
        "/v1/matrix".into(),
        op(
            "matrix",
            "States x organisations on one date: each cell is the role held or null",
            vec![
                query_param(
                    "as_of",
                    json!({"type": "string", "format": "date"}),
                    "The day (default today, UTC); all is not accepted.",
                    false,
                ),
                query_param(
                    "states",
                    list_of(&["KZ", "UZ"]),
                    "Rows (at most 100); default: every state with a cell.",
                    false,
                ),
                query_param(
                    "organisations",
                    list_of(&["csto", "sco"]),
                    "Columns (at most 100); default: every pact existing on the day.",
                    false,
                ),
                region,
                kind,
                role,
                format_param(),
            ],
            ok(
                "MatrixRow",
                "Rows; the envelope's columns lists the organisations in cell order.",
            ),
        ),
    );
}

/// A row schema from the query's own column list, so documentation and answer agree.
fn row_schema(cols: impl Iterator<Item = (&'static str, crate::db::Col)>) -> Map<String, Value> {
    use crate::db::Col;
    let mut m = Map::new();
    for (name, col) in cols {
        let schema = match col {
            Col::Text => json!({"type": ["string", "null"]}),
            Col::Int => json!({"type": ["integer", "null"]}),
            Col::Bool => json!({"type": ["boolean", "null"]}),
            Col::Date => json!({"type": ["string", "null"], "format": "date"}),
        };
        m.insert(name.into(), schema);
    }
    m.insert(
        "sources".into(),
        json!({"type": "array", "items": {"type": "string"}}),
    );
    m
}

fn query_schemas(schemas: &mut Map<String, Value>) {
    let s = |t: &str| json!({"type": [t, "null"]});
    let mut m = row_schema(crate::db::queries::membership_row_columns());
    m.insert(
        "lineage".into(),
        json!({"type": "boolean", "description": "members only: the row is the predecessor's"}),
    );
    schemas.insert(
        "MembershipRow".into(),
        json!({"type": "object", "properties": m}),
    );
    let p = row_schema(crate::db::queries::party_row_columns());
    schemas.insert(
        "PartyRow".into(),
        json!({"type": "object", "properties": p}),
    );
    let rows = json!({"type": "array", "items": {"$ref": "#/components/schemas/MembershipRow"}});
    let roles = json!({"type": "object", "additionalProperties": {"type": "string"}});
    schemas.insert("SharedRow".into(), json!({"type": "object", "properties": {
        "organisation": {"type": "string"}, "organisation_name": {"type": "string"}, "acronym": s("string"), "kind": s("string"),
        "membership_coverage": {"type": "string"}, "roles": roles.clone(), "memberships": rows.clone()}}));
    schemas.insert("OverlapRow".into(), json!({"type": "object", "properties": {
        "state": {"type": "string"}, "state_name": {"type": "string"}, "region": s("string"), "roles": roles, "memberships": rows}}));
    schemas.insert(
        "MatrixRow".into(),
        json!({"type": "object", "properties": {
        "state": {"type": "string"}, "state_name": {"type": "string"}, "region": s("string"),
        "cells": {"type": "array", "items": {"type": ["string", "null"]}}}}),
    );
}

/// The change log and the metrics endpoint.
fn change_paths(paths: &mut Map<String, Value>) {
    let change = json!({"type": "object", "properties": {
        "id": {"type": "integer"}, "batch": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
        "token": {"type": "string", "description": "The name of the token that wrote."},
        "collection": {"type": "string"}, "key": {"type": "string"},
        "action": {"type": "string", "enum": ["create", "replace", "delete"]},
        "before": {"description": "The item before (null for a create)."}, "after": {"description": "The item after (null for a delete)."},
        "reverts": {"type": ["integer", "null"]}}});
    let mut list_errors = errors(&["400", "401", "429", "503"]);
    list_errors.insert("200".into(), json!({"description": "Changes, newest first.", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"data": {"type": "array", "items": change.clone()}, "page": {"$ref": "#/components/schemas/Page"}}}}}}));
    let q = |n: &str, d: &str| json!({"name": n, "in": "query", "schema": {"type": "string"}, "description": d});
    paths.insert("/v1/changes".into(), json!({"get": {"operationId": "list_changes", "tags": ["changes"], "summary": "The change log (token required)",
        "security": [{"bearer": []}],
        "parameters": [q("collection", "Only this collection."), q("key", "Only this item's key."), q("token", "Only writes by this token name."),
                       q("batch", "Only this request's changes."), json!({"name": "action", "in": "query", "schema": {"type": "string", "enum": ["create", "replace", "delete"]}}),
                       json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}}),
                       q("cursor", "page.next_cursor of the previous page.")],
        "responses": list_errors}}));
    let mut one = errors(&["401", "404", "429", "503"]);
    one.insert(
        "200".into(),
        json!({"description": "One change.", "content": {"application/json": {"schema": change}}}),
    );
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}, "example": "1"});
    paths.insert("/v1/changes/{id}".into(), json!({"get": {"operationId": "get_change", "tags": ["changes"], "summary": "One change (token required)",
        "security": [{"bearer": []}], "parameters": [id.clone()], "responses": one}}));
    let mut rev = errors(&["401", "404", "409", "422", "429", "503"]);
    rev.insert("200".into(), json!({"description": "What the revert changed.", "content": {"application/json": {"schema": {"type": "object"}}}}));
    paths.insert("/v1/changes/{id}/revert".into(), json!({"post": {"operationId": "revert_change", "tags": ["changes"],
        "summary": "Undo the request that made this change (token required)", "security": [{"bearer": []}], "parameters": [id], "responses": rev}}));
    paths.insert("/metrics".into(), json!({"get": {"operationId": "metrics", "tags": ["operations"], "summary": "Prometheus metrics",
        "responses": {"200": {"description": "Prometheus text format.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}));
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
    query_paths(&mut paths);
    change_paths(&mut paths);
    query_schemas(&mut schemas);
    schemas.insert("Problem".into(), json!({
        "type": "object", "description": "RFC 9457 problem details.", "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
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
