//! Time questions over one snapshot: the dated events of the memberships (joins, exits,
//! role changes, successions, participation changes), an organisation's holders counted
//! per year or month, and the matrix cells that differ between two days.
//!
//! An end and a start on the same day, for the same state, in the same organisation or
//! in its successor, are one event: a role change (Mongolia, SCO observer → partner on
//! 2025-09-01) or a succession (Kazakhstan, CST → CSTO on 2002-10-07), never an exit and
//! a join.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};

use super::select::{self, Cell};
use super::snapshot::{Held, Snapshot, WordId};
use crate::db::questions::{AsOf, Filter};

/// One dated event. `held` is the period the state is in after it (the period left,
/// for an exit); `previous` the period before it, for a change.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub date: NaiveDate,
    pub precision: WordId,
    pub kind: &'static str,
    pub held: u32,
    pub previous: Option<u32>,
}

impl Event {
    /// The organisations the event touches.
    pub fn touches(&self, s: &Snapshot, org: u32) -> bool {
        s.held(self.held).org == org || self.previous.is_some_and(|p| s.held(p).org == org)
    }
}

/// The kinds' order among events on one day, for one state and organisation.
fn kind_rank(kind: &str) -> usize {
    crate::model::EVENT_KINDS
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(usize::MAX)
}

/// The periods starting on each day, per state.
type Starts = HashMap<(u32, NaiveDate), Vec<u32>>;

/// The period that continues `h` on the day it ends: same state, starting that day, in
/// the same organisation or its successor; the strongest role first.
fn continuation(s: &Snapshot, starts: &Starts, i: u32) -> Option<u32> {
    let h = s.held(i);
    let end = h.left_on?;
    starts
        .get(&(h.state, end))?
        .iter()
        .copied()
        .filter(|&j| j != i)
        .filter(|&j| {
            let n = s.held(j);
            n.joined_on == end && (n.org == h.org || s.org(n.org).predecessor == Some(h.org))
        })
        .min_by_key(|&j| (s.held(j).rank, s.held(j).id))
}

/// Every event, in order of date, organisation, state, kind and period.
pub fn events(s: &Snapshot) -> Vec<Event> {
    let mut continued_from: Vec<Option<u32>> = vec![None; s.held.len()];
    let mut out = Vec::with_capacity(s.held.len() * 2);
    let mut starts: Starts = HashMap::new();
    for (i, h) in s.held.iter().enumerate() {
        starts
            .entry((h.state, h.joined_on))
            .or_default()
            .push(i as u32);
    }
    for i in 0..s.held.len() as u32 {
        let h = s.held(i);
        match continuation(s, &starts, i) {
            Some(j) if continued_from[j as usize].is_none() => {
                continued_from[j as usize] = Some(i);
            }
            _ => {
                if let Some(end) = h.left_on {
                    out.push(Event {
                        date: end,
                        precision: h.left_precision,
                        kind: "exit",
                        held: i,
                        previous: None,
                    });
                }
            }
        }
        if let Some(since) = h.participation_since
            && since > h.joined_on
            && h.left_on.is_none_or(|l| since < l)
        {
            out.push(Event {
                date: since,
                precision: h.joined_precision,
                kind: "participation_change",
                held: i,
                previous: None,
            });
        }
    }
    for i in 0..s.held.len() as u32 {
        let h = s.held(i);
        let (kind, previous) = match continued_from[i as usize] {
            Some(p) if s.held(p).org == h.org => ("role_change", Some(p)),
            Some(p) => ("succession", Some(p)),
            None => ("join", None),
        };
        out.push(Event {
            date: h.joined_on,
            precision: h.joined_precision,
            kind,
            held: i,
            previous,
        });
    }
    // Organisations are held in slug order and states in code order, so their indexes
    // sort as their names do.
    out.sort_unstable_by_key(|e| {
        let h = s.held(e.held);
        (e.date, h.org, h.state, kind_rank(e.kind), h.id)
    });
    out
}

/// The events of a snapshot, worked out once per snapshot.
pub fn events_of(s: &Snapshot) -> &[Event] {
    s.events.get_or_init(|| events(s))
}

/// One step of an organisation's counts: a year or a month.
#[derive(Debug, Clone)]
pub struct Count {
    /// `2017` or `2017-06`.
    pub period: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// States holding a chosen role on the period's first day, and on its last.
    pub at_start: usize,
    pub at_end: usize,
    /// States that came to hold one during the period, and states that stopped.
    pub joined: Vec<u32>,
    pub left: Vec<u32>,
    /// The days in the period on which the set of holders changed.
    pub changed_on: Vec<NaiveDate>,
}

/// Per year (or month) of `org`'s life, the number of states holding one of `roles`
/// (`None`: any role) in it: from the first period's start (or the founding) to the end
/// of the organisation, or to `today`.
pub fn counts(
    s: &Snapshot,
    org: u32,
    roles: Option<&[WordId]>,
    monthly: bool,
    today: NaiveDate,
) -> Vec<Count> {
    let held: Vec<&Held> = s.by_org[org as usize]
        .iter()
        .map(|&i| s.held(i))
        .filter(|h| roles.is_none_or(|r| r.contains(&h.role)))
        .collect();
    let info = &s.org(org).info;
    let Some(first) = held
        .iter()
        .map(|h| h.joined_on)
        .chain(info.founded_on)
        .min()
    else {
        return Vec::new();
    };
    let last = info.ended_on.map_or(today, |e| e.min(today)).max(first);
    // Every start (+1) and end (-1) of a holding, by day; a state holds while its
    // count is above zero.
    let mut deltas: Vec<(NaiveDate, u32, i32)> = held
        .iter()
        .flat_map(|h| {
            std::iter::once((h.joined_on, h.state, 1)).chain(h.left_on.map(|l| (l, h.state, -1)))
        })
        .collect();
    deltas.sort_unstable();
    let mut sweep = Sweep {
        deltas,
        pos: 0,
        count: vec![0; s.states.len()],
        holding: 0,
    };
    let mut out = Vec::new();
    let mut start = period_start(first, monthly);
    while start <= last {
        let next = next_period(start, monthly);
        let (mut joined, mut left, mut changed_on) = (BTreeSet::new(), BTreeSet::new(), vec![]);
        let mut at_start = None;
        loop {
            let day = match sweep.deltas.get(sweep.pos) {
                Some(&(d, _, _)) if d < next => d,
                _ => break,
            };
            if day > start && at_start.is_none() {
                at_start = Some(sweep.holding);
            }
            let (on, off) = sweep.day(day);
            if !on.is_empty() || !off.is_empty() {
                changed_on.push(day);
            }
            joined.extend(on);
            left.extend(off);
        }
        out.push(Count {
            period: if monthly {
                format!("{:04}-{:02}", start.year(), start.month())
            } else {
                format!("{:04}", start.year())
            },
            first_day: start,
            last_day: next.pred_opt().unwrap_or(next),
            at_start: at_start.unwrap_or(sweep.holding),
            at_end: sweep.holding,
            joined: joined.into_iter().collect(),
            left: left.into_iter().collect(),
            changed_on,
        });
        start = next;
    }
    out
}

/// Holdings applied day by day: a state holds while its count of open periods is above
/// zero.
struct Sweep {
    /// Every start (+1) and end (-1), by day.
    deltas: Vec<(NaiveDate, u32, i32)>,
    pos: usize,
    count: Vec<i32>,
    holding: usize,
}

impl Sweep {
    /// Apply the changes of `day`: the states that came to hold, and those that stopped
    /// (a state leaving one role and taking another that day did neither).
    fn day(&mut self, day: NaiveDate) -> (Vec<u32>, Vec<u32>) {
        let mut touched: Vec<(u32, bool)> = Vec::new();
        while let Some(&(d, st, delta)) = self.deltas.get(self.pos) {
            if d != day {
                break;
            }
            let c = &mut self.count[st as usize];
            if !touched.iter().any(|t| t.0 == st) {
                touched.push((st, *c > 0));
            }
            *c += delta;
            self.pos += 1;
        }
        let (mut on, mut off) = (Vec::new(), Vec::new());
        for (st, before) in touched {
            match (before, self.count[st as usize] > 0) {
                (false, true) => on.push(st),
                (true, false) => off.push(st),
                _ => {}
            }
        }
        self.holding = self.holding + on.len() - off.len();
        (on, off)
    }
}

fn period_start(d: NaiveDate, monthly: bool) -> NaiveDate {
    let month = if monthly { d.month() } else { 1 };
    NaiveDate::from_ymd_opt(d.year(), month, 1).unwrap_or(d)
}

fn next_period(d: NaiveDate, monthly: bool) -> NaiveDate {
    let (y, m) = match (monthly, d.month()) {
        (false, _) => (d.year() + 1, 1),
        (true, 12) => (d.year() + 1, 1),
        (true, m) => (d.year(), m + 1),
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MAX)
}

/// A matrix cell that differs between two days.
#[derive(Debug, Clone, Copy)]
pub struct CellChange {
    pub state: u32,
    pub org: u32,
    pub from: Option<Cell>,
    pub to: Option<Cell>,
}

impl CellChange {
    /// `joined`, `left`, `role_changed` or `participation_changed`.
    pub fn change(&self) -> &'static str {
        match (self.from, self.to) {
            (None, _) => "joined",
            (_, None) => "left",
            (Some(a), Some(b)) if a.role != b.role => "role_changed",
            _ => "participation_changed",
        }
    }
}

/// The cells of the organisations `orgs` (and the states `states`, if named) that differ
/// between `from` and `to`, in state and organisation order.
pub fn diff(
    s: &Snapshot,
    orgs: &[u32],
    states: Option<&[u32]>,
    f: &Filter,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<CellChange> {
    let day_cells = |day| {
        let held = select::held_in_orgs(s, orgs, states, AsOf::Date(day), f);
        select::cells(s, &held, day)
    };
    let (a, b) = (day_cells(from), day_cells(to));
    let keys: BTreeSet<(u32, u32)> = a.keys().chain(b.keys()).copied().collect();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (a.get(&k).copied(), b.get(&k).copied());
            let same = match (x, y) {
                (Some(x), Some(y)) => x.role == y.role && x.participation == y.participation,
                (None, None) => true,
                _ => false,
            };
            (!same).then_some(CellChange {
                state: k.0,
                org: k.1,
                from: x,
                to: y,
            })
        })
        .collect()
}
