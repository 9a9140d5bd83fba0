//! The questions' SQL: members on a date (with predecessors), timelines, a state's
//! memberships, memberships held by several states, organisations and states for the
//! matrix, and agreement parties. Rows come back as typed structs.

mod load;
mod rows;

pub use load::{Loaded, MembershipRecord, StateRecord, load};

use chrono::NaiveDate;

pub use rows::{
    Column, MEMBERSHIP_COLUMNS, MembershipRow, OrgInfo, PARTY_COLUMNS, PartyRow, StateInfo,
};

use super::read::Where;
use super::{Db, Result, Val};
use crate::model::NOT_PACTS;

/// The day a question is asked about, or every period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    Date(NaiveDate),
    All,
}

impl AsOf {
    pub fn to_json(self) -> serde_json::Value {
        match self {
            AsOf::Date(d) => serde_json::Value::String(d.format("%Y-%m-%d").to_string()),
            AsOf::All => serde_json::Value::String("all".into()),
        }
    }
}

/// Filters shared by the membership questions.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub roles: Option<Vec<String>>,
    /// Organisation kinds to include; `None` means every kind except the non-pacts.
    pub kinds: Option<Vec<String>>,
    pub region: Option<String>,
    pub states: Option<Vec<String>>,
    pub organisations: Option<Vec<String>>,
}

/// Add `expr in ($a, $b, …)` for a list of text values.
fn push_in(w: &mut Where, expr: &str, values: &[String]) {
    let mut marks = Vec::new();
    for v in values {
        w.vals.push(Val::text(v.clone()));
        marks.push(format!("${}", w.vals.len()));
    }
    w.push_raw(format!("{expr} in ({})", marks.join(", ")));
}

/// Leave out the kinds of organisation that are not pacts.
fn push_pacts_only(w: &mut Where, kind: &str) {
    let list: Vec<String> = NOT_PACTS.iter().map(|k| format!("'{k}'")).collect();
    w.push_raw(format!(
        "({kind} is null or {kind} not in ({}))",
        list.join(", ")
    ));
}

/// The membership held on a date: joined on or before it, not yet left (half-open).
fn push_held(w: &mut Where, as_of: AsOf) {
    if let AsOf::Date(d) = as_of {
        w.push("m.joined_on <= {}", Val::Date(Some(d)));
        w.push("(m.left_on is null or m.left_on > {})", Val::Date(Some(d)));
    }
}

fn push_filter(w: &mut Where, f: &Filter, default_kinds: bool) {
    if let Some(roles) = &f.roles {
        push_in(w, "m.role", roles);
    }
    match &f.kinds {
        Some(kinds) => push_in(w, "o.kind", kinds),
        None if default_kinds => push_pacts_only(w, "o.kind"),
        None => {}
    }
    if let Some(region) = &f.region {
        w.push("s.region = {}", Val::text(region.clone()));
    }
    if let Some(states) = &f.states {
        push_in(w, "m.state", states);
    }
    if let Some(orgs) = &f.organisations {
        push_in(w, "m.organisation", orgs);
    }
}

/// `select` list of a row's columns, then its sources from `link` for `fact` (joined by
/// `agg`, in position order, ties by `source_order`, the slug compared byte by byte).
fn select(agg: &str, source_order: &str, cols: &[Column], link: &str, fact: &str) -> String {
    let mut select: Vec<String> = cols
        .iter()
        .map(|c| format!("{} as {}", c.expr, c.name))
        .collect();
    select.push(format!(
        "(select {agg}(l.source, ',' order by l.position, {source_order}) from {link} l where l.fact = {fact}) as sources"
    ));
    select.join(", ")
}

fn db_select(db: &Db, cols: &[Column], link: &str, fact: &str) -> String {
    select(db.string_agg(), &db.collate_c("l.source"), cols, link, fact)
}

/// Participation as it was on the day: before `participation_since` it was active.
fn on_day(rows: &mut [MembershipRow], as_of: AsOf) {
    if let AsOf::Date(d) = as_of {
        for r in rows {
            if r.participation_since.is_some_and(|since| d < since) {
                r.participation = "active".into();
            }
        }
    }
}

/// Membership rows with the state's and organisation's names, in the given order.
async fn membership_rows(db: &Db, w: &Where, order: &str) -> Result<Vec<MembershipRow>> {
    let sql = format!(
        "select {} from memberships m join states s on s.code = m.state join organisations o on o.slug = m.organisation{} order by {order}",
        db_select(db, MEMBERSHIP_COLUMNS, "membership_sources", "m.id"),
        w.sql()
    );
    db.fetch_as(sql, &w.vals).await
}

pub async fn organisation(db: &Db, slug: &str) -> Result<Option<OrgInfo>> {
    let rows = db
        .fetch_as(
            format!("{} where slug = $1", rows::ORG_SELECT),
            &[Val::text(slug)],
        )
        .await?;
    Ok(rows.into_iter().next())
}

/// Organisations in key order, optionally only some kinds.
pub async fn organisations(db: &Db, f: &Filter) -> Result<Vec<OrgInfo>> {
    let mut w = Where::default();
    match &f.kinds {
        Some(k) => push_in(&mut w, "kind", k),
        None => push_pacts_only(&mut w, "kind"),
    }
    if let Some(slugs) = &f.organisations {
        push_in(&mut w, "slug", slugs);
    }
    let sql = format!(
        "{}{} order by {}",
        rows::ORG_SELECT,
        w.sql(),
        db.collate_c("slug")
    );
    db.fetch_as(sql, &w.vals).await
}

/// The states among `codes`, or all in `region`, in code order.
pub async fn states(
    db: &Db,
    codes: Option<&[String]>,
    region: Option<&str>,
) -> Result<Vec<StateInfo>> {
    let mut w = Where::default();
    if let Some(c) = codes {
        push_in(&mut w, "code", c);
    }
    if let Some(r) = region {
        w.push("region = {}", Val::text(r));
    }
    let sql = format!(
        "select code, name, region from states{} order by {}",
        w.sql(),
        db.collate_c("code")
    );
    db.fetch_as(sql, &w.vals).await
}

/// The members of an organisation on a date. With `lineage`, a date before the
/// organisation was founded is answered from its predecessors (CSTO → CST), and every
/// period of the predecessors joins an `all` answer; such rows say `lineage: true`.
pub async fn members(
    db: &Db,
    org: &OrgInfo,
    as_of: AsOf,
    f: &Filter,
    lineage: bool,
) -> Result<Vec<MembershipRow>> {
    let mut chain = vec![org.clone()];
    if lineage {
        let mut seen = vec![org.slug.clone()];
        while let Some(p) = chain.last().and_then(|o| o.predecessor.clone()) {
            if seen.contains(&p) {
                break;
            }
            seen.push(p.clone());
            match organisation(db, &p).await? {
                Some(o) => chain.push(o),
                None => break,
            }
        }
    }
    let targets: Vec<&OrgInfo> = match as_of {
        AsOf::All => chain.iter().collect(),
        // The first organisation in the chain that existed on the date.
        AsOf::Date(d) => vec![
            chain
                .iter()
                .find(|o| o.founded_on.is_none_or(|f| f <= d))
                .unwrap_or(&chain[0]),
        ],
    };
    let slugs: Vec<String> = targets.iter().map(|o| o.slug.clone()).collect();
    let mut w = Where::default();
    push_in(&mut w, "m.organisation", &slugs);
    push_held(&mut w, as_of);
    push_filter(&mut w, f, false);
    let (state, role) = (db.collate_c("m.state"), db.collate_c("m.role"));
    let order = match as_of {
        AsOf::All => format!("m.joined_on, {state}, {role}, m.id"),
        AsOf::Date(_) => format!("{state}, {role}, m.id"),
    };
    let mut rows = membership_rows(db, &w, &order).await?;
    for r in &mut rows {
        r.lineage = Some(r.organisation != org.slug);
    }
    on_day(&mut rows, as_of);
    Ok(rows)
}

/// Every period of every state in an organisation, in date order.
pub async fn history(db: &Db, org: &OrgInfo, f: &Filter) -> Result<Vec<MembershipRow>> {
    let mut w = Where::default();
    w.push("m.organisation = {}", Val::text(org.slug.clone()));
    push_filter(&mut w, f, false);
    let order = format!(
        "m.joined_on, {}, {}, m.id",
        db.collate_c("m.state"),
        db.collate_c("m.role")
    );
    membership_rows(db, &w, &order).await
}

/// A state's memberships on a date (or all), pacts only unless `kinds` says otherwise.
pub async fn state_memberships(
    db: &Db,
    code: &str,
    as_of: AsOf,
    f: &Filter,
) -> Result<Vec<MembershipRow>> {
    let mut w = Where::default();
    w.push("m.state = {}", Val::text(code));
    push_held(&mut w, as_of);
    push_filter(&mut w, f, true);
    let order = format!(
        "m.joined_on, {}, {}, m.id",
        db.collate_c("m.organisation"),
        db.collate_c("m.role")
    );
    let mut rows = membership_rows(db, &w, &order).await?;
    on_day(&mut rows, as_of);
    Ok(rows)
}

/// Memberships held on the date by the filter's states in its organisations.
pub async fn held_by(db: &Db, as_of: AsOf, f: &Filter) -> Result<Vec<MembershipRow>> {
    let mut w = Where::default();
    push_held(&mut w, as_of);
    push_filter(&mut w, f, f.organisations.is_none());
    let order = format!(
        "{}, {}, m.joined_on, m.id",
        db.collate_c("m.organisation"),
        db.collate_c("m.state")
    );
    let mut rows = membership_rows(db, &w, &order).await?;
    on_day(&mut rows, as_of);
    Ok(rows)
}

/// Agreement party rows (former parties included) for one agreement or one state.
pub async fn parties(
    db: &Db,
    agreement: Option<&str>,
    state: Option<&str>,
) -> Result<Vec<PartyRow>> {
    let mut w = Where::default();
    if let Some(a) = agreement {
        w.push("p.agreement = {}", Val::text(a));
    }
    if let Some(s) = state {
        w.push("p.state = {}", Val::text(s));
    }
    let order = if agreement.is_some() {
        format!("{}, p.id", db.collate_c("p.state"))
    } else {
        format!(
            "case when coalesce(p.signed_on, p.ratified_on) is null then 1 else 0 end, coalesce(p.signed_on, p.ratified_on), {}, p.id",
            db.collate_c("p.agreement")
        )
    };
    let sql = format!(
        "select {} from agreement_parties p join agreements a on a.slug = p.agreement join states s on s.code = p.state{} order by {order}",
        db_select(db, PARTY_COLUMNS, "agreement_party_sources", "p.id"),
        w.sql()
    );
    db.fetch_as(sql, &w.vals).await
}
