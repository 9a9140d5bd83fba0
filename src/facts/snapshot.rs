//! The facts in memory at one data version: states, organisations and memberships in
//! compact form, with indexes per organisation and per state, and every name kept once
//! with its JSON and CSV forms already written; agreement parties as served.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::db::questions::{Loaded, MembershipRecord, OrgInfo, PartyRow, StateRecord};
use crate::http::format::csv_text;
use crate::model::{NOT_PACTS, role_rank};

/// Index of a string in [`Words`].
pub type WordId = u32;

/// One string (a role, a precision, a source slug …) with its forms as served.
#[derive(Debug)]
pub struct Word {
    pub text: Box<str>,
    /// As a JSON string, quotes included.
    pub json: Box<str>,
    /// As a CSV field (formula-guarded and quoted where needed).
    pub csv: Box<str>,
}

/// Every distinct short string of the memberships, once.
#[derive(Debug, Default)]
pub struct Words {
    list: Vec<Word>,
    ids: HashMap<Box<str>, WordId>,
}

impl Words {
    pub fn id(&mut self, text: &str) -> WordId {
        if let Some(id) = self.ids.get(text) {
            return *id;
        }
        let id = self.list.len() as WordId;
        self.list.push(Word {
            text: text.into(),
            json: json_string(text).into(),
            csv: csv_text(text).into(),
        });
        self.ids.insert(text.into(), id);
        id
    }

    pub fn get(&self, id: WordId) -> &Word {
        &self.list[id as usize]
    }

    /// The id of `text` if some fact uses it.
    pub fn find(&self, text: &str) -> Option<WordId> {
        self.ids.get(text).copied()
    }
}

/// `s` as a JSON string, exactly as serde_json writes it.
pub fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A state: its names, and the part of a membership row that comes from it.
#[derive(Debug)]
pub struct StateFacts {
    pub code: Box<str>,
    pub iso3: Box<str>,
    pub name: Box<str>,
    pub region: Option<Box<str>>,
    /// `,"state":…,"state_name":…,"region":…`
    pub json: Box<str>,
    /// `code,name,region` as CSV fields.
    pub csv: Box<str>,
}

/// An organisation: as the questions describe it, and its part of a membership row.
#[derive(Debug)]
pub struct OrgFacts {
    pub info: OrgInfo,
    /// The organisation object of an answer's envelope.
    pub info_json: Box<str>,
    /// `,"organisation":…,"organisation_name":…,"acronym":…,"kind":…,"membership_coverage":…`
    pub json: Box<str>,
    /// The same five fields as CSV.
    pub csv: Box<str>,
    /// The matrix's description of it as a column.
    pub column_json: Box<str>,
    /// Not one of the kinds that are not pacts (a null kind counts as a pact).
    pub pact: bool,
    /// Its predecessor's index, if stored.
    pub predecessor: Option<u32>,
}

/// One membership period, compact: names are indexes into the snapshot's tables.
#[derive(Debug)]
pub struct Held {
    pub id: i64,
    pub state: u32,
    pub org: u32,
    pub role: WordId,
    /// The role's rank (lower is stronger).
    pub rank: u8,
    pub founding: bool,
    pub joined_on: NaiveDate,
    pub joined_precision: WordId,
    pub left_on: Option<NaiveDate>,
    pub left_precision: WordId,
    pub end_reason: Option<WordId>,
    pub participation: WordId,
    pub participation_since: Option<NaiveDate>,
    pub note: Option<Box<str>>,
    pub confidence: WordId,
    pub sources: Box<[WordId]>,
}

impl Held {
    /// Held on `day`: joined on or before it, not yet left.
    pub fn on(&self, day: NaiveDate) -> bool {
        self.joined_on <= day && self.left_on.is_none_or(|l| day < l)
    }

    /// Its participation as it was on `day` (`None`: as stored): before
    /// `participation_since` it was active.
    pub fn active_before_since(&self, day: Option<NaiveDate>) -> bool {
        matches!((day, self.participation_since), (Some(d), Some(since)) if d < since)
    }
}

/// Everything the questions read, at one data version.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub version: i64,
    pub words: Words,
    /// In code order (byte order, as the SQL answers sort).
    pub states: Vec<StateFacts>,
    pub state_ids: HashMap<Box<str>, u32>,
    pub iso3_ids: HashMap<Box<str>, u32>,
    /// In slug order.
    pub orgs: Vec<OrgFacts>,
    pub org_ids: HashMap<Box<str>, u32>,
    pub held: Vec<Held>,
    /// Per organisation: its memberships by state, start, id.
    pub by_org: Vec<Vec<u32>>,
    /// Per state: its memberships by start, organisation, role, id.
    pub by_state: Vec<Vec<u32>>,
    pub agreements: HashSet<Box<str>>,
    /// Agreement parties as served; indexes per agreement (by state, id) and per state.
    pub parties: Vec<PartyRow>,
    pub parties_by_agreement: HashMap<Box<str>, Vec<u32>>,
    pub parties_by_state: HashMap<Box<str>, Vec<u32>>,
    /// The participation served for a day before a membership's `participation_since`.
    pub active: WordId,
    /// Bytes held, estimated once when built (what `/metrics` reports).
    pub bytes: usize,
    /// The dated events, worked out on first use (`timeline::events_of`).
    pub events: std::sync::OnceLock<Vec<super::timeline::Event>>,
}

fn opt_json(v: Option<&str>) -> String {
    v.map_or_else(|| "null".into(), json_string)
}

fn opt_csv(v: Option<&str>) -> String {
    v.map_or_else(String::new, csv_text)
}

fn state_facts(s: StateRecord) -> StateFacts {
    let json = format!(
        ",\"state\":{},\"state_name\":{},\"region\":{}",
        json_string(&s.code),
        json_string(&s.name),
        opt_json(s.region.as_deref())
    );
    let csv = format!(
        "{},{},{}",
        csv_text(&s.code),
        csv_text(&s.name),
        opt_csv(s.region.as_deref())
    );
    StateFacts {
        code: s.code.into(),
        iso3: s.iso3.into(),
        name: s.name.into(),
        region: s.region.map(Into::into),
        json: json.into(),
        csv: csv.into(),
    }
}

fn org_facts(o: OrgInfo) -> OrgFacts {
    let json = format!(
        ",\"organisation\":{},\"organisation_name\":{},\"acronym\":{},\"kind\":{},\"membership_coverage\":{}",
        json_string(&o.slug),
        json_string(&o.name),
        opt_json(o.acronym.as_deref()),
        opt_json(o.kind.as_deref()),
        json_string(&o.membership_coverage)
    );
    let csv = format!(
        "{},{},{},{},{}",
        csv_text(&o.slug),
        csv_text(&o.name),
        opt_csv(o.acronym.as_deref()),
        opt_csv(o.kind.as_deref()),
        csv_text(&o.membership_coverage)
    );
    let column = serde_json::json!({"slug": o.slug, "acronym": o.acronym, "name": o.name, "kind": o.kind, "membership_coverage": o.membership_coverage});
    OrgFacts {
        column_json: column.to_string().into(),
        info_json: serde_json::to_string(&o).unwrap_or_default().into(),
        pact: o.kind.as_deref().is_none_or(|k| !NOT_PACTS.contains(&k)),
        predecessor: None,
        json: json.into(),
        csv: csv.into(),
        info: o,
    }
}

impl Snapshot {
    /// Build the indexes from what was loaded in one transaction. Memberships whose
    /// state or organisation is missing (impossible under the foreign keys) are left out,
    /// as the SQL joins would leave them out.
    pub fn build(l: Loaded) -> Snapshot {
        let mut s = Snapshot {
            version: l.version,
            ..Default::default()
        };
        let mut states = l.states;
        states.sort_by(|a, b| a.code.cmp(&b.code));
        for st in states {
            let i = s.states.len() as u32;
            s.state_ids.insert(st.code.as_str().into(), i);
            s.iso3_ids.insert(st.iso3.as_str().into(), i);
            s.states.push(state_facts(st));
        }
        let mut orgs = l.orgs;
        orgs.sort_by(|a, b| a.slug.cmp(&b.slug));
        for o in orgs {
            s.org_ids
                .insert(o.slug.as_str().into(), s.orgs.len() as u32);
            s.orgs.push(org_facts(o));
        }
        for i in 0..s.orgs.len() {
            let p = s.orgs[i].info.predecessor.as_deref();
            s.orgs[i].predecessor = p.and_then(|p| s.org_ids.get(p).copied());
        }
        s.active = s.words.id("active");
        let mut sources = l.sources.into_iter().peekable();
        let mut memberships = l.memberships;
        memberships.sort_by_key(|m| m.id);
        for m in memberships {
            let mut cited = Vec::new();
            while let Some((fact, _)) = sources.peek() {
                if *fact < m.id {
                    sources.next();
                } else if *fact == m.id {
                    let (_, slug) = sources.next().unwrap_or_default();
                    cited.push(s.words.id(&slug));
                } else {
                    break;
                }
            }
            if let Some(h) = s.held_of(m, cited) {
                s.held.push(h);
            }
        }
        s.index();
        s.agreements = l.agreements.into_iter().map(Into::into).collect();
        s.index_parties(l.parties);
        s.bytes = s.estimate_bytes();
        s
    }

    fn held_of(&mut self, m: MembershipRecord, sources: Vec<WordId>) -> Option<Held> {
        let state = *self.state_ids.get(m.state.as_str())?;
        let org = *self.org_ids.get(m.organisation.as_str())?;
        let w = &mut self.words;
        Some(Held {
            id: m.id,
            state,
            org,
            rank: role_rank(&m.role).min(u8::MAX as usize) as u8,
            role: w.id(&m.role),
            founding: m.founding,
            joined_on: m.joined_on,
            joined_precision: w.id(&m.joined_precision),
            left_on: m.left_on,
            left_precision: w.id(&m.left_precision),
            end_reason: m.end_reason.as_deref().map(|e| w.id(e)),
            participation: w.id(&m.participation),
            participation_since: m.participation_since,
            note: m.note.map(Into::into),
            confidence: w.id(&m.confidence),
            sources: sources.into(),
        })
    }

    /// Role text compares as the SQL orders compare it (byte order).
    fn role_text(&self, h: &Held) -> &str {
        &self.words.get(h.role).text
    }

    fn index(&mut self) {
        let mut by_org = vec![Vec::new(); self.orgs.len()];
        let mut by_state = vec![Vec::new(); self.states.len()];
        for (i, h) in self.held.iter().enumerate() {
            by_org[h.org as usize].push(i as u32);
            by_state[h.state as usize].push(i as u32);
        }
        let held = &self.held;
        for list in &mut by_org {
            list.sort_by_key(|&i| {
                let h = &held[i as usize];
                (h.state, h.joined_on, h.id)
            });
        }
        for list in &mut by_state {
            list.sort_by(|&a, &b| {
                let (x, y) = (&held[a as usize], &held[b as usize]);
                (x.joined_on, x.org, self.role_text(x), x.id).cmp(&(
                    y.joined_on,
                    y.org,
                    self.role_text(y),
                    y.id,
                ))
            });
        }
        self.by_org = by_org;
        self.by_state = by_state;
    }

    fn index_parties(&mut self, parties: Vec<PartyRow>) {
        for (i, p) in parties.iter().enumerate() {
            let i = i as u32;
            self.parties_by_agreement
                .entry(p.agreement.as_str().into())
                .or_default()
                .push(i);
            self.parties_by_state
                .entry(p.state.as_str().into())
                .or_default()
                .push(i);
        }
        for list in self.parties_by_agreement.values_mut() {
            list.sort_by(|&a, &b| {
                let (x, y) = (&parties[a as usize], &parties[b as usize]);
                (&x.state, x.party_id).cmp(&(&y.state, y.party_id))
            });
        }
        for list in self.parties_by_state.values_mut() {
            list.sort_by(|&a, &b| {
                let key = |p: &PartyRow| {
                    let day = p.signed_on.or(p.ratified_on);
                    (day.is_none(), day, p.agreement.clone(), p.party_id)
                };
                key(&parties[a as usize]).cmp(&key(&parties[b as usize]))
            });
        }
        self.parties = parties;
    }

    pub fn state(&self, i: u32) -> &StateFacts {
        &self.states[i as usize]
    }

    pub fn org(&self, i: u32) -> &OrgFacts {
        &self.orgs[i as usize]
    }

    pub fn held(&self, i: u32) -> &Held {
        &self.held[i as usize]
    }

    /// Bytes held, roughly.
    fn estimate_bytes(&self) -> usize {
        let held = self.held.len() * std::mem::size_of::<Held>()
            + self
                .held
                .iter()
                .map(|h| h.sources.len() * 4 + h.note.as_ref().map_or(0, |n| n.len()))
                .sum::<usize>();
        let words: usize = self
            .words
            .list
            .iter()
            .map(|w| w.text.len() * 2 + w.json.len() + w.csv.len() + 80)
            .sum();
        let names: usize = self
            .states
            .iter()
            .map(|s| s.json.len() + s.csv.len() + 120)
            .chain(self.orgs.iter().map(|o| o.json.len() * 3 + 400))
            .sum();
        held + words + names + self.held.len() * 8 + self.parties.len() * 400
    }
}
