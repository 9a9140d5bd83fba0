//! The question endpoints: members on a date, timelines, a state's pacts and agreements,
//! an agreement's parties, shared pacts, overlap and the matrix. Each is answered from
//! the in-memory facts when they are at the data version this process knows
//! ([`memory`]), else by SQL ([`sql`]); the two give the same bytes.

mod grouping;
pub(crate) mod memory;
pub mod params;
mod sql;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use serde::Serialize;
use serde_json::{Map, Value, json};

use self::params::{
    FormatOnly, History, Matrix, Members, Overlap, Q, QuestionParams, Shared, StateMemberships,
};
use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::PathKey;
use super::format::{self, Format};
use super::params::CsvTwin;
use crate::db::questions::{self, OrgInfo};
use crate::facts::Snapshot;

/// The question routes, each with its `.csv` twin.
pub fn routes() -> Router<AppState> {
    with_csv_twins([
        ("/v1/organisations/{key}/members", get(members)),
        ("/v1/organisations/{key}/history", get(history)),
        ("/v1/states/{key}/memberships", get(state_memberships)),
        ("/v1/states/{key}/agreements", get(state_agreements)),
        ("/v1/agreements/{key}/parties", get(agreement_parties)),
        ("/v1/shared", get(shared)),
        ("/v1/overlap", get(overlap)),
        ("/v1/matrix", get(matrix)),
    ])
}

/// Each route, and its `.csv` twin answering CSV.
pub(crate) fn with_csv_twins<'a>(
    routes: impl IntoIterator<Item = (&'a str, MethodRouter<AppState>)>,
) -> Router<AppState> {
    let mut router = Router::new();
    for (path, handler) in routes {
        router = router.route(path, handler.clone()).route(
            &CsvTwin::path(path),
            handler.layer(axum::Extension(CsvTwin)),
        );
    }
    router
}

/// Each question path and the parameters it takes.
pub fn specs() -> Vec<(&'static str, &'static [super::params::ParamSpec])> {
    vec![
        ("/v1/organisations/{key}/members", Members::SPEC),
        ("/v1/organisations/{key}/history", History::SPEC),
        ("/v1/states/{key}/memberships", StateMemberships::SPEC),
        ("/v1/states/{key}/agreements", FormatOnly::SPEC),
        ("/v1/agreements/{key}/parties", FormatOnly::SPEC),
        ("/v1/shared", Shared::SPEC),
        ("/v1/overlap", Overlap::SPEC),
        ("/v1/matrix", Matrix::SPEC),
    ]
}

/// The snapshot to answer from, if it is at the data version this process knows.
async fn snapshot(state: &AppState) -> ApiResult<Option<Arc<Snapshot>>> {
    let version = state.version.current(&state.db).await?;
    Ok(state.facts.at(version, &state.db))
}

async fn members(
    State(state): State<AppState>,
    PathKey(key): PathKey,
    Q(p): Q<Members>,
) -> ApiResult<Response> {
    match snapshot(&state).await? {
        Some(s) => memory::members(&s, &key, &p),
        None => sql::members(&state, &key, p).await,
    }
}

async fn history(
    State(state): State<AppState>,
    PathKey(key): PathKey,
    Q(p): Q<History>,
) -> ApiResult<Response> {
    match snapshot(&state).await? {
        Some(s) => memory::history(&s, &key, &p),
        None => sql::history(&state, &key, p).await,
    }
}

async fn state_memberships(
    State(state): State<AppState>,
    PathKey(key): PathKey,
    Q(p): Q<StateMemberships>,
) -> ApiResult<Response> {
    match snapshot(&state).await? {
        Some(s) => memory::state_memberships(&s, &key, &p),
        None => sql::state_memberships(&state, &key, p).await,
    }
}

async fn state_agreements(
    State(state): State<AppState>,
    PathKey(key): PathKey,
    Q(p): Q<FormatOnly>,
) -> ApiResult<Response> {
    match snapshot(&state).await? {
        Some(s) => memory::state_agreements(&s, &key, &p),
        None => sql::state_agreements(&state, &key, p).await,
    }
}

async fn agreement_parties(
    State(state): State<AppState>,
    PathKey(key): PathKey,
    Q(p): Q<FormatOnly>,
) -> ApiResult<Response> {
    match snapshot(&state).await? {
        Some(s) => memory::agreement_parties(&s, &key, &p),
        None => sql::agreement_parties(&state, &key, p).await,
    }
}

async fn shared(State(state): State<AppState>, Q(p): Q<Shared>) -> ApiResult<Response> {
    match snapshot(&state).await? {
        Some(s) => memory::shared(&s, &p),
        None => sql::shared(&state, p).await,
    }
}

async fn overlap(State(state): State<AppState>, Q(p): Q<Overlap>) -> ApiResult<Response> {
    match snapshot(&state).await? {
        Some(s) => memory::overlap(&s, &p),
        None => sql::overlap(&state, p).await,
    }
}

async fn matrix(State(state): State<AppState>, Q(p): Q<Matrix>) -> ApiResult<Response> {
    match snapshot(&state).await? {
        Some(s) => memory::matrix(&s, &p),
        None => sql::matrix(&state, p).await,
    }
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keys looked up one by one (`None`: not found), each kept once in the order given, or
/// one 404 (made by `missing`) naming every key that was not found.
fn each_once<T: PartialEq>(
    looked_up: impl IntoIterator<Item = (String, Option<T>)>,
    missing: fn(&[String]) -> ApiError,
) -> ApiResult<Vec<T>> {
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for (raw, item) in looked_up {
        match item {
            Some(x) if !found.contains(&x) => found.push(x),
            Some(_) => {}
            None => unknown.push(raw),
        }
    }
    if unknown.is_empty() {
        Ok(found)
    } else {
        Err(missing(&unknown))
    }
}

/// The fields of a shared answer's row before its roles.
const SHARED_FIELDS: [&str; 5] = [
    "organisation",
    "organisation_name",
    "acronym",
    "kind",
    "membership_coverage",
];

/// A grouped answer's rows as served: whole in JSON; in CSV without their nested parts,
/// with one column per role.
fn grouped_data<T: Serialize>(
    format: Format,
    rows: &[T],
    roles: fn(&T) -> &Map<String, Value>,
) -> Vec<Value> {
    match format {
        Format::Json => values(rows),
        Format::Csv => rows
            .iter()
            .map(|r| grouping::flat(r, &["roles", "memberships"], roles(r).clone()))
            .collect(),
    }
}

/// 404 naming every state code that was not found.
fn no_states(unknown: &[String]) -> ApiError {
    ApiError::NotFound(format!("No state has the code {}.", quote_list(unknown)))
}

/// 404 naming every organisation slug that was not found.
fn no_orgs(unknown: &[String]) -> ApiError {
    ApiError::NotFound(format!(
        "No organisation has the slug {}.",
        quote_list(unknown)
    ))
}

pub(super) fn columns(cols: &[questions::Column], lineage: bool) -> Vec<String> {
    let mut c: Vec<String> = cols.iter().map(|c| c.name.to_string()).collect();
    c.push("sources".into());
    if lineage {
        c.push("lineage".into());
    }
    c
}

fn values<T: Serialize>(rows: &[T]) -> Vec<Value> {
    rows.iter()
        .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
        .collect()
}

/// An answer whose rows are all there (not paginated).
fn rows_response(
    format: Format,
    columns: Vec<String>,
    rows: Vec<Value>,
    extra: Map<String, Value>,
) -> Response {
    let n = rows.len();
    format::respond(format, columns, rows, format::whole_page(n), extra)
}

/// A membership or party answer: its rows and the envelope's keys.
fn answer<T: Serialize>(
    format: Format,
    cols: &[questions::Column],
    lineage: bool,
    rows: &[T],
    envelope: Vec<(&str, Value)>,
) -> Response {
    let extra = envelope
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    rows_response(format, columns(cols, lineage), values(rows), extra)
}

/// The organisation, and whether its member list is complete (so no client takes a
/// partial one for all).
fn coverage(org: &OrgInfo) -> [(&'static str, Value); 2] {
    [
        ("organisation", json!(org)),
        ("complete", Value::Bool(org.complete())),
    ]
}

/// Columns of a grouped answer: the group's own fields, then one per listed key.
fn group_columns(fields: &[&str], keys: &[String]) -> Vec<String> {
    let mut c: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
    c.extend(keys.iter().cloned());
    c
}
