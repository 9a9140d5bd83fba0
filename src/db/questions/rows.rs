//! The fixed-shape rows the questions answer with. Each struct is decoded by column name
//! and serialised as served; its column list (name, SQL expression, type, nullable) builds
//! the `select`, the CSV header and the OpenAPI row schema, and a test keeps the two equal.

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

use crate::db::Col;
use crate::model::{
    AGREEMENT_KINDS, AGREEMENT_STATUS, CONFIDENCE, COVERAGE, END_REASONS, ORG_KINDS, PARTICIPATION,
    PARTY_ROLES, PRECISION, REGIONS, ROLES,
};

/// A column of a question row: its name, the SQL that computes it, its type, whether it
/// can be null, and the vocabulary its values come from.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub expr: &'static str,
    pub col: Col,
    pub nullable: bool,
    pub vocab: Option<&'static [&'static str]>,
}

const fn c(name: &'static str, expr: &'static str, col: Col, nullable: bool) -> Column {
    Column {
        name,
        expr,
        col,
        nullable,
        vocab: None,
    }
}

/// A text column whose values come from a vocabulary.
const fn v(
    name: &'static str,
    expr: &'static str,
    vocab: &'static [&'static str],
    nullable: bool,
) -> Column {
    Column {
        name,
        expr,
        col: Col::Text,
        nullable,
        vocab: Some(vocab),
    }
}

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
    c("membership_id", "m.id", Col::Int, false),
    c("state", "m.state", Col::Text, false),
    c("state_name", "s.name", Col::Text, false),
    v("region", "s.region", REGIONS, true),
    c("organisation", "m.organisation", Col::Text, false),
    c("organisation_name", "o.name", Col::Text, false),
    c("acronym", "o.acronym", Col::Text, true),
    v("kind", "o.kind", ORG_KINDS, true),
    v(
        "membership_coverage",
        "o.membership_coverage",
        COVERAGE,
        false,
    ),
    v("role", "m.role", ROLES, false),
    c("founding", "m.founding", Col::Bool, false),
    c("joined_on", "m.joined_on", Col::Date, false),
    v("joined_precision", "m.joined_precision", PRECISION, false),
    c("left_on", "m.left_on", Col::Date, true),
    v("left_precision", "m.left_precision", PRECISION, false),
    v("end_reason", "m.end_reason", END_REASONS, true),
    v("participation", "m.participation", PARTICIPATION, false),
    c(
        "participation_since",
        "m.participation_since",
        Col::Date,
        true,
    ),
    c("note", "m.note", Col::Text, true),
    v("confidence", "m.confidence", CONFIDENCE, false),
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
    c("party_id", "p.id", Col::Int, false),
    c("agreement", "p.agreement", Col::Text, false),
    c("agreement_name", "a.name", Col::Text, false),
    c("short_name", "a.short_name", Col::Text, true),
    v("agreement_kind", "a.kind", AGREEMENT_KINDS, true),
    v("agreement_status", "a.status", AGREEMENT_STATUS, true),
    c("state", "p.state", Col::Text, false),
    c("state_name", "s.name", Col::Text, false),
    v("role", "p.role", PARTY_ROLES, false),
    c("signed_on", "p.signed_on", Col::Date, true),
    v("signed_precision", "p.signed_precision", PRECISION, false),
    c("ratified_on", "p.ratified_on", Col::Date, true),
    v(
        "ratified_precision",
        "p.ratified_precision",
        PRECISION,
        false,
    ),
    c("left_on", "p.left_on", Col::Date, true),
    v("left_precision", "p.left_precision", PRECISION, false),
    c("left_reason", "p.left_reason", Col::Text, true),
    c("note", "p.note", Col::Text, true),
    v("confidence", "p.confidence", CONFIDENCE, false),
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
        let mut names: Vec<String> = cols.iter().map(|c| c.name.to_string()).collect();
        names.push("sources".into());
        names
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
