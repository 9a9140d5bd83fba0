//! The time questions: `GET /v1/events` (who joined, left or changed role, and when),
//! `GET /v1/organisations/{key}/counts` (holders per year or month) and `GET /v1/diff`
//! (the matrix cells that differ between two days). Each is answered from a snapshot of
//! the facts at the current data version (`facts::timeline`), on either backend.

pub mod params;

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};

use self::params::{Counts, Diff, Events};
use super::AppState;
use super::error::ApiResult;
use super::extract::PathKey;
use super::format::{self, Format};
use super::paging::Window;
use super::questions::memory::{find_org, find_orgs, find_states};
use super::questions::params::Q;
use super::questions::with_csv_twins;
use crate::facts::Snapshot;
use crate::facts::select::Cell;
use crate::facts::snapshot::WordId;
use crate::facts::timeline::{self, CellChange, Event};
use crate::model::{CONFIDENCE, end_category};

/// The routes, each with its `.csv` twin.
pub fn routes() -> Router<AppState> {
    with_csv_twins([
        ("/v1/events", get(events)),
        ("/v1/organisations/{key}/counts", get(counts)),
        ("/v1/diff", get(diff)),
    ])
}

/// Each path and the parameters it takes.
pub fn specs() -> Vec<(&'static str, &'static [super::params::ParamSpec])> {
    use super::questions::params::QuestionParams;
    vec![
        ("/v1/events", Events::SPEC),
        ("/v1/organisations/{key}/counts", Counts::SPEC),
        ("/v1/diff", Diff::SPEC),
    ]
}

/// The columns of an event row.
pub const EVENT_COLUMNS: &[&str] = &[
    "date",
    "date_precision",
    "kind",
    "state",
    "state_name",
    "region",
    "organisation",
    "organisation_name",
    "role",
    "previous_organisation",
    "previous_role",
    "participation",
    "end_reason",
    "end_category",
    "membership",
    "previous_membership",
    "sources",
    "confidence",
];

/// The columns of a counts row.
pub const COUNT_COLUMNS: &[&str] = &[
    "period",
    "first_day",
    "last_day",
    "count_at_start",
    "count_at_end",
    "joined",
    "left",
    "changed_on",
];

/// The columns of a diff row.
pub const DIFF_COLUMNS: &[&str] = &[
    "state",
    "state_name",
    "region",
    "organisation",
    "organisation_name",
    "change",
    "from_role",
    "to_role",
    "from_participation",
    "to_participation",
];

async fn snapshot(state: &AppState) -> ApiResult<Arc<Snapshot>> {
    let version = state.version.current(&state.db).await?;
    Ok(state.facts.fresh(version, &state.db).await?)
}

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// The answer: only the rows of the page asked for are written (`window`, from the
/// paging layer), so a page of a long answer costs its own rows.
fn answer<T>(
    format: Format,
    names: &[&str],
    items: &[T],
    row: impl Fn(&T) -> Value,
    extra: Vec<(&str, Value)>,
    window: Option<Extension<Window>>,
) -> Response {
    let extra: Map<String, Value> = extra.into_iter().map(|(k, v)| (k.into(), v)).collect();
    let Some(Extension(w)) = window else {
        let rows: Vec<Value> = items.iter().map(row).collect();
        let page = format::whole_page(rows.len());
        return format::respond(format, columns(names), rows, page, extra);
    };
    let (range, page, paged) = w.cut(items.len());
    let rows = items[range].iter().map(row).collect();
    let mut resp = format::respond(format, columns(names), rows, page, extra);
    resp.extensions_mut().insert(paged);
    resp
}

fn word(s: &Snapshot, w: WordId) -> Value {
    Value::String(s.words.get(w).text.to_string())
}

fn opt_word(s: &Snapshot, w: Option<WordId>) -> Value {
    w.map_or(Value::Null, |w| word(s, w))
}

fn event_json(s: &Snapshot, e: &Event) -> Value {
    let h = s.held(e.held);
    let prev = e.previous.map(|p| s.held(p));
    let (st, org) = (s.state(h.state), s.org(h.org));
    let exit = e.kind == "exit";
    let end_reason = if exit {
        h.end_reason
    } else {
        prev.and_then(|p| p.end_reason)
    };
    let mut sources: Vec<WordId> = prev.map(|p| p.sources.to_vec()).unwrap_or_default();
    for w in h.sources.iter() {
        if !sources.contains(w) {
            sources.push(*w);
        }
    }
    // A change is as certain as the weaker of its two periods.
    let rank = |w: WordId| {
        CONFIDENCE
            .iter()
            .position(|c| *c == &*s.words.get(w).text)
            .unwrap_or(0)
    };
    let confidence = match prev {
        Some(p) if rank(p.confidence) > rank(h.confidence) => p.confidence,
        _ => h.confidence,
    };
    let end_reason_text = end_reason.map(|w| s.words.get(w).text.to_string());
    json!({
        "date": json!(e.date),
        "date_precision": word(s, e.precision),
        "kind": e.kind,
        "state": &*st.code,
        "state_name": &*st.name,
        "region": st.region.as_deref(),
        "organisation": org.info.slug,
        "organisation_name": org.info.name,
        "role": if exit { Value::Null } else { word(s, h.role) },
        "previous_organisation": match prev {
            Some(p) if p.org != h.org => Value::String(s.org(p.org).info.slug.clone()),
            _ => Value::Null,
        },
        "previous_role": match (exit, prev) {
            (true, _) => word(s, h.role),
            (false, Some(p)) => word(s, p.role),
            _ => Value::Null,
        },
        "participation": if e.kind == "participation_change" { word(s, h.participation) } else { Value::Null },
        "end_reason": end_reason_text,
        "end_category": end_reason_text.as_deref().and_then(end_category),
        "membership": h.id,
        "previous_membership": prev.map(|p| p.id),
        "sources": sources.iter().map(|&w| word(s, w)).collect::<Vec<_>>(),
        "confidence": word(s, confidence),
    })
}

async fn events(
    State(state): State<AppState>,
    window: Option<Extension<Window>>,
    Q(p): Q<Events>,
) -> ApiResult<Response> {
    let s = snapshot(&state).await?;
    let orgs = p
        .organisations
        .as_ref()
        .map(|l| find_orgs(&s, l))
        .transpose()?;
    let states = p.states.as_ref().map(|l| find_states(&s, l)).transpose()?;
    let rows: Vec<&Event> = timeline::events_of(&s)
        .iter()
        .filter(|e| {
            let h = s.held(e.held);
            p.from.is_none_or(|f| f <= e.date)
                && p.to.is_none_or(|t| e.date <= t)
                && match &orgs {
                    Some(list) => list.iter().any(|&o| e.touches(&s, o)),
                    None => s.org(h.org).pact,
                }
                && states.as_ref().is_none_or(|l| l.contains(&h.state))
                && p.region
                    .as_deref()
                    .is_none_or(|r| s.state(h.state).region.as_deref() == Some(r))
                && p.kinds
                    .as_ref()
                    .is_none_or(|k| k.iter().any(|k| k == e.kind))
        })
        .collect();
    let extra = vec![("from", json!(p.from)), ("to", json!(p.to))];
    let row = |e: &&Event| event_json(&s, e);
    Ok(answer(p.format, EVENT_COLUMNS, &rows, row, extra, window))
}

async fn counts(
    State(state): State<AppState>,
    PathKey(key): PathKey,
    window: Option<Extension<Window>>,
    Q(p): Q<Counts>,
) -> ApiResult<Response> {
    let s = snapshot(&state).await?;
    let org = find_org(&s, &key)?;
    let roles: Option<Vec<WordId>> = p
        .roles
        .as_ref()
        .map(|r| r.iter().filter_map(|r| s.words.find(r)).collect());
    let today = chrono::Utc::now().date_naive();
    let codes =
        |ids: &[u32]| -> Vec<String> { ids.iter().map(|&i| s.state(i).code.to_string()).collect() };
    let counts = timeline::counts(&s, org, roles.as_deref(), p.monthly, today);
    let row = |c: &timeline::Count| {
        json!({
            "period": c.period,
            "first_day": json!(c.first_day),
            "last_day": json!(c.last_day),
            "count_at_start": c.at_start,
            "count_at_end": c.at_end,
            "joined": codes(&c.joined),
            "left": codes(&c.left),
            "changed_on": c.changed_on.iter().map(|&d| json!(d)).collect::<Vec<_>>(),
        })
    };
    let o = s.org(org);
    let extra = vec![
        (
            "organisation",
            serde_json::from_str(&o.info_json).unwrap_or(Value::Null),
        ),
        ("complete", Value::Bool(o.info.complete())),
        ("by", json!(if p.monthly { "month" } else { "year" })),
        ("role", json!(p.roles)),
    ];
    Ok(answer(p.format, COUNT_COLUMNS, &counts, row, extra, window))
}

async fn diff(
    State(state): State<AppState>,
    window: Option<Extension<Window>>,
    Q(p): Q<Diff>,
) -> ApiResult<Response> {
    let s = snapshot(&state).await?;
    let named = p.states.as_ref().map(|l| find_states(&s, l)).transpose()?;
    let orgs = match &p.organisations {
        Some(list) => find_orgs(&s, list)?,
        None => (0..s.orgs.len() as u32)
            .filter(|&o| {
                let org = s.org(o);
                let kind_ok = match &p.filter.kinds {
                    Some(kinds) => org.info.kind.as_ref().is_some_and(|k| kinds.contains(k)),
                    None => org.pact,
                };
                kind_ok && (org.info.existed_on(p.from) || org.info.existed_on(p.to))
            })
            .collect(),
    };
    let mut f = p.filter.clone();
    f.kinds = None;
    let cell_role = |c: Option<Cell>| opt_word(&s, c.map(|c| c.role));
    let cell_part = |c: Option<Cell>| opt_word(&s, c.and_then(|c| c.participation));
    let changes = timeline::diff(&s, &orgs, named.as_deref(), &f, p.from, p.to);
    let row = |c: &CellChange| {
        let (st, org) = (s.state(c.state), s.org(c.org));
        json!({
            "state": &*st.code,
            "state_name": &*st.name,
            "region": st.region.as_deref(),
            "organisation": org.info.slug,
            "organisation_name": org.info.name,
            "change": c.change(),
            "from_role": cell_role(c.from),
            "to_role": cell_role(c.to),
            "from_participation": cell_part(c.from),
            "to_participation": cell_part(c.to),
        })
    };
    let extra = vec![("from", json!(p.from)), ("to", json!(p.to))];
    Ok(answer(p.format, DIFF_COLUMNS, &changes, row, extra, window))
}
