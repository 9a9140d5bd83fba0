//! Paths and schemas of the question endpoints: parameters from each question's spec,
//! row schemas from the queries' own column lists, every envelope key declared and
//! required, and a `.csv` twin of each question.

use serde_json::{Map, Value, json};

use super::paths::READ_ERRORS;
use super::{
    csv_answer, json_answer, not_modified, nullable, param, responses, schema_ref, vocab_schema,
};
use crate::db::Col;
use crate::db::questions::{Column, MEMBERSHIP_COLUMNS, PARTY_COLUMNS};
use crate::http::params::CsvTwin;
use crate::model::{COVERAGE, ORG_KINDS};

/// One question: path, operation id, summary, path key description, answer schema, row
/// schema, and the envelope's keys besides `data` and `page`.
struct Question {
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    key: Option<&'static str>,
    answer: &'static str,
    row: &'static str,
    envelope: &'static [(&'static str, Envelope)],
}

/// The envelope keys that answers carry.
#[derive(Clone, Copy)]
enum Envelope {
    AsOfOrAll,
    Day,
    Organisation,
    Organisations,
    Complete,
    State,
    States,
    Agreement,
    Columns,
    DayOrNull,
    By,
    Roles,
}

impl Envelope {
    fn schema(self) -> Value {
        match self {
            Envelope::AsOfOrAll => {
                json!({"type": "string", "description": "The day asked about (YYYY-MM-DD), or all."})
            }
            Envelope::Day => {
                json!({"type": "string", "format": "date", "description": "The day asked about."})
            }
            Envelope::Organisation => schema_ref("OrganisationSummary"),
            Envelope::Organisations => {
                json!({"type": "array", "items": schema_ref("OrganisationSummary")})
            }
            Envelope::Complete => {
                json!({"type": "boolean", "description": "false when an organisation's membership is only partly recorded: the rows are not all its members."})
            }
            Envelope::State => {
                json!({"type": "string", "description": "The state's alpha-2 code."})
            }
            Envelope::States => {
                json!({"type": "array", "items": {"type": "string"}, "description": "The states asked about, as alpha-2 codes, in the order of the role columns."})
            }
            Envelope::Agreement => {
                json!({"type": "string", "description": "The agreement's slug."})
            }
            Envelope::DayOrNull => {
                json!({"type": ["string", "null"], "format": "date", "description": "The bound asked for, or null."})
            }
            Envelope::By => {
                json!({"type": "string", "enum": ["year", "month"], "description": "One row per year or per month."})
            }
            Envelope::Roles => {
                json!({"type": ["array", "null"], "items": schema_ref("Role"), "description": "The roles counted, or null for any role."})
            }
            Envelope::Columns => {
                json!({"type": "array", "items": schema_ref("MatrixColumn"), "description": "The organisations, in the order of each row's cells."})
            }
        }
    }
}

use Envelope as E;

const QUESTIONS: &[Question] = &[
    Question {
        path: "/v1/organisations/{key}/members",
        id: "organisation_members",
        summary: "The states holding a membership in an organisation on a date, with role and period",
        key: Some("Organisation slug."),
        answer: "MembersAnswer",
        row: "MembershipRow",
        envelope: &[
            ("as_of", E::AsOfOrAll),
            ("organisation", E::Organisation),
            ("complete", E::Complete),
        ],
    },
    Question {
        path: "/v1/organisations/{key}/history",
        id: "organisation_history",
        summary: "Every period of every state in an organisation, in date order",
        key: Some("Organisation slug."),
        answer: "HistoryAnswer",
        row: "MembershipRow",
        envelope: &[("organisation", E::Organisation), ("complete", E::Complete)],
    },
    Question {
        path: "/v1/states/{key}/memberships",
        id: "state_memberships",
        summary: "The organisations a state belongs to on a date, with role and period",
        key: Some("ISO alpha-2 or alpha-3 code."),
        answer: "StateMembershipsAnswer",
        row: "MembershipRow",
        envelope: &[("as_of", E::AsOfOrAll), ("state", E::State)],
    },
    Question {
        path: "/v1/states/{key}/agreements",
        id: "state_agreements",
        summary: "Every agreement the state has a party row in, ended ones included",
        key: Some("ISO alpha-2 or alpha-3 code."),
        answer: "StateAgreementsAnswer",
        row: "PartyRow",
        envelope: &[("state", E::State)],
    },
    Question {
        path: "/v1/agreements/{key}/parties",
        id: "agreement_parties",
        summary: "Every state with a party row in an agreement, former parties included",
        key: Some("Agreement slug."),
        answer: "AgreementPartiesAnswer",
        row: "PartyRow",
        envelope: &[("agreement", E::Agreement)],
    },
    Question {
        path: "/v1/shared",
        id: "shared",
        summary: "The organisations in which every listed state holds a membership on the date",
        key: None,
        answer: "SharedAnswer",
        row: "SharedRow",
        envelope: &[("as_of", E::AsOfOrAll), ("states", E::States)],
    },
    Question {
        path: "/v1/overlap",
        id: "overlap",
        summary: "The states holding a membership in every listed organisation on the date",
        key: None,
        answer: "OverlapAnswer",
        row: "OverlapRow",
        envelope: &[
            ("as_of", E::AsOfOrAll),
            ("organisations", E::Organisations),
            ("complete", E::Complete),
        ],
    },
    Question {
        path: "/v1/matrix",
        id: "matrix",
        summary: "States x organisations on one date: each cell is the role held or null",
        key: None,
        answer: "MatrixAnswer",
        row: "MatrixRow",
        envelope: &[("as_of", E::Day), ("columns", E::Columns)],
    },
    Question {
        path: "/v1/events",
        id: "events",
        summary: "Joins, exits, role changes, successions and participation changes, in date order, with their sources",
        key: None,
        answer: "EventsAnswer",
        row: "EventRow",
        envelope: &[("from", E::DayOrNull), ("to", E::DayOrNull)],
    },
    Question {
        path: "/v1/organisations/{key}/counts",
        id: "organisation_counts",
        summary: "The number of states holding a membership in an organisation per year or month, with the days it changed",
        key: Some("Organisation slug."),
        answer: "CountsAnswer",
        row: "CountRow",
        envelope: &[
            ("organisation", E::Organisation),
            ("complete", E::Complete),
            ("by", E::By),
            ("role", E::Roles),
        ],
    },
    Question {
        path: "/v1/diff",
        id: "diff",
        summary: "The matrix cells that differ between two days: who joined, left or changed role",
        key: None,
        answer: "DiffAnswer",
        row: "DiffRow",
        envelope: &[("from", E::Day), ("to", E::Day)],
    },
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
    let mut specs = crate::http::questions::specs();
    specs.extend(crate::http::timeline::specs());
    for q in QUESTIONS {
        let spec = specs
            .iter()
            .find(|(p, _)| *p == q.path)
            .map(|(_, s)| *s)
            .expect("every question has a spec");
        let key: Vec<Value> = q.key.map(key_param).into_iter().collect();
        let params: Vec<Value> = key.iter().cloned().chain(spec.iter().map(param)).collect();
        paths.insert(q.path.into(), json!({"get": {"operationId": q.id, "tags": ["queries"], "summary": q.summary,
            "parameters": params,
            "responses": responses(vec![("200", json_answer(q.summary, schema_ref(q.answer))), ("304", not_modified())], READ_ERRORS)}}));
        let twin: Vec<Value> = key
            .into_iter()
            .chain(CsvTwin::spec(spec, true).iter().map(param))
            .collect();
        paths.insert(CsvTwin::path(q.path), json!({"get": {"operationId": format!("{}_csv", q.id), "tags": ["queries"],
            "summary": format!("{} (CSV)", q.summary), "parameters": twin,
            "responses": responses(vec![("200", csv_answer("The rows as CSV; grouped answers have one role column per listed state or organisation.")), ("304", not_modified())], READ_ERRORS)}}));
        let mut props = Map::new();
        props.insert(
            "data".into(),
            json!({"type": "array", "items": schema_ref(q.row)}),
        );
        props.insert("page".into(), schema_ref("Page"));
        let mut required = vec!["data".to_string(), "page".to_string()];
        for (name, e) in q.envelope {
            props.insert((*name).into(), e.schema());
            required.push(name.to_string());
        }
        schemas.insert(
            q.answer.into(),
            json!({"type": "object", "properties": props, "required": required}),
        );
    }
    row_schemas(schemas);
}

/// A row schema from the query's own column list, so documentation and answer agree.
fn row_schema(cols: &[Column]) -> (Map<String, Value>, Vec<String>) {
    let mut m = Map::new();
    let mut required = Vec::new();
    for c in cols {
        let schema = match (c.vocab, c.col) {
            (Some(set), _) => vocab_schema(set),
            (None, Col::Text) => json!({"type": "string"}),
            (None, Col::Int) => json!({"type": "integer"}),
            (None, Col::Bool) => json!({"type": "boolean"}),
            (None, Col::Date) => json!({"type": "string", "format": "date"}),
        };
        m.insert(
            c.name.into(),
            if c.nullable { nullable(schema) } else { schema },
        );
        required.push(c.name.to_string());
    }
    m.insert(
        "sources".into(),
        json!({"type": "array", "items": {"type": "string"}}),
    );
    required.push("sources".into());
    (m, required)
}

fn row_schemas(schemas: &mut Map<String, Value>) {
    let text_or_null = || json!({"type": ["string", "null"]});
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
    let rows = json!({"type": "array", "items": schema_ref("MembershipRow")});
    let roles = json!({"type": "object", "additionalProperties": schema_ref("Role"),
        "description": "The role each listed state (or organisation) holds; the strongest where several."});
    let kind = nullable(vocab_schema(ORG_KINDS));
    let region = nullable(vocab_schema(crate::model::REGIONS));
    schemas.insert("SharedRow".into(), json!({"type": "object",
        "required": ["organisation", "organisation_name", "acronym", "kind", "membership_coverage", "roles", "memberships"],
        "properties": {
        "organisation": {"type": "string"}, "organisation_name": {"type": "string"}, "acronym": text_or_null(), "kind": kind,
        "membership_coverage": vocab_schema(COVERAGE), "roles": roles.clone(), "memberships": rows.clone()}}));
    schemas.insert("OverlapRow".into(), json!({"type": "object",
        "required": ["state", "state_name", "region", "roles", "memberships"],
        "properties": {
        "state": {"type": "string"}, "state_name": {"type": "string"}, "region": region.clone(), "roles": roles, "memberships": rows}}));
    schemas.insert("MatrixRow".into(), json!({"type": "object", "required": ["state", "state_name", "region", "cells", "participation"], "properties": {
        "state": {"type": "string"}, "state_name": {"type": "string"}, "region": region,
        "cells": {"type": "array", "items": nullable(schema_ref("Role")), "description": "The role held in each column's organisation, or null."},
        "participation": {"type": "array", "items": nullable(schema_ref("Participation")),
            "description": "Beside each cell: the participation on that day where it was not active (frozen, suspended, inactive), else null."}}}));
    timeline_rows(schemas);
    schemas.insert("MatrixColumn".into(), json!({"type": "object", "required": ["slug", "acronym", "name", "kind", "membership_coverage"], "properties": {
        "slug": {"type": "string"}, "acronym": text_or_null(), "name": {"type": "string"}, "kind": nullable(vocab_schema(ORG_KINDS)),
        "membership_coverage": vocab_schema(COVERAGE)}}));
    schemas.insert("OrganisationSummary".into(), json!({"type": "object",
        "required": ["slug", "name", "acronym", "kind", "founded_on", "ended_on", "predecessor", "successor", "membership_coverage", "coverage_note", "size_note"],
        "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"}, "acronym": text_or_null(), "kind": nullable(vocab_schema(ORG_KINDS)),
        "founded_on": {"type": ["string", "null"], "format": "date"}, "ended_on": {"type": ["string", "null"], "format": "date"},
        "predecessor": text_or_null(), "successor": text_or_null(), "membership_coverage": vocab_schema(COVERAGE),
        "coverage_note": text_or_null(), "size_note": text_or_null()}}));
}

/// The rows of the time questions.
fn timeline_rows(schemas: &mut Map<String, Value>) {
    let text = || json!({"type": "string"});
    let text_or_null = || json!({"type": ["string", "null"]});
    let date = || json!({"type": "string", "format": "date"});
    let dates = || json!({"type": "array", "items": {"type": "string", "format": "date"}});
    let codes = || json!({"type": "array", "items": {"type": "string"}});
    let region = nullable(vocab_schema(crate::model::REGIONS));
    let role = || nullable(schema_ref("Role"));
    schemas.insert("EventRow".into(), json!({"type": "object", "required": crate::http::timeline::EVENT_COLUMNS, "properties": {
        "date": date(), "date_precision": schema_ref("Precision"), "kind": schema_ref("EventKind"),
        "state": text(), "state_name": text(), "region": region.clone(),
        "organisation": text(), "organisation_name": text(),
        "role": role(), "previous_organisation": text_or_null(), "previous_role": role(),
        "participation": nullable(schema_ref("Participation")),
        "end_reason": nullable(schema_ref("EndReason")), "end_category": nullable(schema_ref("EndCategory")),
        "membership": {"type": "integer", "description": "The period the event begins (or, for an exit, ends)."},
        "previous_membership": {"type": ["integer", "null"], "description": "For a role change or succession: the period that ended."},
        "sources": codes(), "confidence": schema_ref("Confidence")}}));
    schemas.insert("CountRow".into(), json!({"type": "object", "required": crate::http::timeline::COUNT_COLUMNS, "properties": {
        "period": {"type": "string", "description": "YYYY or YYYY-MM"}, "first_day": date(), "last_day": date(),
        "count_at_start": {"type": "integer", "description": "States holding a counted role on the first day."},
        "count_at_end": {"type": "integer", "description": "States holding a counted role on the last day."},
        "joined": codes(), "left": codes(), "changed_on": dates()}}));
    schemas.insert("DiffRow".into(), json!({"type": "object", "required": crate::http::timeline::DIFF_COLUMNS, "properties": {
        "state": text(), "state_name": text(), "region": region,
        "organisation": text(), "organisation_name": text(),
        "change": {"type": "string", "enum": ["joined", "left", "role_changed", "participation_changed"]},
        "from_role": role(), "to_role": role(),
        "from_participation": nullable(schema_ref("Participation")), "to_participation": nullable(schema_ref("Participation"))}}));
}
