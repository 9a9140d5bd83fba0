//! The answers that combine memberships, from memory: shared, overlap and the matrix.

use std::collections::BTreeMap;

use axum::response::Response;

use super::super::params::{Matrix, Overlap, Shared};
use super::super::{SHARED_FIELDS, group_columns};
use super::{as_of_json, day_of, find_orgs, find_states, flag, json_list, respond};
use crate::db::questions::AsOf;
use crate::facts::emit::{Body, RowView, json_date, json_row};
use crate::facts::select::{self, Cell};
use crate::facts::snapshot::{Held, Snapshot, WordId, json_string};
use crate::http::error::ApiResult;
use crate::http::format::Format;

/// Memberships grouped by `group` (in group order), kept where each of `required` (by
/// `member`) holds a role: the strongest, the first of equals.
fn groups_holding_all(
    s: &Snapshot,
    held: &[u32],
    group: fn(&Held) -> u32,
    member: fn(&Held) -> u32,
    required: &[u32],
) -> Vec<(u32, Vec<u32>, Vec<WordId>)> {
    let mut groups: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &i in held {
        groups.entry(group(s.held(i))).or_default().push(i);
    }
    groups
        .into_iter()
        .filter_map(|(g, rows)| {
            let roles: Option<Vec<WordId>> = required
                .iter()
                .map(|&r| {
                    rows.iter()
                        .map(|&i| s.held(i))
                        .filter(|h| member(h) == r)
                        .min_by_key(|h| h.rank)
                        .map(|h| h.role)
                })
                .collect();
            roles.map(|roles| (g, rows, roles))
        })
        .collect()
}

/// A grouped answer: per group its own fields (`fields_json`, a fragment that starts with
/// a comma, which is dropped; `fields_csv`), the role per required key, and in JSON its
/// memberships.
struct Grouped<'a> {
    body: Body,
    keys: &'a [String],
    view: RowView,
}

impl Grouped<'_> {
    fn row(
        &mut self,
        s: &Snapshot,
        fields_json: &str,
        fields_csv: &str,
        rows: &[u32],
        roles: &[WordId],
    ) {
        self.body.next_row();
        let out = &mut self.body.out;
        if self.body.csv {
            out.push_str(fields_csv);
            for r in roles {
                out.push(',');
                out.push_str(&s.words.get(*r).csv);
            }
            out.push_str("\r\n");
            return;
        }
        out.push('{');
        out.push_str(&fields_json[1..]);
        out.push_str(",\"roles\":{");
        for (n, (k, r)) in self.keys.iter().zip(roles).enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push_str(&json_string(k));
            out.push(':');
            out.push_str(&s.words.get(*r).json);
        }
        out.push_str("},\"memberships\":[");
        for (n, &i) in rows.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            json_row(out, s, s.held(i), self.view);
        }
        out.push_str("]}");
    }
}

pub fn shared(s: &Snapshot, p: &Shared) -> ApiResult<Response> {
    let states = find_states(s, &p.states)?;
    let codes: Vec<String> = states
        .iter()
        .map(|&i| s.state(i).code.to_string())
        .collect();
    let held = select::held_by_states(s, &states, p.as_of, &p.filter);
    let groups = groups_holding_all(s, &held, |h| h.org, |h| h.state, &states);
    let csv = p.format == Format::Csv;
    let mut g = Grouped {
        body: Body::new(csv, &group_columns(&SHARED_FIELDS, &codes), held.len()),
        keys: &codes,
        view: RowView {
            day: day_of(p.as_of),
            lineage_of: None,
        },
    };
    for (org, rows, roles) in groups {
        let o = s.org(org);
        g.row(s, &o.json, &o.csv, &rows, &roles);
    }
    let as_of = as_of_json(p.as_of);
    let listed = json_list(
        codes
            .iter()
            .map(|c| json_string(c))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    let extra = [("as_of", as_of.as_str()), ("states", listed.as_str())];
    Ok(respond(p.format, g.body.finish(&extra)))
}

pub fn overlap(s: &Snapshot, p: &Overlap) -> ApiResult<Response> {
    let orgs = find_orgs(s, &p.organisations)?;
    let slugs: Vec<String> = orgs.iter().map(|&o| s.org(o).info.slug.clone()).collect();
    let held = select::held_in_orgs(s, &orgs, None, p.as_of, &p.filter);
    let groups = groups_holding_all(s, &held, |h| h.state, |h| h.org, &orgs);
    let csv = p.format == Format::Csv;
    let mut g = Grouped {
        body: Body::new(
            csv,
            &group_columns(&["state", "state_name", "region"], &slugs),
            held.len(),
        ),
        keys: &slugs,
        view: RowView {
            day: day_of(p.as_of),
            lineage_of: None,
        },
    };
    for (state, rows, roles) in groups {
        let st = s.state(state);
        g.row(s, &st.json, &st.csv, &rows, &roles);
    }
    let as_of = as_of_json(p.as_of);
    let described = json_list(orgs.iter().map(|&o| &*s.org(o).info_json));
    let complete = orgs.iter().all(|&o| s.org(o).info.complete());
    let extra = [
        ("as_of", as_of.as_str()),
        ("organisations", described.as_str()),
        ("complete", flag(complete)),
    ];
    Ok(respond(p.format, g.body.finish(&extra)))
}

/// The matrix's columns: those named, or every organisation of the kinds asked for (pacts
/// by default) that existed on the day.
fn matrix_columns(s: &Snapshot, p: &Matrix) -> ApiResult<Vec<u32>> {
    if let Some(list) = &p.organisations {
        return find_orgs(s, list);
    }
    Ok((0..s.orgs.len() as u32)
        .filter(|&o| {
            let org = s.org(o);
            let kind_ok = match &p.filter.kinds {
                Some(kinds) => org.info.kind.as_ref().is_some_and(|k| kinds.contains(k)),
                None => org.pact,
            };
            kind_ok && org.info.existed_on(p.day)
        })
        .collect())
}

pub fn matrix(s: &Snapshot, p: &Matrix) -> ApiResult<Response> {
    let named = match &p.states {
        Some(list) => Some(find_states(s, list)?),
        None => None,
    };
    let cols = matrix_columns(s, p)?;
    let region = p.filter.region.as_deref();
    let in_region = |i: &u32| region.is_none_or(|r| s.state(*i).region.as_deref() == Some(r));
    let states: Vec<u32> = match &named {
        Some(list) => {
            let mut v: Vec<u32> = list.iter().copied().filter(in_region).collect();
            v.sort_unstable();
            v
        }
        None => (0..s.states.len() as u32).filter(in_region).collect(),
    };
    let mut cells = BTreeMap::new();
    if !cols.is_empty() {
        let mut f = p.filter.clone();
        f.kinds = None;
        let held = select::held_in_orgs(s, &cols, named.as_deref(), AsOf::Date(p.day), &f);
        cells = select::cells(s, &held, p.day);
    }
    // Each organisation's column, to lay out a row's cells as the cells (in state order)
    // are walked once alongside the states.
    let mut col_of = vec![usize::MAX; s.orgs.len()];
    for (i, &o) in cols.iter().enumerate() {
        col_of[o as usize] = i;
    }
    let slugs: Vec<String> = cols.iter().map(|&o| s.org(o).info.slug.clone()).collect();
    let csv = p.format == Format::Csv;
    let mut body = Body::new(
        csv,
        &group_columns(&["state", "state_name", "region"], &slugs),
        states.len() * (1 + slugs.len() / 8),
    );
    let mut walk = cells.iter().peekable();
    let mut row: Vec<Option<Cell>> = vec![None; cols.len()];
    let word = |w: Option<WordId>| w.map_or("null", |w| &*s.words.get(w).json);
    for st in states {
        row.fill(None);
        while let Some(&(&(cell_state, org), cell)) = walk.peek() {
            if cell_state > st {
                break;
            }
            if cell_state == st {
                row[col_of[org as usize]] = Some(*cell);
            }
            walk.next();
        }
        // Without named states, only the states holding some cell are rows.
        if named.is_none() && row.iter().all(Option::is_none) {
            continue;
        }
        let facts = s.state(st);
        body.next_row();
        let out = &mut body.out;
        if csv {
            out.push_str(&facts.csv);
            for c in &row {
                out.push(',');
                if let Some(c) = c {
                    out.push_str(&s.words.get(c.role).csv);
                }
            }
            out.push_str("\r\n");
            continue;
        }
        out.push('{');
        out.push_str(&facts.json[1..]);
        for (key, part) in [(",\"cells\":[", false), ("],\"participation\":[", true)] {
            out.push_str(key);
            for (i, c) in row.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let w = c.and_then(|c| if part { c.participation } else { Some(c.role) });
                out.push_str(word(w));
            }
        }
        out.push_str("]}");
    }
    let as_of = json_date(p.day);
    let columns = json_list(cols.iter().map(|&o| &*s.org(o).column_json));
    let extra = [("as_of", as_of.as_str()), ("columns", columns.as_str())];
    Ok(respond(p.format, body.finish(&extra)))
}
