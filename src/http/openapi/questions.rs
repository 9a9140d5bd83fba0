//! Paths and row schemas of the question endpoints: parameters from each question's
//! spec, row schemas from the queries' own column lists.

use serde_json::{Map, Value, json};

use super::{csv_content, errors, param};
use crate::db::Col;
use crate::db::questions::{Column, MEMBERSHIP_COLUMNS, PARTY_COLUMNS};

/// Path, operation id, summary, path key description, row schema, answer description.
type Question = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
);

const QUESTIONS: &[Question] = &[
    (
        "/v1/organisations/{key}/members",
        "organisation_members",
        "The states holding a membership in an organisation on a date, with role and period",
        Some("Organisation slug."),
        "MembershipRow",
        "Members; the envelope also has as_of, organisation (with membership_coverage and size_note) and complete.",
    ),
    (
        "/v1/organisations/{key}/history",
        "organisation_history",
        "Every period of every state in an organisation, in date order",
        Some("Organisation slug."),
        "MembershipRow",
        "The timeline.",
    ),
    (
        "/v1/states/{key}/memberships",
        "state_memberships",
        "The organisations a state belongs to on a date, with role and period",
        Some("ISO alpha-2 or alpha-3 code."),
        "MembershipRow",
        "Memberships.",
    ),
    (
        "/v1/states/{key}/agreements",
        "state_agreements",
        "Every agreement the state has a party row in, ended ones included",
        Some("ISO alpha-2 or alpha-3 code."),
        "PartyRow",
        "Party rows.",
    ),
    (
        "/v1/agreements/{key}/parties",
        "agreement_parties",
        "Every state with a party row in an agreement, former parties included",
        Some("Agreement slug."),
        "PartyRow",
        "Party rows.",
    ),
    (
        "/v1/shared",
        "shared",
        "The organisations in which every listed state holds a membership on the date",
        None,
        "SharedRow",
        "One row per organisation; CSV has one role column per state.",
    ),
    (
        "/v1/overlap",
        "overlap",
        "The states holding a membership in every listed organisation on the date",
        None,
        "OverlapRow",
        "One row per state; CSV has one role column per organisation.",
    ),
    (
        "/v1/matrix",
        "matrix",
        "States x organisations on one date: each cell is the role held or null",
        None,
        "MatrixRow",
        "Rows; the envelope's columns lists the organisations in cell order.",
    ),
];

fn key_param(desc: &str) -> Value {
    let example = if desc.starts_with("ISO") {
        "KZ"
    } else if desc.starts_with("Agreement") {
        "cst"
    } else {
        "csto"
    };
    json!({"name": "key", "in": "path", "required": true, "schema": {"type": "string"}, "description": desc, "example": example})
}

pub fn paths(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let specs = crate::http::questions::specs();
    for (path, id, summary, key, row, desc) in QUESTIONS {
        let spec = specs
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, s)| *s)
            .expect("every question has a spec");
        let mut params: Vec<Value> = key.map(key_param).into_iter().collect();
        params.extend(spec.iter().map(param));
        let mut responses = Map::new();
        responses.insert("200".into(), json!({
            "description": desc,
            "content": {
                "application/json": {"schema": {"type": "object", "required": ["data", "page"], "properties": {
                    "data": {"type": "array", "items": {"$ref": format!("#/components/schemas/{row}")}},
                    "page": {"$ref": "#/components/schemas/Page"}}}},
                "text/csv": csv_content()}}));
        responses.extend(errors(&[400, 404, 503]));
        paths.insert(
            path.to_string(),
            json!({"get": {"operationId": id, "tags": ["queries"], "summary": summary, "parameters": params, "responses": responses}}),
        );
    }
    row_schemas(schemas);
}

/// A row schema from the query's own column list, so documentation and answer agree.
fn row_schema(cols: &[Column]) -> (Map<String, Value>, Vec<String>) {
    let mut m = Map::new();
    let mut required = Vec::new();
    for (name, _, col, nullable) in cols {
        let t = match col {
            Col::Text => json!("string"),
            Col::Int => json!("integer"),
            Col::Bool => json!("boolean"),
            Col::Date => json!("string"),
        };
        let mut schema = json!({"type": if *nullable { json!([t, "null"]) } else { t }});
        if *col == Col::Date {
            schema["format"] = json!("date");
        }
        m.insert((*name).into(), schema);
        required.push(name.to_string());
    }
    m.insert(
        "sources".into(),
        json!({"type": "array", "items": {"type": "string"}}),
    );
    required.push("sources".into());
    (m, required)
}

fn row_schemas(schemas: &mut Map<String, Value>) {
    let s = |t: &str| json!({"type": [t, "null"]});
    let (mut m, req) = row_schema(MEMBERSHIP_COLUMNS);
    m.insert(
        "lineage".into(),
        json!({"type": "boolean", "description": "members only: the row is the predecessor's"}),
    );
    schemas.insert(
        "MembershipRow".into(),
        json!({"type": "object", "properties": m, "required": req}),
    );
    let (p, req) = row_schema(PARTY_COLUMNS);
    schemas.insert(
        "PartyRow".into(),
        json!({"type": "object", "properties": p, "required": req}),
    );
    let rows = json!({"type": "array", "items": {"$ref": "#/components/schemas/MembershipRow"}});
    let roles = json!({"type": "object", "additionalProperties": {"type": "string"}});
    schemas.insert("SharedRow".into(), json!({"type": "object",
        "required": ["organisation", "organisation_name", "acronym", "kind", "membership_coverage", "roles", "memberships"],
        "properties": {
        "organisation": {"type": "string"}, "organisation_name": {"type": "string"}, "acronym": s("string"), "kind": s("string"),
        "membership_coverage": {"type": "string"}, "roles": roles.clone(), "memberships": rows.clone()}}));
    schemas.insert("OverlapRow".into(), json!({"type": "object",
        "required": ["state", "state_name", "region", "roles", "memberships"],
        "properties": {
        "state": {"type": "string"}, "state_name": {"type": "string"}, "region": s("string"), "roles": roles, "memberships": rows}}));
    schemas.insert(
        "MatrixRow".into(),
        json!({"type": "object", "required": ["state", "state_name", "region", "cells"], "properties": {
        "state": {"type": "string"}, "state_name": {"type": "string"}, "region": s("string"),
        "cells": {"type": "array", "items": {"type": ["string", "null"]}}}}),
    );
}
