//! The fixed-shape rows the questions answer with. Each struct is decoded by column name
//! and serialised as served; its column list (name, SQL expression, type, nullable) builds
//! the `select`, the CSV header and the OpenAPI row schema, and a test keeps the two equal.

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

use crate::db::Col;

/// A column of a question row: its name, the SQL that computes it, its type, and
/// whether it can be null.
pub type Column = (&'static str, &'static str, Col, bool);

/// A comma-joined list of source slugs, served as an array.
fn split_sources<S: Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    let list: Vec<&str> = v
        .as_deref()
        .map(|x| x.split(',').filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    list.serialize(s)
}

/// One membership period with its state's and organisation's names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct MembershipRow {
    pub membership_id: i64,
    pub state: String,
    pub state_name: String,
    pub region: Option<String>,
    pub organisation: String,
    pub organisation_name: String,
    pub acronym: Option<String>,
    pub kind: Option<String>,
    pub membership_coverage: String,
    pub role: String,
    pub founding: bool,
    pub joined_on: NaiveDate,
    pub joined_precision: String,
    pub left_on: Option<NaiveDate>,
    pub left_precision: String,
    pub end_reason: Option<String>,
    pub participation: String,
    pub participation_since: Option<NaiveDate>,
    pub note: Option<String>,
    pub confidence: String,
    #[serde(serialize_with = "split_sources")]
    pub sources: Option<String>,
    /// Members only: the row belongs to a predecessor (CST for the CSTO).
    #[sqlx(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lineage: Option<bool>,
}

pub const MEMBERSHIP_COLUMNS: &[Column] = &[
    ("membership_id", "m.id", Col::Int, false),
    ("state", "m.state", Col::Text, false),
    ("state_name", "s.name", Col::Text, false),
    ("region", "s.region", Col::Text, true),
    ("organisation", "m.organisation", Col::Text, false),
    ("organisation_name", "o.name", Col::Text, false),
    ("acronym", "o.acronym", Col::Text, true),
    ("kind", "o.kind", Col::Text, true),
    (
        "membership_coverage",
        "o.membership_coverage",
        Col::Text,
        false,
    ),
    ("role", "m.role", Col::Text, false),
    ("founding", "m.founding", Col::Bool, false),
    ("joined_on", "m.joined_on", Col::Date, false),
    ("joined_precision", "m.joined_precision", Col::Text, false),
    ("left_on", "m.left_on", Col::Date, true),
    ("left_precision", "m.left_precision", Col::Text, false),
    ("end_reason", "m.end_reason", Col::Text, true),
    ("participation", "m.participation", Col::Text, false),
    (
        "participation_since",
        "m.participation_since",
        Col::Date,
        true,
    ),
    ("note", "m.note", Col::Text, true),
    ("confidence", "m.confidence", Col::Text, false),
];

/// One state's standing towards one agreement, with the agreement's and state's names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct PartyRow {
    pub party_id: i64,
    pub agreement: String,
    pub agreement_name: String,
    pub short_name: Option<String>,
    pub agreement_kind: Option<String>,
    pub agreement_status: Option<String>,
    pub state: String,
    pub state_name: String,
    pub role: String,
    pub signed_on: Option<NaiveDate>,
    pub signed_precision: String,
    pub ratified_on: Option<NaiveDate>,
    pub ratified_precision: String,
    pub left_on: Option<NaiveDate>,
    pub left_precision: String,
    pub left_reason: Option<String>,
    pub note: Option<String>,
    pub confidence: String,
    #[serde(serialize_with = "split_sources")]
    pub sources: Option<String>,
}

pub const PARTY_COLUMNS: &[Column] = &[
    ("party_id", "p.id", Col::Int, false),
    ("agreement", "p.agreement", Col::Text, false),
    ("agreement_name", "a.name", Col::Text, false),
    ("short_name", "a.short_name", Col::Text, true),
    ("agreement_kind", "a.kind", Col::Text, true),
    ("agreement_status", "a.status", Col::Text, true),
    ("state", "p.state", Col::Text, false),
    ("state_name", "s.name", Col::Text, false),
    ("role", "p.role", Col::Text, false),
    ("signed_on", "p.signed_on", Col::Date, true),
    ("signed_precision", "p.signed_precision", Col::Text, false),
    ("ratified_on", "p.ratified_on", Col::Date, true),
    (
        "ratified_precision",
        "p.ratified_precision",
        Col::Text,
        false,
    ),
    ("left_on", "p.left_on", Col::Date, true),
    ("left_precision", "p.left_precision", Col::Text, false),
    ("left_reason", "p.left_reason", Col::Text, true),
    ("note", "p.note", Col::Text, true),
    ("confidence", "p.confidence", Col::Text, false),
];

/// What the questions need to know of an organisation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct OrgInfo {
    pub slug: String,
    pub name: String,
    pub acronym: Option<String>,
    pub kind: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub predecessor: Option<String>,
    pub successor: Option<String>,
    pub membership_coverage: String,
    pub coverage_note: Option<String>,
    pub size_note: Option<String>,
}

pub const ORG_SELECT: &str = "select slug, name, acronym, kind, founded_on, ended_on, predecessor, successor, membership_coverage, coverage_note, size_note from organisations";

impl OrgInfo {
    /// Every member is recorded.
    pub fn complete(&self) -> bool {
        self.membership_coverage == "complete"
    }

    /// It existed on `day`.
    pub fn existed_on(&self, day: NaiveDate) -> bool {
        self.founded_on.is_none_or(|d| d <= day) && self.ended_on.is_none_or(|d| day < d)
    }
}

/// A state as a row of the matrix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct StateInfo {
    pub code: String,
    pub name: String,
    pub region: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys<T: Serialize>(row: &T) -> Vec<String> {
        match serde_json::to_value(row).unwrap() {
            serde_json::Value::Object(m) => m.keys().cloned().collect(),
            _ => vec![],
        }
    }

    fn names(cols: &[Column]) -> Vec<String> {
        let mut v: Vec<String> = cols.iter().map(|c| c.0.to_string()).collect();
        v.push("sources".into());
        v
    }

    #[test]
    fn row_structs_serialise_exactly_their_column_lists() {
        assert_eq!(keys(&MembershipRow::default()), names(MEMBERSHIP_COLUMNS));
        assert_eq!(keys(&PartyRow::default()), names(PARTY_COLUMNS));
        let with_lineage = MembershipRow {
            lineage: Some(true),
            sources: Some("a,b".into()),
            ..Default::default()
        };
        let v = serde_json::to_value(&with_lineage).unwrap();
        assert_eq!(v["lineage"], true);
        assert_eq!(v["sources"], serde_json::json!(["a", "b"]));
    }
}
