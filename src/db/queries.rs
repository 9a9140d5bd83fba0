//! The membership questions: who held what on a date, timelines, shared pacts, overlap,
//! the matrix, and agreement parties. Rows come back as JSON objects ready to serve.

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::crud::Where;
use super::{Col, Db, Val};
use crate::model::{NOT_PACTS, ROLES};

/// The day a question is asked about, or every period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    Date(NaiveDate),
    All,
}

impl AsOf {
    pub fn to_json(self) -> Value {
        match self {
            AsOf::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
            AsOf::All => Value::String("all".into()),
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

const MEMBERSHIP_COLS: &[(&str, &str, Col)] = &[
    ("membership_id", "m.id", Col::Int),
    ("state", "m.state", Col::Text),
    ("state_name", "s.name", Col::Text),
    ("region", "s.region", Col::Text),
    ("organisation", "m.organisation", Col::Text),
    ("organisation_name", "o.name", Col::Text),
    ("acronym", "o.acronym", Col::Text),
    ("kind", "o.kind", Col::Text),
    ("membership_coverage", "o.membership_coverage", Col::Text),
    ("role", "m.role", Col::Text),
    ("founding", "m.founding", Col::Bool),
    ("joined_on", "m.joined_on", Col::Date),
    ("joined_precision", "m.joined_precision", Col::Text),
    ("left_on", "m.left_on", Col::Date),
    ("left_precision", "m.left_precision", Col::Text),
    ("end_reason", "m.end_reason", Col::Text),
    ("participation", "m.participation", Col::Text),
    ("participation_since", "m.participation_since", Col::Date),
    ("note", "m.note", Col::Text),
    ("confidence", "m.confidence", Col::Text),
];

fn sources_json(v: &Val) -> Value {
    Value::Array(
        v.as_text()
            .map(|s| s.split(',').map(|x| Value::String(x.to_string())).collect())
            .unwrap_or_default(),
    )
}

/// The columns of a membership row, in order, with their types (then `sources`).
pub fn membership_row_columns() -> impl Iterator<Item = (&'static str, Col)> {
    MEMBERSHIP_COLS.iter().map(|(n, _, c)| (*n, *c))
}

/// The columns of an agreement-party row, in order, with their types (then `sources`).
pub fn party_row_columns() -> impl Iterator<Item = (&'static str, Col)> {
    PARTY_COLS.iter().map(|(n, _, c)| (*n, *c))
}

/// Rows of `(name, expression, type)` columns followed by a sources column, as objects.
fn rows_json(cols: &[(&str, &str, Col)], rows: &super::Rows) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            let mut m = Map::new();
            for (i, (name, _, _)) in cols.iter().enumerate() {
                m.insert((*name).into(), r[i].to_json());
            }
            m.insert("sources".into(), sources_json(&r[cols.len()]));
            Value::Object(m)
        })
        .collect()
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
        None if default_kinds => w.push_raw(format!(
            "(o.kind is null or o.kind not in ({}))",
            NOT_PACTS
                .iter()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
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

/// Membership rows with the state's and organisation's names, in the given order.
async fn membership_rows(db: &Db, w: &Where, order: &str) -> Result<Vec<Value>, sqlx::Error> {
    let mut select: Vec<String> = MEMBERSHIP_COLS
        .iter()
        .map(|(_, e, _)| e.to_string())
        .collect();
    select.push(format!(
        "(select {}(l.source, ',' order by l.position) from membership_sources l where l.fact = m.id)",
        db.string_agg()
    ));
    let mut cols: Vec<Col> = MEMBERSHIP_COLS.iter().map(|(_, _, c)| *c).collect();
    cols.push(Col::Text);
    let sql = format!(
        "select {} from memberships m join states s on s.code = m.state join organisations o on o.slug = m.organisation{} order by {order}",
        select.join(", "),
        w.sql()
    );
    let rows = db.fetch(sql, &w.vals, &cols).await?;
    Ok(rows_json(MEMBERSHIP_COLS, &rows))
}

/// What the questions need to know of an organisation.
#[derive(Debug, Clone)]
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

impl OrgInfo {
    pub fn to_json(&self) -> Value {
        json!({
            "slug": self.slug, "name": self.name, "acronym": self.acronym, "kind": self.kind,
            "founded_on": self.founded_on, "ended_on": self.ended_on,
            "predecessor": self.predecessor, "successor": self.successor,
            "membership_coverage": self.membership_coverage, "coverage_note": self.coverage_note,
            "size_note": self.size_note,
        })
    }
}

const ORG_SELECT: &str = "select slug, name, acronym, kind, founded_on, ended_on, predecessor, successor, membership_coverage, coverage_note, size_note from organisations";
const ORG_COLS: &[Col] = &[
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Date,
    Col::Date,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Text,
];

fn org_of(r: &[Val]) -> OrgInfo {
    let t = |i: usize| r[i].as_text().map(str::to_string);
    let d = |i: usize| match r[i] {
        Val::Date(x) => x,
        _ => None,
    };
    OrgInfo {
        slug: t(0).unwrap_or_default(),
        name: t(1).unwrap_or_default(),
        acronym: t(2),
        kind: t(3),
        founded_on: d(4),
        ended_on: d(5),
        predecessor: t(6),
        successor: t(7),
        membership_coverage: t(8).unwrap_or_default(),
        coverage_note: t(9),
        size_note: t(10),
    }
}

pub async fn organisation(db: &Db, slug: &str) -> Result<Option<OrgInfo>, sqlx::Error> {
    let rows = db
        .fetch(
            format!("{ORG_SELECT} where slug = $1"),
            &[Val::text(slug)],
            ORG_COLS,
        )
        .await?;
    Ok(rows.first().map(|r| org_of(r)))
}

/// Organisations in key order, optionally only some kinds.
pub async fn organisations(db: &Db, f: &Filter) -> Result<Vec<OrgInfo>, sqlx::Error> {
    let mut w = Where::default();
    match &f.kinds {
        Some(k) => push_in(&mut w, "kind", k),
        None => w.push_raw(format!(
            "(kind is null or kind not in ({}))",
            NOT_PACTS
                .iter()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    if let Some(slugs) = &f.organisations {
        push_in(&mut w, "slug", slugs);
    }
    let sql = format!("{ORG_SELECT}{} order by {}", w.sql(), db.collate_c("slug"));
    Ok(db
        .fetch(sql, &w.vals, ORG_COLS)
        .await?
        .iter()
        .map(|r| org_of(r))
        .collect())
}

/// The states (code, name, region) among `codes`, or all in `region`, in code order.
pub async fn states(
    db: &Db,
    codes: Option<&[String]>,
    region: Option<&str>,
) -> Result<Vec<(String, String, Option<String>)>, sqlx::Error> {
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
    let rows = db
        .fetch(sql, &w.vals, &[Col::Text, Col::Text, Col::Text])
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let t = |i: usize| r[i].as_text().map(str::to_string);
            (t(0).unwrap_or_default(), t(1).unwrap_or_default(), t(2))
        })
        .collect())
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
) -> Result<Vec<Value>, sqlx::Error> {
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
        AsOf::Date(d) => {
            // The first organisation in the chain that existed on the date.
            let pick = chain
                .iter()
                .find(|o| o.founded_on.is_none_or(|f| f <= d))
                .unwrap_or(&chain[0]);
            vec![pick]
        }
    };
    let slugs: Vec<String> = targets.iter().map(|o| o.slug.clone()).collect();
    let mut w = Where::default();
    push_in(&mut w, "m.organisation", &slugs);
    push_held(&mut w, as_of);
    push_filter(&mut w, f, false);
    let order = match as_of {
        AsOf::All => format!("m.joined_on, {}, m.role", db.collate_c("m.state")),
        AsOf::Date(_) => format!("{}, m.role", db.collate_c("m.state")),
    };
    let mut rows = membership_rows(db, &w, &order).await?;
    for r in &mut rows {
        let via = r["organisation"].as_str() != Some(org.slug.as_str());
        r["lineage"] = Value::Bool(via);
    }
    Ok(rows)
}

/// Every period of every state in an organisation, in date order.
pub async fn history(db: &Db, org: &OrgInfo, f: &Filter) -> Result<Vec<Value>, sqlx::Error> {
    let mut w = Where::default();
    w.push("m.organisation = {}", Val::text(org.slug.clone()));
    push_filter(&mut w, f, false);
    membership_rows(
        db,
        &w,
        &format!("m.joined_on, {}, m.role", db.collate_c("m.state")),
    )
    .await
}

/// A state's memberships on a date (or all), pacts only unless `kinds` says otherwise.
pub async fn state_memberships(
    db: &Db,
    code: &str,
    as_of: AsOf,
    f: &Filter,
) -> Result<Vec<Value>, sqlx::Error> {
    let mut w = Where::default();
    w.push("m.state = {}", Val::text(code));
    push_held(&mut w, as_of);
    push_filter(&mut w, f, true);
    membership_rows(
        db,
        &w,
        &format!("m.joined_on, {}, m.role", db.collate_c("m.organisation")),
    )
    .await
}

/// Memberships of the listed states held on the date, for `shared`.
pub async fn held_by(db: &Db, as_of: AsOf, f: &Filter) -> Result<Vec<Value>, sqlx::Error> {
    let mut w = Where::default();
    push_held(&mut w, as_of);
    push_filter(&mut w, f, f.organisations.is_none());
    membership_rows(
        db,
        &w,
        &format!(
            "{}, {}, m.joined_on",
            db.collate_c("m.organisation"),
            db.collate_c("m.state")
        ),
    )
    .await
}

/// The strongest role a state holds when it holds several in one organisation on a day.
pub fn role_rank(role: &str) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap_or(ROLES.len())
}

const PARTY_COLS: &[(&str, &str, Col)] = &[
    ("party_id", "p.id", Col::Int),
    ("agreement", "p.agreement", Col::Text),
    ("agreement_name", "a.name", Col::Text),
    ("short_name", "a.short_name", Col::Text),
    ("agreement_kind", "a.kind", Col::Text),
    ("agreement_status", "a.status", Col::Text),
    ("state", "p.state", Col::Text),
    ("state_name", "s.name", Col::Text),
    ("role", "p.role", Col::Text),
    ("signed_on", "p.signed_on", Col::Date),
    ("signed_precision", "p.signed_precision", Col::Text),
    ("ratified_on", "p.ratified_on", Col::Date),
    ("ratified_precision", "p.ratified_precision", Col::Text),
    ("left_on", "p.left_on", Col::Date),
    ("left_precision", "p.left_precision", Col::Text),
    ("left_reason", "p.left_reason", Col::Text),
    ("note", "p.note", Col::Text),
    ("confidence", "p.confidence", Col::Text),
];

/// Agreement party rows (former parties included) for one agreement or one state.
pub async fn parties(
    db: &Db,
    agreement: Option<&str>,
    state: Option<&str>,
) -> Result<Vec<Value>, sqlx::Error> {
    let mut w = Where::default();
    if let Some(a) = agreement {
        w.push("p.agreement = {}", Val::text(a));
    }
    if let Some(s) = state {
        w.push("p.state = {}", Val::text(s));
    }
    let mut select: Vec<String> = PARTY_COLS.iter().map(|(_, e, _)| e.to_string()).collect();
    select.push(format!(
        "(select {}(l.source, ',' order by l.position) from agreement_party_sources l where l.fact = p.id)",
        db.string_agg()
    ));
    let mut cols: Vec<Col> = PARTY_COLS.iter().map(|(_, _, c)| *c).collect();
    cols.push(Col::Text);
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
        select.join(", "),
        w.sql()
    );
    let rows = db.fetch(sql, &w.vals, &cols).await?;
    Ok(rows_json(PARTY_COLS, &rows))
}
