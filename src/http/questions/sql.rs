//! The questions answered by SQL: the reference the in-memory answers are checked
//! against, and the answer while the snapshot is behind the data version.

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::grouping::{Roles, flat_matrix, matrix_rows, overlap_rows, shared_rows, strongest};
use super::params::{FormatOnly, History, Matrix, Members, Overlap, Shared, StateMemberships};
use super::{
    SHARED_FIELDS, answer, coverage, each_once, group_columns, grouped_data, no_orgs, no_states,
    rows_response, values,
};
use crate::db::questions::{self, AsOf, MEMBERSHIP_COLUMNS, OrgInfo, PARTY_COLUMNS};
use crate::db::{Val, read};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::format::Format;
use crate::input::is_slug;
use crate::model::{AGREEMENTS, STATES};

/// Resolve state codes (alpha-2 or alpha-3, any case); 404 naming every unknown one.
async fn find_states(state: &AppState, raw: &[String]) -> ApiResult<Vec<String>> {
    let mut looked_up = Vec::new();
    for r in raw {
        let found = read::find(&state.db, &STATES, r).await?;
        looked_up.push((r.clone(), found.map(|(key, _)| key.key_text())));
    }
    each_once(looked_up, no_states)
}

/// Resolve organisation slugs (any case); 404 naming every unknown one.
async fn find_orgs(state: &AppState, raw: &[String]) -> ApiResult<Vec<OrgInfo>> {
    let mut looked_up = Vec::new();
    for r in raw {
        let slug = r.to_ascii_lowercase();
        let stored = if is_slug(&slug) {
            questions::organisation(&state.db, &slug).await?
        } else {
            None
        };
        looked_up.push((r.clone(), stored));
    }
    each_once(looked_up, no_orgs)
}

async fn find_state(state: &AppState, raw: &str) -> ApiResult<String> {
    Ok(find_states(state, &[raw.to_string()]).await?.remove(0))
}

async fn find_org(state: &AppState, raw: &str) -> ApiResult<OrgInfo> {
    Ok(find_orgs(state, &[raw.to_string()]).await?.remove(0))
}

pub async fn members(state: &AppState, key: &str, p: Members) -> ApiResult<Response> {
    let org = find_org(state, key).await?;
    let rows = questions::members(&state.db, &org, p.as_of, &p.filter, p.lineage).await?;
    let mut envelope = vec![("as_of", p.as_of.to_json())];
    envelope.extend(coverage(&org));
    Ok(answer(p.format, MEMBERSHIP_COLUMNS, true, &rows, envelope))
}

pub async fn history(state: &AppState, key: &str, p: History) -> ApiResult<Response> {
    let org = find_org(state, key).await?;
    let rows = questions::history(&state.db, &org, &p.filter).await?;
    let envelope = coverage(&org).to_vec();
    Ok(answer(p.format, MEMBERSHIP_COLUMNS, false, &rows, envelope))
}

pub async fn state_memberships(
    state: &AppState,
    key: &str,
    p: StateMemberships,
) -> ApiResult<Response> {
    let code = find_state(state, key).await?;
    let mut f = p.filter;
    if let Some(orgs) = &p.organisations {
        let found = find_orgs(state, orgs).await?;
        f.organisations = Some(found.into_iter().map(|o| o.slug).collect());
    }
    let rows = questions::state_memberships(&state.db, &code, p.as_of, &f).await?;
    let envelope = vec![("as_of", p.as_of.to_json()), ("state", Value::String(code))];
    Ok(answer(p.format, MEMBERSHIP_COLUMNS, false, &rows, envelope))
}

pub async fn state_agreements(state: &AppState, key: &str, p: FormatOnly) -> ApiResult<Response> {
    let code = find_state(state, key).await?;
    let rows = questions::parties(&state.db, None, Some(&code)).await?;
    let envelope = vec![("state", Value::String(code))];
    Ok(answer(p.format, PARTY_COLUMNS, false, &rows, envelope))
}

pub async fn agreement_parties(state: &AppState, key: &str, p: FormatOnly) -> ApiResult<Response> {
    let slug = key.to_ascii_lowercase();
    if !is_slug(&slug)
        || read::get(&state.db, &AGREEMENTS, &Val::text(slug.clone()))
            .await?
            .is_none()
    {
        return Err(ApiError::NotFound(format!(
            "No agreement has the slug {key:?}."
        )));
    }
    let rows = questions::parties(&state.db, Some(&slug), None).await?;
    let envelope = vec![("agreement", Value::String(slug))];
    Ok(answer(p.format, PARTY_COLUMNS, false, &rows, envelope))
}

pub async fn shared(state: &AppState, p: Shared) -> ApiResult<Response> {
    let codes = find_states(state, &p.states).await?;
    let mut f = p.filter;
    f.states = Some(codes.clone());
    let held = questions::held_by(&state.db, p.as_of, &f).await?;
    let rows = shared_rows(held, &codes);
    let data = grouped_data(p.format, &rows, |r| &r.roles);
    let mut extra = Map::new();
    extra.insert("as_of".into(), p.as_of.to_json());
    extra.insert("states".into(), json!(codes));
    Ok(rows_response(
        p.format,
        group_columns(&SHARED_FIELDS, &codes),
        data,
        extra,
    ))
}

pub async fn overlap(state: &AppState, p: Overlap) -> ApiResult<Response> {
    let orgs = find_orgs(state, &p.organisations).await?;
    let slugs: Vec<String> = orgs.iter().map(|o| o.slug.clone()).collect();
    let mut f = p.filter;
    f.organisations = Some(slugs.clone());
    let held = questions::held_by(&state.db, p.as_of, &f).await?;
    let rows = overlap_rows(held, &slugs);
    let data = grouped_data(p.format, &rows, |r| &r.roles);
    let mut extra = Map::new();
    extra.insert("as_of".into(), p.as_of.to_json());
    extra.insert("organisations".into(), json!(orgs));
    extra.insert(
        "complete".into(),
        Value::Bool(orgs.iter().all(OrgInfo::complete)),
    );
    Ok(rows_response(
        p.format,
        group_columns(&["state", "state_name", "region"], &slugs),
        data,
        extra,
    ))
}

pub async fn matrix(state: &AppState, p: Matrix) -> ApiResult<Response> {
    let day = p.day;
    let mut f = p.filter;
    let named_states = match &p.states {
        Some(list) => Some(find_states(state, list).await?),
        None => None,
    };
    let column_orgs: Vec<OrgInfo> = match &p.organisations {
        Some(list) => find_orgs(state, list).await?,
        None => questions::organisations(&state.db, &f)
            .await?
            .into_iter()
            .filter(|o| o.existed_on(day))
            .collect(),
    };
    let slugs: Vec<String> = column_orgs.iter().map(|o| o.slug.clone()).collect();
    let mut states =
        questions::states(&state.db, named_states.as_deref(), f.region.as_deref()).await?;
    let mut roles = Roles::new();
    let mut participation = Roles::new();
    if !slugs.is_empty() {
        f.organisations = Some(slugs.clone());
        f.kinds = None;
        f.states = named_states.clone();
        let held = questions::held_by(&state.db, AsOf::Date(day), &f).await?;
        for m in &held {
            strongest(&mut roles, &m.state, &m.organisation, &m.role);
        }
        for m in held {
            let k = (m.state.clone(), m.organisation.clone());
            if m.participation != "active" && roles.get(&k) == Some(&m.role) {
                participation.insert(k, m.participation);
            }
        }
    }
    if named_states.is_none() {
        states.retain(|s| {
            slugs
                .iter()
                .any(|o| roles.contains_key(&(s.code.clone(), o.clone())))
        });
    }
    let rows = matrix_rows(states, &slugs, &roles, &participation);
    let data = match p.format {
        Format::Json => values(&rows),
        Format::Csv => rows.iter().map(|r| flat_matrix(r, &slugs)).collect(),
    };
    let mut extra = Map::new();
    extra.insert("as_of".into(), json!(day));
    extra.insert(
        "columns".into(),
        Value::Array(
            column_orgs
                .iter()
                .map(|o| json!({"slug": o.slug, "acronym": o.acronym, "name": o.name, "kind": o.kind, "membership_coverage": o.membership_coverage}))
                .collect(),
        ),
    );
    Ok(rows_response(
        p.format,
        group_columns(&["state", "state_name", "region"], &slugs),
        data,
        extra,
    ))
}
