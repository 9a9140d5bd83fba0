//! Everything the in-memory facts are built from, read in one transaction that sees one
//! committed state of the database, together with the data version of that state.

use std::time::Duration;

use chrono::NaiveDate;

use super::rows::{ORG_SELECT, OrgInfo, PartyRow};
use super::{PARTY_COLUMNS, select};
use crate::db::{Db, Result};

/// How long one statement of a load may take: at 1000 times the seed, the memberships
/// are 338,000 rows.
const LOAD_STATEMENT_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StateRecord {
    pub code: String,
    pub iso3: String,
    pub name: String,
    pub region: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MembershipRecord {
    pub id: i64,
    pub state: String,
    pub organisation: String,
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
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Slug {
    slug: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Cited {
    fact: i64,
    source: String,
}

/// The tables as loaded; the snapshot indexes them.
#[derive(Debug, Default)]
pub struct Loaded {
    pub version: i64,
    pub states: Vec<StateRecord>,
    pub orgs: Vec<OrgInfo>,
    pub memberships: Vec<MembershipRecord>,
    /// (membership id, source slug), by membership and position.
    pub sources: Vec<(i64, String)>,
    pub agreements: Vec<String>,
    pub parties: Vec<PartyRow>,
}

const MEMBERSHIP_SELECT: &str = "select id, state, organisation, role, founding, joined_on, joined_precision, left_on, left_precision, end_reason, participation, participation_since, note, confidence from memberships";

/// Read every table the questions answer from, and the data version, as of one moment.
pub async fn load(db: &Db) -> Result<Loaded> {
    let mut tx = db.begin_snapshot().await?;
    tx.allow_statements_of(LOAD_STATEMENT_LIMIT).await?;
    // The first read fixes the snapshot (SQLite) and the version belongs to it.
    let version = tx
        .fetch_one_int("select cast(sum(version) as bigint) from data_version", &[])
        .await?;
    let states = tx
        .fetch_as("select code, iso3, name, region from states".into(), &[])
        .await?;
    let orgs = tx.fetch_as(ORG_SELECT.into(), &[]).await?;
    let memberships = tx.fetch_as(MEMBERSHIP_SELECT.into(), &[]).await?;
    let order = format!("fact, position, {}", tx.collate_c("source"));
    let sources: Vec<Cited> = tx
        .fetch_as(
            format!("select fact, source from membership_sources order by {order}"),
            &[],
        )
        .await?;
    let agreements: Vec<Slug> = tx
        .fetch_as("select slug from agreements".into(), &[])
        .await?;
    let parties = tx
        .fetch_as(
            format!(
                "select {} from agreement_parties p join agreements a on a.slug = p.agreement join states s on s.code = p.state",
                select(tx.string_agg(), &tx.collate_c("l.source"), PARTY_COLUMNS, "agreement_party_sources", "p.id")
            ),
            &[],
        )
        .await?;
    tx.commit().await?;
    Ok(Loaded {
        version,
        states,
        orgs,
        memberships,
        sources: sources.into_iter().map(|c| (c.fact, c.source)).collect(),
        agreements: agreements.into_iter().map(|a| a.slug).collect(),
        parties,
    })
}
