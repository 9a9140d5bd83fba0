//! The questions answered from the in-memory snapshot: no SQL, and each answer written
//! straight into its body (rows pre-written in part, see `facts::emit`). Every answer is
//! byte for byte the one the SQL path gives (`tests/api/differential.rs`).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

mod grouped;

pub use grouped::{matrix, overlap, shared};

use super::params::{FormatOnly, History, Members, StateMemberships};
use super::{answer, columns, each_once, no_orgs, no_states};
use crate::db::questions::{AsOf, MEMBERSHIP_COLUMNS, PARTY_COLUMNS, PartyRow};
use crate::facts::emit::{Body, RowView, json_date};
use crate::facts::select;
use crate::facts::snapshot::{Snapshot, json_string};
use crate::http::error::{ApiError, ApiResult};
use crate::http::format::{self, Format};
use crate::input::{KeyRef, is_slug, key_ref};
use crate::model::STATES;

/// States named by code (alpha-2 or alpha-3, any case), each once, in the order given.
pub(crate) fn find_states(s: &Snapshot, raw: &[String]) -> ApiResult<Vec<u32>> {
    let looked_up = raw.iter().map(|r| {
        let id = match key_ref(&STATES, r) {
            Some(KeyRef::Key(code)) => s.state_ids.get(code.key_text().as_str()).copied(),
            Some(KeyRef::Alt(iso3)) => s.iso3_ids.get(iso3.as_str()).copied(),
            None => None,
        };
        (r.clone(), id)
    });
    each_once(looked_up, no_states)
}

/// Organisations named by slug (any case), each once, in the order given.
pub(crate) fn find_orgs(s: &Snapshot, raw: &[String]) -> ApiResult<Vec<u32>> {
    let looked_up = raw.iter().map(|r| {
        let slug = r.to_ascii_lowercase();
        let id = is_slug(&slug)
            .then(|| s.org_ids.get(slug.as_str()).copied())
            .flatten();
        (r.clone(), id)
    });
    each_once(looked_up, no_orgs)
}

pub(crate) fn find_state(s: &Snapshot, raw: &str) -> ApiResult<u32> {
    Ok(find_states(s, &[raw.to_string()])?[0])
}

pub(crate) fn find_org(s: &Snapshot, raw: &str) -> ApiResult<u32> {
    Ok(find_orgs(s, &[raw.to_string()])?[0])
}

fn as_of_json(as_of: AsOf) -> String {
    match as_of {
        AsOf::Date(d) => json_date(d),
        AsOf::All => "\"all\"".into(),
    }
}

fn day_of(as_of: AsOf) -> Option<chrono::NaiveDate> {
    match as_of {
        AsOf::Date(d) => Some(d),
        AsOf::All => None,
    }
}

fn flag(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// A JSON array of values already written as JSON.
fn json_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from("[");
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    out
}

/// The finished body with its media type.
fn respond(format: Format, body: String) -> Response {
    match format {
        Format::Csv => format::csv_response(body),
        Format::Json => {
            let mut r = body.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
    }
}

/// Membership rows as one answer.
fn memberships(
    s: &Snapshot,
    format: Format,
    rows: &[u32],
    view: RowView,
    extra: &[(&str, &str)],
) -> Response {
    let csv = format == Format::Csv;
    let cols = if csv {
        columns(MEMBERSHIP_COLUMNS, view.lineage_of.is_some())
    } else {
        Vec::new()
    };
    let mut body = Body::new(csv, &cols, rows.len());
    for &i in rows {
        body.membership(s, s.held(i), view);
    }
    respond(format, body.finish(extra))
}

pub fn members(s: &Snapshot, key: &str, p: &Members) -> ApiResult<Response> {
    let org = find_org(s, key)?;
    let rows = select::members(s, org, p.as_of, &p.filter, p.lineage);
    let view = RowView {
        day: day_of(p.as_of),
        lineage_of: Some(org),
    };
    let o = s.org(org);
    let as_of = as_of_json(p.as_of);
    let extra = [
        ("as_of", as_of.as_str()),
        ("organisation", &*o.info_json),
        ("complete", flag(o.info.complete())),
    ];
    Ok(memberships(s, p.format, &rows, view, &extra))
}

pub fn history(s: &Snapshot, key: &str, p: &History) -> ApiResult<Response> {
    let org = find_org(s, key)?;
    let rows = select::history(s, org, &p.filter);
    let o = s.org(org);
    let extra = [
        ("organisation", &*o.info_json),
        ("complete", flag(o.info.complete())),
    ];
    Ok(memberships(s, p.format, &rows, RowView::PLAIN, &extra))
}

pub fn state_memberships(s: &Snapshot, key: &str, p: &StateMemberships) -> ApiResult<Response> {
    let state = find_state(s, key)?;
    let orgs = match &p.organisations {
        Some(list) => Some(find_orgs(s, list)?),
        None => None,
    };
    let rows = select::state_memberships(s, state, p.as_of, &p.filter, orgs.as_deref());
    let view = RowView {
        day: day_of(p.as_of),
        lineage_of: None,
    };
    let (as_of, code) = (as_of_json(p.as_of), json_string(&s.state(state).code));
    let extra = [("as_of", as_of.as_str()), ("state", code.as_str())];
    Ok(memberships(s, p.format, &rows, view, &extra))
}

fn parties(format: Format, rows: Vec<&PartyRow>, key: &str, value: &str) -> Response {
    let envelope = vec![(key, Value::String(value.to_string()))];
    answer(format, PARTY_COLUMNS, false, &rows, envelope)
}

pub fn state_agreements(s: &Snapshot, key: &str, p: &FormatOnly) -> ApiResult<Response> {
    let code = &*s.state(find_state(s, key)?).code;
    let rows = s.parties_by_state.get(code).map_or(&[][..], |v| v);
    let rows = rows.iter().map(|&i| &s.parties[i as usize]).collect();
    Ok(parties(p.format, rows, "state", code))
}

pub fn agreement_parties(s: &Snapshot, key: &str, p: &FormatOnly) -> ApiResult<Response> {
    let slug = key.to_ascii_lowercase();
    if !is_slug(&slug) || !s.agreements.contains(slug.as_str()) {
        return Err(ApiError::NotFound(format!(
            "No agreement has the slug {key:?}."
        )));
    }
    let rows = s.parties_by_agreement.get(slug.as_str());
    let rows = rows.map_or(&[][..], |v| v);
    let rows = rows.iter().map(|&i| &s.parties[i as usize]).collect();
    Ok(parties(p.format, rows, "agreement", &slug))
}
