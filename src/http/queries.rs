//! The question endpoints: members on a date, timelines, a state's pacts and agreements,
//! an agreement's parties, shared pacts, overlap and the matrix.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::AppState;
use super::output::{self, Format};
use super::resources::query_pairs;
use crate::db::Val;
use crate::db::crud;
use crate::db::queries::{self, AsOf, Filter, OrgInfo, role_rank};
use crate::error::{ApiError, ApiResult};
use crate::model::{AGREEMENTS, ORG_KINDS, REGIONS, ROLES, STATES};
use crate::validate::parse_date;

/// Most states or organisations one question may list.
pub const MAX_LIST: usize = 20;
/// Most states or organisations the matrix may list.
pub const MAX_MATRIX_LIST: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/organisations/{key}/members", get(members))
        .route("/v1/organisations/{key}/history", get(history))
        .route("/v1/states/{key}/memberships", get(state_memberships))
        .route("/v1/states/{key}/agreements", get(state_agreements))
        .route("/v1/agreements/{key}/parties", get(agreement_parties))
        .route("/v1/shared", get(shared))
        .route("/v1/overlap", get(overlap))
        .route("/v1/matrix", get(matrix))
}

/// The query string of a question, checked against the parameters it takes.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<String>, allowed: &[&str]) -> ApiResult<Params> {
        let pairs = query_pairs(raw.as_deref())?;
        for (k, _) in &pairs {
            if !allowed.contains(&k.as_str()) {
                return Err(ApiError::BadRequest(format!(
                    "Unknown query parameter {k:?}; this question takes: {}.",
                    allowed.join(", ")
                )));
            }
        }
        Ok(Params(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn format(&self, headers: &HeaderMap) -> ApiResult<Format> {
        output::negotiate(headers, self.get("format"))
    }

    /// `as_of`: a date `YYYY-MM-DD` or `all`; today (UTC) when absent.
    fn as_of(&self) -> ApiResult<AsOf> {
        match self.get("as_of") {
            None => Ok(AsOf::Date(Utc::now().date_naive())),
            Some("all") => Ok(AsOf::All),
            Some(v) => parse_date(v).map(AsOf::Date).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "as_of must be a date YYYY-MM-DD or all (got {v:?})."
                ))
            }),
        }
    }

    /// A comma list, each item checked against `allowed` when given; at most `max` items.
    fn list(
        &self,
        name: &str,
        allowed: Option<&[&str]>,
        max: usize,
    ) -> ApiResult<Option<Vec<String>>> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        let mut out: Vec<String> = Vec::new();
        for item in raw.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(ApiError::BadRequest(format!(
                    "{name} has an empty item; give a comma list such as {name}=a,b."
                )));
            }
            if let Some(set) = allowed
                && !set.contains(&item)
            {
                return Err(ApiError::BadRequest(format!(
                    "{name}: {item:?} is not one of {}.",
                    set.join(", ")
                )));
            }
            if !out.iter().any(|o| o == item) {
                out.push(item.to_string());
            }
        }
        if out.len() > max {
            return Err(ApiError::BadRequest(format!(
                "{name} lists {} items; at most {max} are allowed.",
                out.len()
            )));
        }
        Ok(Some(out))
    }

    fn region(&self) -> ApiResult<Option<String>> {
        Ok(self
            .list("region", Some(REGIONS), 1)?
            .map(|mut v| v.remove(0)))
    }

    fn flag(&self, name: &str) -> ApiResult<bool> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(ApiError::BadRequest(format!(
                "{name} must be true or false (got {v:?})."
            ))),
        }
    }

    fn filter(&self) -> ApiResult<Filter> {
        Ok(Filter {
            roles: self.list("role", Some(ROLES), ROLES.len())?,
            kinds: self.list("kind", Some(ORG_KINDS), ORG_KINDS.len())?,
            region: self.region()?,
            states: None,
            organisations: None,
        })
    }
}

async fn find_org(state: &AppState, raw: &str) -> ApiResult<OrgInfo> {
    Ok(find_orgs(state, &[raw.to_string()]).await?.remove(0))
}

/// Resolve state codes (alpha-2 or alpha-3, any case); 404 naming every unknown one.
async fn find_states(state: &AppState, raw: &[String]) -> ApiResult<Vec<String>> {
    let mut codes = Vec::new();
    let mut unknown = Vec::new();
    for r in raw {
        let key = crud::resolve_key(&state.db, &STATES, r).await?;
        match key {
            Some(k) if crud::get(&state.db, &STATES, &k).await?.is_some() => {
                let code = k.as_text().unwrap_or_default().to_string();
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
            _ => unknown.push(r.clone()),
        }
    }
    if unknown.is_empty() {
        Ok(codes)
    } else {
        Err(ApiError::NotFound(format!(
            "No state has the code {}.",
            quote_list(&unknown)
        )))
    }
}

async fn find_orgs(state: &AppState, raw: &[String]) -> ApiResult<Vec<OrgInfo>> {
    let mut found: Vec<OrgInfo> = Vec::new();
    let mut unknown = Vec::new();
    for r in raw {
        let slug = r.to_ascii_lowercase();
        let stored = if crate::validate::is_slug(&slug) {
            queries::organisation(&state.db, &slug).await?
        } else {
            None
        };
        match stored {
            Some(o) if !found.iter().any(|f| f.slug == o.slug) => found.push(o),
            Some(_) => {}
            None => unknown.push(r.clone()),
        }
    }
    if unknown.is_empty() {
        Ok(found)
    } else {
        Err(ApiError::NotFound(format!(
            "No organisation has the slug {}.",
            quote_list(&unknown)
        )))
    }
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn membership_columns(lineage: bool) -> Vec<String> {
    let mut c: Vec<String> = queries::membership_row_columns()
        .map(|(n, _)| n.to_string())
        .collect();
    c.push("sources".into());
    if lineage {
        c.push("lineage".into());
    }
    c
}

fn rows_response(
    format: Format,
    columns: Vec<String>,
    rows: Vec<Value>,
    extra: Map<String, Value>,
) -> Response {
    let n = rows.len();
    output::respond(format, columns, rows, output::whole_page(n), extra)
}

/// Say whether a member list is complete, so no client takes a partial one for all.
fn coverage(org: &OrgInfo, extra: &mut Map<String, Value>) {
    extra.insert("organisation".into(), org.to_json());
    extra.insert(
        "complete".into(),
        Value::Bool(org.membership_coverage == "complete"),
    );
}

async fn members(
    State(state): State<AppState>,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let p = Params::parse(raw, &["as_of", "role", "region", "lineage", "format"])?;
    let format = p.format(&headers)?;
    let org = find_org(&state, &key).await?;
    let (as_of, f, lineage) = (p.as_of()?, p.filter()?, p.flag("lineage")?);
    let rows = queries::members(&state.db, &org, as_of, &f, lineage).await?;
    let mut extra = Map::new();
    extra.insert("as_of".into(), as_of.to_json());
    coverage(&org, &mut extra);
    Ok(rows_response(format, membership_columns(true), rows, extra))
}

async fn history(
    State(state): State<AppState>,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let p = Params::parse(raw, &["role", "region", "format"])?;
    let format = p.format(&headers)?;
    let org = find_org(&state, &key).await?;
    let rows = queries::history(&state.db, &org, &p.filter()?).await?;
    let mut extra = Map::new();
    coverage(&org, &mut extra);
    Ok(rows_response(
        format,
        membership_columns(false),
        rows,
        extra,
    ))
}

async fn state_memberships(
    State(state): State<AppState>,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let p = Params::parse(raw, &["as_of", "role", "organisation", "kind", "format"])?;
    let format = p.format(&headers)?;
    let code = find_states(&state, std::slice::from_ref(&key))
        .await?
        .remove(0);
    let as_of = p.as_of()?;
    let mut f = p.filter()?;
    if let Some(orgs) = p.list("organisation", None, MAX_LIST)? {
        f.organisations = Some(
            find_orgs(&state, &orgs)
                .await?
                .into_iter()
                .map(|o| o.slug)
                .collect(),
        );
    }
    let rows = queries::state_memberships(&state.db, &code, as_of, &f).await?;
    let mut extra = Map::new();
    extra.insert("as_of".into(), as_of.to_json());
    extra.insert("state".into(), Value::String(code));
    Ok(rows_response(
        format,
        membership_columns(false),
        rows,
        extra,
    ))
}

fn party_columns() -> Vec<String> {
    let mut c: Vec<String> = queries::party_row_columns()
        .map(|(n, _)| n.to_string())
        .collect();
    c.push("sources".into());
    c
}

async fn state_agreements(
    State(state): State<AppState>,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let p = Params::parse(raw, &["format"])?;
    let format = p.format(&headers)?;
    let code = find_states(&state, std::slice::from_ref(&key))
        .await?
        .remove(0);
    let rows = queries::parties(&state.db, None, Some(&code)).await?;
    let mut extra = Map::new();
    extra.insert("state".into(), Value::String(code));
    Ok(rows_response(format, party_columns(), rows, extra))
}

async fn agreement_parties(
    State(state): State<AppState>,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let p = Params::parse(raw, &["format"])?;
    let format = p.format(&headers)?;
    let slug = key.to_ascii_lowercase();
    if !crate::validate::is_slug(&slug)
        || crud::get(&state.db, &AGREEMENTS, &Val::text(slug.clone()))
            .await?
            .is_none()
    {
        return Err(ApiError::NotFound(format!(
            "No agreement has the slug {key:?}."
        )));
    }
    let rows = queries::parties(&state.db, Some(&slug), None).await?;
    let mut extra = Map::new();
    extra.insert("agreement".into(), Value::String(slug));
    Ok(rows_response(format, party_columns(), rows, extra))
}

/// Pick one role per (row key, column key): the strongest when several are held.
fn strongest(roles: &mut BTreeMap<(String, String), String>, row: &str, col: &str, role: &str) {
    let k = (row.to_string(), col.to_string());
    match roles.get(&k) {
        Some(have) if role_rank(have) <= role_rank(role) => {}
        _ => {
            roles.insert(k, role.to_string());
        }
    }
}

fn required_list(p: &Params, name: &str, example: &str) -> ApiResult<Vec<String>> {
    p.list(name, None, MAX_LIST)?.ok_or_else(|| {
        ApiError::BadRequest(format!(
            "{name} is required: a comma list such as {name}={example}."
        ))
    })
}

async fn shared(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let p = Params::parse(raw, &["states", "as_of", "role", "kind", "format"])?;
    let format = p.format(&headers)?;
    let codes = find_states(&state, &required_list(&p, "states", "KZ,KG")?).await?;
    let as_of = p.as_of()?;
    let mut f = p.filter()?;
    f.states = Some(codes.clone());
    let held = queries::held_by(&state.db, as_of, &f).await?;
    let (rows, csv_rows) = intersect(
        held,
        "organisation",
        "state",
        &codes,
        &[
            "organisation_name",
            "acronym",
            "kind",
            "membership_coverage",
        ],
    );
    let mut columns: Vec<String> = [
        "organisation",
        "organisation_name",
        "acronym",
        "kind",
        "membership_coverage",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    columns.extend(codes.iter().cloned());
    let mut extra = Map::new();
    extra.insert("as_of".into(), as_of.to_json());
    extra.insert("states".into(), json!(codes));
    Ok(split_response(format, rows, columns, csv_rows, extra))
}

/// Group memberships by `group` (an organisation, or a state) and keep the groups in which
/// every one of `required` (states, or organisations, by `member`) holds a role. Each row
/// carries the group's `fields`, the role per required member (the strongest when several)
/// and the memberships; its CSV twin has one role column per required member instead.
fn intersect(
    held: Vec<Value>,
    group: &str,
    member: &str,
    required: &[String],
    fields: &[&str],
) -> (Vec<Value>, Vec<Value>) {
    let mut roles = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for m in held {
        let (g, who, role) = (str_of(&m, group), str_of(&m, member), str_of(&m, "role"));
        strongest(&mut roles, &g, &who, &role);
        groups.entry(g).or_default().push(m);
    }
    let (mut rows, mut csv_rows) = (Vec::new(), Vec::new());
    for (g, ms) in groups {
        if !required
            .iter()
            .all(|r| roles.contains_key(&(g.clone(), r.clone())))
        {
            continue;
        }
        let mut row = Map::new();
        row.insert(group.into(), Value::String(g.clone()));
        for f in fields {
            row.insert((*f).into(), ms[0][*f].clone());
        }
        let role_map: Map<String, Value> = required
            .iter()
            .map(|r| (r.clone(), json!(roles[&(g.clone(), r.clone())])))
            .collect();
        let mut flat = row.clone();
        flat.extend(role_map.clone());
        row.insert("roles".into(), Value::Object(role_map));
        row.insert("memberships".into(), Value::Array(ms));
        rows.push(Value::Object(row));
        csv_rows.push(Value::Object(flat));
    }
    (rows, csv_rows)
}

/// JSON rows nest; their CSV rows are flattened into one column per state or organisation.
fn split_response(
    format: Format,
    rows: Vec<Value>,
    columns: Vec<String>,
    csv_rows: Vec<Value>,
    extra: Map<String, Value>,
) -> Response {
    match format {
        Format::Csv => rows_response(format, columns, csv_rows, extra),
        Format::Json => rows_response(format, columns, rows, extra),
    }
}

fn str_of(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

async fn overlap(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let p = Params::parse(raw, &["organisations", "as_of", "role", "format"])?;
    let format = p.format(&headers)?;
    let orgs = find_orgs(&state, &required_list(&p, "organisations", "csto,sco")?).await?;
    let slugs: Vec<String> = orgs.iter().map(|o| o.slug.clone()).collect();
    let as_of = p.as_of()?;
    let mut f = p.filter()?;
    f.organisations = Some(slugs.clone());
    let held = queries::held_by(&state.db, as_of, &f).await?;
    let (rows, csv_rows) = intersect(
        held,
        "state",
        "organisation",
        &slugs,
        &["state_name", "region"],
    );
    let mut columns: Vec<String> = ["state", "state_name", "region"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    columns.extend(slugs.iter().cloned());
    let mut extra = Map::new();
    extra.insert("as_of".into(), as_of.to_json());
    extra.insert(
        "organisations".into(),
        Value::Array(orgs.iter().map(OrgInfo::to_json).collect()),
    );
    extra.insert(
        "complete".into(),
        Value::Bool(orgs.iter().all(|o| o.membership_coverage == "complete")),
    );
    Ok(split_response(format, rows, columns, csv_rows, extra))
}

async fn matrix(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let p = Params::parse(
        raw,
        &[
            "as_of",
            "states",
            "organisations",
            "region",
            "kind",
            "role",
            "format",
        ],
    )?;
    let format = p.format(&headers)?;
    let AsOf::Date(day) = p.as_of()? else {
        return Err(ApiError::BadRequest(
            "as_of: the matrix shows one day; give a date YYYY-MM-DD (or leave it out for today)."
                .into(),
        ));
    };
    let mut f = p.filter()?;
    let named_states = match p.list("states", None, MAX_MATRIX_LIST)? {
        Some(list) => Some(find_states(&state, &list).await?),
        None => None,
    };
    let columns_orgs: Vec<OrgInfo> = match p.list("organisations", None, MAX_MATRIX_LIST)? {
        Some(list) => find_orgs(&state, &list).await?,
        None => queries::organisations(&state.db, &f)
            .await?
            .into_iter()
            .filter(|o| o.founded_on.is_none_or(|d| d <= day) && o.ended_on.is_none_or(|d| day < d))
            .collect(),
    };
    let slugs: Vec<String> = columns_orgs.iter().map(|o| o.slug.clone()).collect();
    let mut rows_states =
        queries::states(&state.db, named_states.as_deref(), f.region.as_deref()).await?;
    let mut roles = BTreeMap::new();
    if !slugs.is_empty() {
        f.organisations = Some(slugs.clone());
        f.kinds = None;
        f.states = named_states.clone();
        for m in queries::held_by(&state.db, AsOf::Date(day), &f).await? {
            strongest(
                &mut roles,
                &str_of(&m, "state"),
                &str_of(&m, "organisation"),
                &str_of(&m, "role"),
            );
        }
    }
    if named_states.is_none() {
        rows_states.retain(|(code, _, _)| {
            slugs
                .iter()
                .any(|s| roles.contains_key(&(code.clone(), s.clone())))
        });
    }
    let (mut rows, mut csv_rows) = (Vec::new(), Vec::new());
    for (code, name, region) in rows_states {
        let cells: Vec<Value> = slugs
            .iter()
            .map(|s| {
                roles
                    .get(&(code.clone(), s.clone()))
                    .map_or(Value::Null, |r| json!(r))
            })
            .collect();
        let mut flat = json!({"state": code, "state_name": name, "region": region});
        for (s, c) in slugs.iter().zip(&cells) {
            flat[s] = c.clone();
        }
        rows.push(json!({"state": code, "state_name": name, "region": region, "cells": cells}));
        csv_rows.push(flat);
    }
    let mut columns: Vec<String> = ["state", "state_name", "region"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    columns.extend(slugs.iter().cloned());
    let mut extra = Map::new();
    extra.insert("as_of".into(), json!(day));
    extra.insert(
        "columns".into(),
        Value::Array(
            columns_orgs
                .iter()
                .map(|o| json!({"slug": o.slug, "acronym": o.acronym, "name": o.name, "kind": o.kind, "membership_coverage": o.membership_coverage}))
                .collect(),
        ),
    );
    Ok(split_response(format, rows, columns, csv_rows, extra))
}
