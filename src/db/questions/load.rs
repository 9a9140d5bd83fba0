//! Everything the in-memory facts are built from, read in one transaction that sees one
//! committed state of the database, together with the data version of that state.

use std::time::Duration;

use chrono::NaiveDate;
use serde::Deserialize;

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

/// One membership as loaded.
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

/// A boolean as either backend writes it in JSON (SQLite: 0 or 1).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Int(i64),
}

/// A membership as the JSON arrays of the load carry it, in `MEMBERSHIP_FIELDS` order.
type MembershipTuple = (
    i64,
    String,
    String,
    String,
    Flag,
    NaiveDate,
    String,
    Option<NaiveDate>,
    String,
    Option<String>,
    String,
    Option<NaiveDate>,
    Option<String>,
    String,
);

impl From<MembershipTuple> for MembershipRecord {
    fn from(t: MembershipTuple) -> Self {
        MembershipRecord {
            id: t.0,
            state: t.1,
            organisation: t.2,
            role: t.3,
            founding: match t.4 {
                Flag::Bool(b) => b,
                Flag::Int(n) => n != 0,
            },
            joined_on: t.5,
            joined_precision: t.6,
            left_on: t.7,
            left_precision: t.8,
            end_reason: t.9,
            participation: t.10,
            participation_since: t.11,
            note: t.12,
            confidence: t.13,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct SourceRow {
    fact: i64,
    source: String,
    position: i64,
}

/// Rows packed as one JSON array per group: a few thousand values to decode instead of
/// hundreds of thousands of rows (the SQLite driver's cost is per row and column).
#[derive(Debug, Clone, sqlx::FromRow)]
struct Packed {
    packed: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Slug {
    slug: String,
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

const MEMBERSHIP_FIELDS: &str = "id, state, organisation, role, founding, joined_on, joined_precision, left_on, left_precision, end_reason, participation, participation_since, note, confidence";

/// `select` of `fields` of `table` packed into JSON arrays, one per group of `group`.
fn packed_select(postgres: bool, fields: &str, table: &str, group: &str) -> String {
    if postgres {
        format!(
            "select json_agg(json_build_array({fields}))::text as packed from {table} group by {group}"
        )
    } else {
        format!(
            "select json_group_array(json_array({fields})) as packed from {table} group by {group}"
        )
    }
}

fn unpack<T: serde::de::DeserializeOwned>(groups: Vec<Packed>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for g in groups {
        let rows: Vec<T> = serde_json::from_str(&g.packed)
            .map_err(|e| crate::db::Error::internal(format!("unpacking loaded rows: {e}")))?;
        out.extend(rows);
    }
    Ok(out)
}

/// Read every table the questions answer from, and the data version, as of one moment.
pub async fn load(db: &Db) -> Result<Loaded> {
    let started = std::time::Instant::now();
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
    let pg = tx.is_postgres();
    // PostgreSQL sends plain rows fastest (its json_agg costs more than it saves); the
    // SQLite driver's cost is per row and column, so SQLite packs rows into JSON arrays.
    let (memberships, mut sources): (Vec<MembershipRecord>, Vec<(i64, String, i64)>) = if pg {
        let m: Vec<MembershipRecord> = tx
            .fetch_as(format!("select {MEMBERSHIP_FIELDS} from memberships"), &[])
            .await?;
        let s: Vec<SourceRow> = tx
            .fetch_as(
                "select fact, source, position from membership_sources".into(),
                &[],
            )
            .await?;
        (
            m,
            s.into_iter()
                .map(|r| (r.fact, r.source, r.position))
                .collect(),
        )
    } else {
        let groups = tx
            .fetch_as(
                packed_select(pg, MEMBERSHIP_FIELDS, "memberships", "organisation"),
                &[],
            )
            .await?;
        let m: Vec<MembershipTuple> = unpack(groups)?;
        let groups = tx
            .fetch_as(
                packed_select(
                    pg,
                    "fact, source, position",
                    "membership_sources",
                    "fact / 4096",
                ),
                &[],
            )
            .await?;
        (m.into_iter().map(Into::into).collect(), unpack(groups)?)
    };
    let cited = started.elapsed();
    // In the order the SQL answers list them: by position, ties by slug (byte order).
    sources.sort_unstable_by(|a, b| (a.0, a.2, &a.1).cmp(&(b.0, b.2, &b.1)));
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
    tracing::debug!(
        read_ms = cited.as_millis() as u64,
        all_ms = started.elapsed().as_millis() as u64,
        "facts read"
    );
    Ok(Loaded {
        version,
        states,
        orgs,
        memberships,
        sources: sources
            .into_iter()
            .map(|(fact, slug, _)| (fact, slug))
            .collect(),
        agreements: agreements.into_iter().map(|a| a.slug).collect(),
        parties,
    })
}
