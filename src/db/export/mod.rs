//! `pacts export DIR`: the database's content as reference CSV files, in the format of
//! `seeds/reference/` (its README explains every column), so that curated changes can
//! become the next release: copy them into `seeds/reference/`, run `seeds/generate.py`.
//!
//! This is the generator's mapping run backwards. Values the reference files have no column
//! for are derived again by the generator and cannot be curated this way: a state's region
//! and official name, an organisation's parent (programmes of NATO), a state's search text.

mod cells;

use std::path::Path;

use serde_json::Value;

use self::cells::{agreement_id, all, date, numbered, org_id, s, sources, write};
use super::{Db, Error, Result};
use crate::model::{
    AGREEMENT_PARTIES, AGREEMENTS, CLAIMS, MEMBERSHIPS, ORGANISATIONS, SOURCES, STATES,
};

/// The note the generator adds to Northern Cyprus (ISO has no code for it).
const TRNC_NOTE: &str = "pacts code XN/XNC is from ISO 3166-1's user-assigned range";
/// Write every collection; returns the number of rows written.
pub async fn export(db: &Db, dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Internal(Box::new(e)))?;
    let states = all(db, &STATES).await?;
    // The reference names states by alpha-3 (Northern Cyprus: TRNC).
    let state_id = |code: &Value| -> String {
        if s(code) == "XN" {
            return "TRNC".into();
        }
        states
            .iter()
            .find(|st| st["code"] == *code)
            .map(|st| s(&st["iso3"]))
            .unwrap_or_else(|| s(code))
    };
    let mut n = 0;
    n += write(
        dir,
        "sources.csv",
        &[
            "source_id",
            "title",
            "url_or_reference",
            "publisher",
            "kind",
            "supports",
        ],
        all(db, &SOURCES)
            .await?
            .iter()
            .map(|x| {
                vec![
                    s(&x["slug"]),
                    s(&x["title"]),
                    s(&x["url"]),
                    s(&x["publisher"]),
                    s(&x["kind"]),
                    s(&x["supports"]),
                ]
            })
            .collect(),
    )?;
    n += write(
        dir,
        "states.csv",
        &[
            "state_id",
            "iso_alpha2",
            "iso_alpha3",
            "iso_numeric",
            "name",
            "wikidata_id",
            "cow_code",
            "central_asian",
            "un_member",
            "notes",
            "source_id",
            "confidence",
        ],
        states
            .iter()
            .map(|x| {
                let trnc = s(&x["code"]) == "XN";
                let note = s(&x["note"]);
                let note = if trnc {
                    note.trim_end_matches(TRNC_NOTE)
                        .trim_end_matches("; ")
                        .to_string()
                } else {
                    note
                };
                vec![
                    state_id(&x["code"]),
                    if trnc { String::new() } else { s(&x["code"]) },
                    if trnc { String::new() } else { s(&x["iso3"]) },
                    s(&x["iso_numeric"]),
                    s(&x["name"]),
                    s(&x["wikidata_id"]),
                    s(&x["cow_code"]),
                    s(&x["central_asian"]),
                    s(&x["un_member"]),
                    note,
                    sources(x),
                    s(&x["confidence"]),
                ]
            })
            .collect(),
    )?;
    n += write(
        dir,
        "organisations.csv",
        &[
            "org_id",
            "short_name",
            "full_name",
            "aliases",
            "kind",
            "founded_date",
            "founded_precision",
            "ended_date",
            "ended_precision",
            "predecessor_id",
            "successor_id",
            "founding_agreement_id",
            "headquarters",
            "membership_coverage",
            "size_note",
            "in_article",
            "source_id",
            "confidence",
            "notes",
        ],
        all(db, &ORGANISATIONS)
            .await?
            .iter()
            .map(|x| {
                let (fd, fp) = date(x, "founded_on", "founded_precision");
                let (ed, ep) = date(x, "ended_on", "ended_precision");
                let aliases = x["aliases"]
                    .as_array()
                    .map(|a| a.iter().map(s).collect::<Vec<_>>().join("; "))
                    .unwrap_or_default();
                let coverage = if x["coverage_note"].is_null() {
                    s(&x["membership_coverage"])
                } else {
                    s(&x["coverage_note"])
                };
                vec![
                    org_id(&x["slug"]),
                    s(&x["acronym"]),
                    s(&x["name"]),
                    aliases,
                    s(&x["kind"]),
                    fd,
                    fp,
                    ed,
                    ep,
                    org_id(&x["predecessor"]),
                    org_id(&x["successor"]),
                    String::new(),
                    s(&x["headquarters"]),
                    coverage,
                    s(&x["size_note"]),
                    s(&x["in_article"]),
                    sources(x),
                    s(&x["confidence"]),
                    s(&x["summary"]),
                ]
            })
            .collect(),
    )?;
    n += write(
        dir,
        "agreements.csv",
        &[
            "agreement_id",
            "short_name",
            "full_name",
            "kind",
            "place_signed",
            "date_signed",
            "signed_precision",
            "date_in_force",
            "in_force_precision",
            "date_ended",
            "ended_precision",
            "end_note",
            "governs_org_id",
            "founds_org_id",
            "status",
            "source_id",
            "confidence",
            "notes",
        ],
        all(db, &AGREEMENTS)
            .await?
            .iter()
            .map(|x| {
                let (sd, sp) = date(x, "signed_on", "signed_precision");
                let (fd, fp) = date(x, "in_force_on", "in_force_precision");
                let (ed, ep) = date(x, "ended_on", "ended_precision");
                vec![
                    agreement_id(&x["slug"]),
                    s(&x["short_name"]),
                    s(&x["name"]),
                    s(&x["kind"]),
                    s(&x["place_signed"]),
                    sd,
                    sp,
                    fd,
                    fp,
                    ed,
                    ep,
                    s(&x["end_note"]),
                    org_id(&x["governs"]),
                    org_id(&x["founds"]),
                    s(&x["status"]),
                    sources(x),
                    s(&x["confidence"]),
                    s(&x["summary"]),
                ]
            })
            .collect(),
    )?;
    n += write(
        dir,
        "memberships.csv",
        &[
            "membership_id",
            "state_id",
            "org_id",
            "role",
            "founding",
            "start_date",
            "start_precision",
            "end_date",
            "end_precision",
            "end_reason",
            "participation",
            "participation_since",
            "source_id",
            "confidence",
            "notes",
        ],
        all(db, &MEMBERSHIPS)
            .await?
            .iter()
            .map(|x| {
                let (sd, sp) = date(x, "joined_on", "joined_precision");
                let (ed, ep) = date(x, "left_on", "left_precision");
                vec![
                    numbered("M", &x["id"]),
                    state_id(&x["state"]),
                    org_id(&x["organisation"]),
                    s(&x["role"]),
                    s(&x["founding"]),
                    sd,
                    sp,
                    ed,
                    ep,
                    s(&x["end_reason"]),
                    s(&x["participation"]),
                    s(&x["participation_since"]),
                    sources(x),
                    s(&x["confidence"]),
                    s(&x["note"]),
                ]
            })
            .collect(),
    )?;
    n += write(
        dir,
        "agreement_parties.csv",
        &[
            "party_row_id",
            "agreement_id",
            "state_id",
            "party_role",
            "date_signed",
            "signed_precision",
            "date_ratified_or_acceded",
            "ratified_precision",
            "date_left",
            "left_precision",
            "left_reason",
            "source_id",
            "confidence",
            "notes",
        ],
        all(db, &AGREEMENT_PARTIES)
            .await?
            .iter()
            .map(|x| {
                let (sd, sp) = date(x, "signed_on", "signed_precision");
                let (rd, rp) = date(x, "ratified_on", "ratified_precision");
                let (ld, lp) = date(x, "left_on", "left_precision");
                vec![
                    numbered("P", &x["id"]),
                    agreement_id(&x["agreement"]),
                    state_id(&x["state"]),
                    s(&x["role"]),
                    sd,
                    sp,
                    rd,
                    rp,
                    ld,
                    lp,
                    s(&x["left_reason"]),
                    sources(x),
                    s(&x["confidence"]),
                    s(&x["note"]),
                ]
            })
            .collect(),
    )?;
    let agreements: Vec<String> = all(db, &AGREEMENTS)
        .await?
        .iter()
        .map(|a| s(&a["slug"]))
        .collect();
    n += write(
        dir,
        "article_claims.csv",
        &[
            "claim_id",
            "section_heading",
            "claim_paraphrase",
            "verdict",
            "what_is_true",
            "related_ids",
            "source_id",
            "confidence",
        ],
        all(db, &CLAIMS)
            .await?
            .iter()
            .map(|x| {
                let related = x["related"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|r| {
                                let r = s(r);
                                if states.iter().any(|st| s(&st["code"]) == r) {
                                    state_id(&Value::String(r))
                                } else if agreements.contains(&r) {
                                    agreement_id(&Value::String(r))
                                } else {
                                    r.to_ascii_uppercase()
                                }
                            })
                            .collect::<Vec<_>>()
                            .join(";")
                    })
                    .unwrap_or_default();
                vec![
                    s(&x["id"]).to_ascii_uppercase(),
                    s(&x["section_heading"]),
                    s(&x["claim"]),
                    s(&x["verdict"]),
                    s(&x["what_is_true"]),
                    related,
                    sources(x),
                    s(&x["confidence"]),
                ]
            })
            .collect(),
    )?;
    Ok(n)
}
