//! The answers that combine memberships: shared (organisations every listed state is in),
//! overlap (states in every listed organisation) and the matrix (states × organisations).
//! Each row is a typed struct; its CSV twin is flattened into one column per listed state
//! or organisation.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::db::questions::{MembershipRow, StateInfo};
use crate::model::role_rank;

/// Roles per (row key, column key): the strongest when several are held.
pub type Roles = BTreeMap<(String, String), String>;

pub fn strongest(roles: &mut Roles, row: &str, col: &str, role: &str) {
    let k = (row.to_string(), col.to_string());
    match roles.get(&k) {
        Some(have) if role_rank(have) <= role_rank(role) => {}
        _ => {
            roles.insert(k, role.to_string());
        }
    }
}

/// One organisation every listed state belongs to.
#[derive(Debug, Serialize)]
pub struct SharedRow {
    pub organisation: String,
    pub organisation_name: String,
    pub acronym: Option<String>,
    pub kind: Option<String>,
    pub membership_coverage: String,
    /// The role each listed state holds (the strongest, where several).
    pub roles: Map<String, Value>,
    pub memberships: Vec<MembershipRow>,
}

/// One state that belongs to every listed organisation.
#[derive(Debug, Serialize)]
pub struct OverlapRow {
    pub state: String,
    pub state_name: String,
    pub region: Option<String>,
    pub roles: Map<String, Value>,
    pub memberships: Vec<MembershipRow>,
}

/// One state of the matrix: the role held in each column's organisation, or null, and
/// beside it the participation on that day where it was not active (frozen, suspended,
/// inactive), else null.
#[derive(Debug, Serialize)]
pub struct MatrixRow {
    pub state: String,
    pub state_name: String,
    pub region: Option<String>,
    pub cells: Vec<Option<String>>,
    pub participation: Vec<Option<String>>,
}

/// Group memberships by `group` and keep the groups in which every one of `required`
/// (by `member`) holds a role; each with its memberships and the role per required member.
pub fn groups_holding_all(
    held: Vec<MembershipRow>,
    group: fn(&MembershipRow) -> &str,
    member: fn(&MembershipRow) -> &str,
    required: &[String],
) -> Vec<(Vec<MembershipRow>, Map<String, Value>)> {
    let mut roles = Roles::new();
    let mut groups: BTreeMap<String, Vec<MembershipRow>> = BTreeMap::new();
    for m in held {
        strongest(&mut roles, group(&m), member(&m), &m.role);
        groups.entry(group(&m).to_string()).or_default().push(m);
    }
    groups
        .into_iter()
        .filter_map(|(g, ms)| {
            let role_map: Option<Map<String, Value>> = required
                .iter()
                .map(|r| {
                    roles
                        .get(&(g.clone(), r.clone()))
                        .map(|role| (r.clone(), Value::String(role.clone())))
                })
                .collect();
            role_map.map(|m| (ms, m))
        })
        .collect()
}

pub fn shared_rows(held: Vec<MembershipRow>, states: &[String]) -> Vec<SharedRow> {
    groups_holding_all(held, |m| &m.organisation, |m| &m.state, states)
        .into_iter()
        .map(|(ms, roles)| {
            let first = &ms[0];
            SharedRow {
                organisation: first.organisation.clone(),
                organisation_name: first.organisation_name.clone(),
                acronym: first.acronym.clone(),
                kind: first.kind.clone(),
                membership_coverage: first.membership_coverage.clone(),
                roles,
                memberships: ms,
            }
        })
        .collect()
}

pub fn overlap_rows(held: Vec<MembershipRow>, organisations: &[String]) -> Vec<OverlapRow> {
    groups_holding_all(held, |m| &m.state, |m| &m.organisation, organisations)
        .into_iter()
        .map(|(ms, roles)| {
            let first = &ms[0];
            OverlapRow {
                state: first.state.clone(),
                state_name: first.state_name.clone(),
                region: first.region.clone(),
                roles,
                memberships: ms,
            }
        })
        .collect()
}

/// The matrix's rows: `states` in order, a cell per organisation slug; `participation`
/// holds the participation of the memberships shown where it was not active.
pub fn matrix_rows(
    states: Vec<StateInfo>,
    slugs: &[String],
    roles: &Roles,
    participation: &Roles,
) -> Vec<MatrixRow> {
    states
        .into_iter()
        .map(|s| {
            let at = |m: &Roles, o: &String| m.get(&(s.code.clone(), o.clone())).cloned();
            MatrixRow {
                cells: slugs.iter().map(|o| at(roles, o)).collect(),
                participation: slugs.iter().map(|o| at(participation, o)).collect(),
                state: s.code.clone(),
                state_name: s.name.clone(),
                region: s.region.clone(),
            }
        })
        .collect()
}

/// A row as a JSON object without its nested parts, plus one column per role.
pub fn flat<T: Serialize>(row: &T, nested: &[&str], roles: Map<String, Value>) -> Value {
    let mut v = serde_json::to_value(row).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        for k in nested {
            m.remove(*k);
        }
        m.extend(roles);
    }
    v
}

/// A matrix row as CSV wants it: state fields, then one column per organisation.
pub fn flat_matrix(row: &MatrixRow, slugs: &[String]) -> Value {
    let roles = slugs
        .iter()
        .zip(&row.cells)
        .map(|(s, c)| (s.clone(), c.clone().map_or(Value::Null, Value::String)))
        .collect();
    flat(row, &["cells", "participation"], roles)
}
