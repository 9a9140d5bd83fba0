//! The questions' selections over the snapshot: the same rows, in the same order, as
//! the SQL of `db::questions` selects (ties broken by membership id on both sides).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::snapshot::{Held, Snapshot, WordId};
use crate::db::questions::{AsOf, Filter};

/// A question's filters, resolved against the snapshot.
#[derive(Debug)]
pub struct Pick<'a> {
    /// `Some(ids)`: only these roles (a role no fact holds is not among them).
    roles: Option<Vec<WordId>>,
    kinds: Option<&'a [String]>,
    /// Without `kinds`: leave out the kinds that are not pacts.
    pacts_only: bool,
    region: Option<&'a str>,
    day: Option<NaiveDate>,
}

impl<'a> Pick<'a> {
    /// `default_kinds`: without a `kind` filter, pacts only (as `push_filter` does).
    pub fn new(s: &Snapshot, f: &'a Filter, as_of: AsOf, default_kinds: bool) -> Pick<'a> {
        Pick {
            roles: f.roles.as_ref().map(|roles| {
                roles
                    .iter()
                    .filter_map(|r| s.words.find(r))
                    .collect::<Vec<_>>()
            }),
            kinds: f.kinds.as_deref(),
            pacts_only: default_kinds && f.kinds.is_none(),
            region: f.region.as_deref(),
            day: match as_of {
                AsOf::Date(d) => Some(d),
                AsOf::All => None,
            },
        }
    }

    pub fn keeps(&self, s: &Snapshot, h: &Held) -> bool {
        if let Some(d) = self.day
            && !h.on(d)
        {
            return false;
        }
        if let Some(roles) = &self.roles
            && !roles.contains(&h.role)
        {
            return false;
        }
        if self.kinds.is_some() || self.pacts_only {
            let org = s.org(h.org);
            match self.kinds {
                Some(kinds) => {
                    let Some(kind) = org.info.kind.as_deref() else {
                        return false;
                    };
                    if !kinds.iter().any(|k| k == kind) {
                        return false;
                    }
                }
                None if !org.pact => return false,
                None => {}
            }
        }
        if let Some(region) = self.region
            && s.state(h.state).region.as_deref() != Some(region)
        {
            return false;
        }
        true
    }
}

fn role_cmp(s: &Snapshot, a: &Held, b: &Held) -> Ordering {
    s.words.get(a.role).text.cmp(&s.words.get(b.role).text)
}

/// Order by state, role, id (a members answer on a date).
fn by_state_role(s: &Snapshot, rows: &mut [u32]) {
    rows.sort_by(|&a, &b| {
        let (x, y) = (s.held(a), s.held(b));
        x.state
            .cmp(&y.state)
            .then_with(|| role_cmp(s, x, y))
            .then(x.id.cmp(&y.id))
    });
}

/// Order by start, state, role, id (timelines and `as_of=all`).
fn by_start(s: &Snapshot, rows: &mut [u32]) {
    rows.sort_by(|&a, &b| {
        let (x, y) = (s.held(a), s.held(b));
        x.joined_on
            .cmp(&y.joined_on)
            .then(x.state.cmp(&y.state))
            .then_with(|| role_cmp(s, x, y))
            .then(x.id.cmp(&y.id))
    });
}

/// The organisations a members question reads: the organisation, or with `lineage` the
/// first of it and its predecessors that existed on the day (all of them for `all`).
pub fn lineage_targets(s: &Snapshot, org: u32, as_of: AsOf, lineage: bool) -> Vec<u32> {
    let mut chain = vec![org];
    if lineage {
        while let Some(p) = chain.last().and_then(|&o| s.org(o).predecessor) {
            if chain.contains(&p) {
                break;
            }
            chain.push(p);
        }
    }
    match as_of {
        AsOf::All => chain,
        AsOf::Date(d) => vec![
            chain
                .iter()
                .copied()
                .find(|&o| s.org(o).info.founded_on.is_none_or(|f| f <= d))
                .unwrap_or(org),
        ],
    }
}

pub fn members(s: &Snapshot, org: u32, as_of: AsOf, f: &Filter, lineage: bool) -> Vec<u32> {
    let pick = Pick::new(s, f, as_of, false);
    let mut rows: Vec<u32> = lineage_targets(s, org, as_of, lineage)
        .into_iter()
        .flat_map(|o| s.by_org[o as usize].iter().copied())
        .filter(|&i| pick.keeps(s, s.held(i)))
        .collect();
    match as_of {
        AsOf::All => by_start(s, &mut rows),
        AsOf::Date(_) => by_state_role(s, &mut rows),
    }
    rows
}

pub fn history(s: &Snapshot, org: u32, f: &Filter) -> Vec<u32> {
    let pick = Pick::new(s, f, AsOf::All, false);
    let mut rows: Vec<u32> = s.by_org[org as usize]
        .iter()
        .copied()
        .filter(|&i| pick.keeps(s, s.held(i)))
        .collect();
    by_start(s, &mut rows);
    rows
}

/// A state's memberships; `orgs`: only these organisations.
pub fn state_memberships(
    s: &Snapshot,
    state: u32,
    as_of: AsOf,
    f: &Filter,
    orgs: Option<&[u32]>,
) -> Vec<u32> {
    let pick = Pick::new(s, f, as_of, true);
    s.by_state[state as usize]
        .iter()
        .copied()
        .filter(|&i| {
            let h = s.held(i);
            orgs.is_none_or(|o| o.contains(&h.org)) && pick.keeps(s, h)
        })
        .collect()
}

/// Memberships held by `states` (pacts only unless `kinds` says otherwise), by
/// organisation, state, start and id.
pub fn held_by_states(s: &Snapshot, states: &[u32], as_of: AsOf, f: &Filter) -> Vec<u32> {
    let pick = Pick::new(s, f, as_of, true);
    let mut rows: Vec<u32> = states
        .iter()
        .flat_map(|&st| s.by_state[st as usize].iter().copied())
        .filter(|&i| pick.keeps(s, s.held(i)))
        .collect();
    rows.sort_by_key(|&i| {
        let h = s.held(i);
        (h.org, h.state, h.joined_on, h.id)
    });
    rows
}

/// Memberships in `orgs` (in slug order), optionally only of `states`, by organisation,
/// state, start and id.
pub fn held_in_orgs(
    s: &Snapshot,
    orgs: &[u32],
    states: Option<&[u32]>,
    as_of: AsOf,
    f: &Filter,
) -> Vec<u32> {
    let pick = Pick::new(s, f, as_of, false);
    let mut sorted = orgs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
        .into_iter()
        .flat_map(|o| s.by_org[o as usize].iter().copied())
        .filter(|&i| {
            let h = s.held(i);
            states.is_none_or(|st| st.contains(&h.state)) && pick.keeps(s, h)
        })
        .collect()
}

/// One cell of the matrix: the strongest role and, where that role's membership was not
/// active on the day, its participation.
#[derive(Debug, Clone, Copy)]
pub struct Cell {
    pub role: WordId,
    pub participation: Option<WordId>,
}

/// The matrix's cells for the memberships `held` (in held-by order) on `day`, keyed by
/// (state, organisation). Strongest role wins, the first of equals kept; the
/// participation is the last non-active one among memberships with that role.
pub fn cells(s: &Snapshot, held: &[u32], day: NaiveDate) -> BTreeMap<(u32, u32), Cell> {
    let mut cells: BTreeMap<(u32, u32), (u8, Cell)> = BTreeMap::new();
    for &i in held {
        let h = s.held(i);
        let cell = Cell {
            role: h.role,
            participation: None,
        };
        cells
            .entry((h.state, h.org))
            .and_modify(|(rank, c)| {
                if h.rank < *rank {
                    *rank = h.rank;
                    *c = cell;
                }
            })
            .or_insert((h.rank, cell));
    }
    for &i in held {
        let h = s.held(i);
        let p = if h.active_before_since(Some(day)) {
            s.active
        } else {
            h.participation
        };
        if let Some((_, c)) = cells.get_mut(&(h.state, h.org))
            && p != s.active
            && c.role == h.role
        {
            c.participation = Some(p);
        }
    }
    cells.into_iter().map(|(k, (_, c))| (k, c)).collect()
}
