//! The collections that relate others: memberships, agreement parties, and the seed
//! article's checked claims.

use super::entities::{AGREEMENTS, ORGANISATIONS, STATES};
use super::*;

pub static MEMBERSHIPS: Resource = Resource {
    name: "memberships",
    singular: "membership",
    table: "memberships",
    key: "id",
    key_kind: KeyKind::Id,
    alt_key: None,
    fields: &[
        req(
            "state",
            Kind::Ref(Link(&STATES)),
            "The state (alpha-2 code; alpha-3 accepted on input).",
        ),
        req(
            "organisation",
            Kind::Ref(Link(&ORGANISATIONS)),
            "The organisation's slug.",
        ),
        req(
            "role",
            Kind::Enum(ROLES),
            "The role held during this period.",
        ),
        def(
            "founding",
            Kind::Bool,
            Default::Bool(false),
            "Held from the organisation's creation.",
        ),
        Field {
            name: "joined_on",
            kind: Kind::Date {
                precision: Some("joined_precision"),
            },
            required: true,
            default: None,
            doc: "First day of the period (included).",
        },
        precision("joined_precision"),
        date(
            "left_on",
            "left_precision",
            "Day the period ended (not included); null while it lasts.",
        ),
        precision("left_precision"),
        f(
            "end_reason",
            Kind::Enum(END_REASONS),
            "Why the period ended (withdrew, upgraded_to_member, …).",
        ),
        def(
            "participation",
            Kind::Enum(PARTICIPATION),
            Default::Text("active"),
            "Actual participation while the legal membership goes on.",
        ),
        f(
            "participation_since",
            Kind::Date { precision: None },
            "Since when the participation value holds.",
        ),
        f("note", Kind::Text, "Remarks."),
        CONFIDENCE_FIELD,
    ],
    sources_table: Some("membership_sources"),
    dependants: &[],
    unique: &[],
    period: Some(Period {
        start: "joined_on",
        end: "left_on",
        no_overlap: Some(&["state", "organisation", "role"]),
        not_before: Some(("organisation", "founded_on")),
    }),
    lineage: None,
    search: &["note"],
    example_key: "1",
    doc: "One period in which one state held one role in one organisation.",
};

pub static AGREEMENT_PARTIES: Resource = Resource {
    name: "agreement-parties",
    singular: "agreement party",
    table: "agreement_parties",
    key: "id",
    key_kind: KeyKind::Id,
    alt_key: None,
    fields: &[
        req(
            "agreement",
            Kind::Ref(Link(&AGREEMENTS)),
            "The agreement's slug.",
        ),
        req(
            "state",
            Kind::Ref(Link(&STATES)),
            "The state (alpha-2 code; alpha-3 accepted on input).",
        ),
        req(
            "role",
            Kind::Enum(PARTY_ROLES),
            "How the state stands to the agreement.",
        ),
        date("signed_on", "signed_precision", "When the state signed."),
        precision("signed_precision"),
        date(
            "ratified_on",
            "ratified_precision",
            "When it ratified or acceded.",
        ),
        precision("ratified_precision"),
        date("left_on", "left_precision", "When it left (not included)."),
        precision("left_precision"),
        f("left_reason", Kind::Token, "Why it left."),
        f("note", Kind::Text, "Remarks."),
        CONFIDENCE_FIELD,
    ],
    sources_table: Some("agreement_party_sources"),
    dependants: &[],
    unique: &[],
    period: Some(Period {
        start: "signed_on",
        end: "left_on",
        no_overlap: None,
        not_before: Some(("agreement", "signed_on")),
    }),
    lineage: None,
    search: &["note"],
    example_key: "1",
    doc: "A state's signature, ratification or departure for one agreement.",
};

pub static CLAIMS: Resource = Resource {
    name: "claims",
    singular: "claim",
    table: "claims",
    key: "id",
    key_kind: KeyKind::Slug,
    alt_key: None,
    fields: &[
        req(
            "section_heading",
            Kind::Text,
            "The seed article's section the claim stands in.",
        ),
        req(
            "claim",
            Kind::Text,
            "A paraphrase of what the article says.",
        ),
        req("verdict", Kind::Enum(VERDICTS), "How the claim holds up."),
        f("what_is_true", Kind::Text, "What the better sources say."),
        f(
            "related",
            Kind::Strings,
            "Slugs and state codes the claim concerns.",
        ),
        CONFIDENCE_FIELD,
    ],
    sources_table: Some("claim_sources"),
    dependants: &[],
    unique: &[],
    period: None,
    lineage: None,
    search: &["section_heading", "claim", "what_is_true"],
    example_key: "c01",
    doc: "A claim of the seed article, checked against better sources.",
};
