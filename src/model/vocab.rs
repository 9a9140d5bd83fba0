//! The closed vocabularies fields are checked against.

pub const CONFIDENCE: &[&str] = &["confirmed", "likely", "unverified"];
pub const PRECISION: &[&str] = &["day", "month", "year"];
pub const REGIONS: &[&str] = &[
    "central_asia",
    "caucasus",
    "europe",
    "east_asia",
    "south_asia",
    "southeast_asia",
    "middle_east",
    "north_america",
    "caribbean",
    "south_america",
    "africa",
    "oceania",
];
pub const ORG_KINDS: &[&str] = &[
    "military_alliance",
    "regional_organisation",
    "economic_union",
    "programme",
    "dialogue_forum",
    "dialogue_format",
    "confidence_building_forum",
    "initiative",
    "legal_status",
];
/// Kinds of organisation that are not pacts: questions leave them out unless `kind=`
/// names them.
pub const NOT_PACTS: &[&str] = &["legal_status", "initiative"];
pub const COVERAGE: &[&str] = &["complete", "partial"];
pub const AGREEMENT_KINDS: &[&str] = &[
    "treaty",
    "charter",
    "protocol",
    "convention",
    "declaration",
    "joint_declaration",
    "framework_document",
    "bilateral_agreement",
    "accession_treaty",
    "agreement",
    "un_resolution",
];
pub const AGREEMENT_STATUS: &[&str] = &[
    "in_force",
    "signed",
    "spent",
    "superseded",
    "terminated",
    "unknown",
];
/// Membership roles, strongest first (a state holding two roles in one organisation on
/// one day is shown with the first of them).
pub const ROLES: &[&str] = &[
    "member",
    "associate_member",
    "observer",
    "dialogue_partner",
    "partner",
    "participating_state",
    "participant",
    "pa_observer",
    "holder",
];
pub const PARTICIPATION: &[&str] = &["active", "frozen", "suspended", "inactive"];
/// Why a membership period ended (release 2 added the last two).
pub const END_REASONS: &[&str] = &[
    "withdrew",
    "not_renewed",
    "suspended",
    "lapsed",
    "ceased_participation",
    "upgraded_to_member",
    "upgraded_to_observer",
    "changed_to_associate_member",
    "status_merged_into_partner",
    "became_nato_ally",
    "transformed_into_csto",
    "succeeded_by_sco",
    "organisation_terminated",
    "merged_into_eurasec",
];
/// What each end reason means: the state left (`exit`), moved to another role or
/// organisation (`transition`), or the organisation itself ended (`end_of_organisation`).
pub const END_REASON_CATEGORIES: &[(&str, &str)] = &[
    ("withdrew", "exit"),
    ("not_renewed", "exit"),
    ("suspended", "exit"),
    ("lapsed", "exit"),
    ("ceased_participation", "exit"),
    ("upgraded_to_member", "transition"),
    ("upgraded_to_observer", "transition"),
    ("changed_to_associate_member", "transition"),
    ("status_merged_into_partner", "transition"),
    ("became_nato_ally", "transition"),
    ("transformed_into_csto", "end_of_organisation"),
    ("succeeded_by_sco", "end_of_organisation"),
    ("organisation_terminated", "end_of_organisation"),
    ("merged_into_eurasec", "end_of_organisation"),
];
pub const END_CATEGORIES: &[&str] = &["exit", "transition", "end_of_organisation"];

/// The category of an end reason.
pub fn end_category(reason: &str) -> Option<&'static str> {
    END_REASON_CATEGORIES
        .iter()
        .find(|(r, _)| *r == reason)
        .map(|(_, c)| *c)
}

/// What a dated event in a membership's life is.
pub const EVENT_KINDS: &[&str] = &[
    "join",
    "exit",
    "role_change",
    "succession",
    "participation_change",
];

pub const PARTY_ROLES: &[&str] = &[
    "party",
    "signatory",
    "subject",
    "host",
    "acceded",
    "guarantor",
];
pub const SOURCE_KINDS: &[&str] = &[
    "article",
    "official",
    "official_copy",
    "news",
    "wikipedia",
    "wikipedia_mirror",
    "data",
    "database",
    "knowledge",
    "negative_result",
    "analysis",
    "reference",
];
pub const VERDICTS: &[&str] = &[
    "correct",
    "correct_but_imprecise",
    "correct_but_incomplete",
    "vague",
    "misleading",
    "wrong",
    "unverifiable",
];

/// Every closed vocabulary with the name it has in the OpenAPI document.
pub const VOCABULARIES: &[(&str, &[&str])] = &[
    ("Confidence", CONFIDENCE),
    ("Precision", PRECISION),
    ("Region", REGIONS),
    ("OrganisationKind", ORG_KINDS),
    ("Coverage", COVERAGE),
    ("AgreementKind", AGREEMENT_KINDS),
    ("AgreementStatus", AGREEMENT_STATUS),
    ("Role", ROLES),
    ("Participation", PARTICIPATION),
    ("EndReason", END_REASONS),
    ("EndCategory", END_CATEGORIES),
    ("EventKind", EVENT_KINDS),
    ("PartyRole", PARTY_ROLES),
    ("SourceKind", SOURCE_KINDS),
    ("Verdict", VERDICTS),
];

/// The name of a vocabulary (compared by its values).
pub fn vocabulary_name(set: &[&str]) -> Option<&'static str> {
    VOCABULARIES
        .iter()
        .find(|(_, v)| *v == set)
        .map(|(n, _)| *n)
}

/// The strongest role a state holds when it holds several in one organisation on a day.
pub fn role_rank(role: &str) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap_or(ROLES.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_end_reason_has_one_category() {
        for r in END_REASONS {
            let c = end_category(r).unwrap_or_else(|| panic!("{r} has no category"));
            assert!(END_CATEGORIES.contains(&c));
        }
        assert_eq!(END_REASON_CATEGORIES.len(), END_REASONS.len());
    }
}
