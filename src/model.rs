//! The seven collections described once: their fields, types, keys, references and
//! dependants. Validation, SQL building and the OpenAPI document are all derived from
//! these tables, so a field added here is validated, stored, served and documented.

/// What a field holds and how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text (no NUL bytes, bounded length).
    Text,
    /// A snake_case token such as `withdrew` (open set).
    Token,
    /// One value out of a closed set.
    Enum(&'static [&'static str]),
    /// A calendar date; the named field holds its precision.
    Date {
        precision: Option<&'static str>,
    },
    /// `day` | `month` | `year`, the precision of a date field.
    Precision,
    Bool,
    Int,
    /// A reference to another collection's key (by collection name).
    Ref(&'static str),
    /// A JSON array of strings, stored as JSON text.
    Strings,
}

/// How a collection's key is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ISO 3166-1 alpha-2, upper case; alpha-3 is accepted in paths and references.
    StateCode,
    /// Lower-case `[a-z0-9-]+`.
    Slug,
    /// A server-assigned integer.
    Id,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// Must be present (and not null) on create and replace.
    pub required: bool,
    /// The value stored when the field is absent.
    pub default: Option<Default>,
    pub doc: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub enum Default {
    Text(&'static str),
    Bool(bool),
}

/// A column elsewhere that refers to this collection's key.
#[derive(Debug)]
pub struct Dependant {
    pub table: &'static str,
    pub column: &'static str,
    /// What `?cascade=true` does to the referring rows.
    pub on_cascade: OnCascade,
    /// How the dependants are named in a 409.
    pub label: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnCascade {
    Delete,
    SetNull,
}

#[derive(Debug)]
pub struct Resource {
    /// Path segment: `/v1/{name}`.
    pub name: &'static str,
    /// One item, in messages and the OpenAPI document.
    pub singular: &'static str,
    pub table: &'static str,
    pub key: &'static str,
    pub key_kind: KeyKind,
    /// Every field but the key and `sources`, in response order.
    pub fields: &'static [Field],
    /// The link table naming this fact's sources; `None` for sources themselves.
    pub sources_table: Option<&'static str>,
    pub dependants: &'static [Dependant],
    pub doc: &'static str,
}

impl Resource {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn is_fact(&self) -> bool {
        self.sources_table.is_some()
    }
}

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

const fn f(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required: false,
        default: None,
        doc,
    }
}
const fn req(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required: true,
        default: None,
        doc,
    }
}
const fn def(name: &'static str, kind: Kind, d: Default, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required: false,
        default: Some(d),
        doc,
    }
}
const fn date(name: &'static str, precision: &'static str, doc: &'static str) -> Field {
    f(
        name,
        Kind::Date {
            precision: Some(precision),
        },
        doc,
    )
}
const fn precision(name: &'static str) -> Field {
    def(
        name,
        Kind::Precision,
        Default::Text("day"),
        "How exact the date beside it is: day, month or year (stored as the first day of the period).",
    )
}
const CONFIDENCE_FIELD: Field = def(
    "confidence",
    Kind::Enum(CONFIDENCE),
    Default::Text("unverified"),
    "confirmed: a published source states it; likely: inferred or from background knowledge; unverified: no source found.",
);

pub static SOURCES: Resource = Resource {
    name: "sources",
    singular: "source",
    table: "sources",
    key: "slug",
    key_kind: KeyKind::Slug,
    fields: &[
        req("title", Kind::Text, "Title of the document or page."),
        f("url", Kind::Text, "Where to find it: a URL or a reference."),
        f("publisher", Kind::Text, "Who published it."),
        f(
            "kind",
            Kind::Enum(SOURCE_KINDS),
            "What sort of source it is.",
        ),
        f(
            "supports",
            Kind::Text,
            "What the source supports in this data.",
        ),
    ],
    sources_table: None,
    dependants: &[
        Dependant {
            table: "state_sources",
            column: "source",
            on_cascade: OnCascade::Delete,
            label: "states",
        },
        Dependant {
            table: "organisation_sources",
            column: "source",
            on_cascade: OnCascade::Delete,
            label: "organisations",
        },
        Dependant {
            table: "agreement_sources",
            column: "source",
            on_cascade: OnCascade::Delete,
            label: "agreements",
        },
        Dependant {
            table: "membership_sources",
            column: "source",
            on_cascade: OnCascade::Delete,
            label: "memberships",
        },
        Dependant {
            table: "agreement_party_sources",
            column: "source",
            on_cascade: OnCascade::Delete,
            label: "agreement parties",
        },
        Dependant {
            table: "claim_sources",
            column: "source",
            on_cascade: OnCascade::Delete,
            label: "claims",
        },
    ],
    doc: "A document that facts cite.",
};

pub static STATES: Resource = Resource {
    name: "states",
    singular: "state",
    table: "states",
    key: "code",
    key_kind: KeyKind::StateCode,
    fields: &[
        req(
            "iso3",
            Kind::Text,
            "ISO 3166-1 alpha-3 code (XNC for Northern Cyprus, from the user-assigned range).",
        ),
        f(
            "iso_numeric",
            Kind::Text,
            "ISO 3166-1 numeric code, three digits.",
        ),
        req("name", Kind::Text, "Short English name."),
        f(
            "official_name",
            Kind::Text,
            "Official name, where it differs.",
        ),
        f("region", Kind::Enum(REGIONS), "Region used for filtering."),
        def(
            "central_asian",
            Kind::Bool,
            Default::Bool(false),
            "One of the five Central Asian states.",
        ),
        f("un_member", Kind::Bool, "A member of the United Nations."),
        f("wikidata_id", Kind::Text, "Wikidata item id (Q…)."),
        f("cow_code", Kind::Int, "Correlates of War state number."),
        f("note", Kind::Text, "Remarks."),
        CONFIDENCE_FIELD,
    ],
    sources_table: Some("state_sources"),
    dependants: &[
        Dependant {
            table: "memberships",
            column: "state",
            on_cascade: OnCascade::Delete,
            label: "memberships",
        },
        Dependant {
            table: "agreement_parties",
            column: "state",
            on_cascade: OnCascade::Delete,
            label: "agreement parties",
        },
    ],
    doc: "A state, keyed by its ISO 3166-1 alpha-2 code.",
};

pub static ORGANISATIONS: Resource = Resource {
    name: "organisations",
    singular: "organisation",
    table: "organisations",
    key: "slug",
    key_kind: KeyKind::Slug,
    fields: &[
        f("acronym", Kind::Text, "Short name or acronym."),
        req("name", Kind::Text, "Full name."),
        f("aliases", Kind::Strings, "Other names it is known by."),
        f(
            "kind",
            Kind::Enum(ORG_KINDS),
            "What sort of body it is; legal_status and initiative are not pacts.",
        ),
        date("founded_on", "founded_precision", "When it was founded."),
        precision("founded_precision"),
        date("ended_on", "ended_precision", "When it ended, if it has."),
        precision("ended_precision"),
        f("headquarters", Kind::Text, "Seat or secretariat."),
        f(
            "predecessor",
            Kind::Ref("organisations"),
            "The organisation it continues (CST → CSTO, Shanghai Five → SCO).",
        ),
        f(
            "successor",
            Kind::Ref("organisations"),
            "The organisation that continues it.",
        ),
        f(
            "parent",
            Kind::Ref("organisations"),
            "The organisation that runs it (a programme of NATO, say).",
        ),
        def(
            "membership_coverage",
            Kind::Enum(COVERAGE),
            Default::Text("complete"),
            "complete: every member is recorded; partial: only some are.",
        ),
        f(
            "coverage_note",
            Kind::Text,
            "What the recorded membership leaves out.",
        ),
        f("size_note", Kind::Text, "The real size of the membership."),
        f(
            "in_article",
            Kind::Text,
            "How the seed article mentions it.",
        ),
        f("summary", Kind::Text, "What it is and does."),
        CONFIDENCE_FIELD,
    ],
    sources_table: Some("organisation_sources"),
    dependants: &[
        Dependant {
            table: "memberships",
            column: "organisation",
            on_cascade: OnCascade::Delete,
            label: "memberships",
        },
        Dependant {
            table: "agreements",
            column: "governs",
            on_cascade: OnCascade::SetNull,
            label: "agreements (governs)",
        },
        Dependant {
            table: "agreements",
            column: "founds",
            on_cascade: OnCascade::SetNull,
            label: "agreements (founds)",
        },
        Dependant {
            table: "organisations",
            column: "predecessor",
            on_cascade: OnCascade::SetNull,
            label: "organisations (predecessor)",
        },
        Dependant {
            table: "organisations",
            column: "successor",
            on_cascade: OnCascade::SetNull,
            label: "organisations (successor)",
        },
        Dependant {
            table: "organisations",
            column: "parent",
            on_cascade: OnCascade::SetNull,
            label: "organisations (parent)",
        },
    ],
    doc: "An organisation, programme, forum or format, keyed by slug.",
};

pub static AGREEMENTS: Resource = Resource {
    name: "agreements",
    singular: "agreement",
    table: "agreements",
    key: "slug",
    key_kind: KeyKind::Slug,
    fields: &[
        req("name", Kind::Text, "Full name."),
        f("short_name", Kind::Text, "Short name."),
        f(
            "kind",
            Kind::Enum(AGREEMENT_KINDS),
            "What sort of instrument it is.",
        ),
        f("place_signed", Kind::Text, "Where it was signed."),
        date("signed_on", "signed_precision", "When it was signed."),
        precision("signed_precision"),
        date(
            "in_force_on",
            "in_force_precision",
            "When it entered into force.",
        ),
        precision("in_force_precision"),
        date("ended_on", "ended_precision", "When it ended, if it has."),
        precision("ended_precision"),
        f("end_note", Kind::Text, "How it ended."),
        f(
            "governs",
            Kind::Ref("organisations"),
            "The organisation it governs.",
        ),
        f(
            "founds",
            Kind::Ref("organisations"),
            "The organisation it founded.",
        ),
        f(
            "status",
            Kind::Enum(AGREEMENT_STATUS),
            "Its legal status today.",
        ),
        f("summary", Kind::Text, "What it provides."),
        CONFIDENCE_FIELD,
    ],
    sources_table: Some("agreement_sources"),
    dependants: &[Dependant {
        table: "agreement_parties",
        column: "agreement",
        on_cascade: OnCascade::Delete,
        label: "agreement parties",
    }],
    doc: "A treaty, charter, protocol, declaration or other instrument, keyed by slug.",
};

pub static MEMBERSHIPS: Resource = Resource {
    name: "memberships",
    singular: "membership",
    table: "memberships",
    key: "id",
    key_kind: KeyKind::Id,
    fields: &[
        req(
            "state",
            Kind::Ref("states"),
            "The state (alpha-2 code; alpha-3 accepted on input).",
        ),
        req(
            "organisation",
            Kind::Ref("organisations"),
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
            Kind::Token,
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
    doc: "One period in which one state held one role in one organisation.",
};

pub static AGREEMENT_PARTIES: Resource = Resource {
    name: "agreement-parties",
    singular: "agreement party",
    table: "agreement_parties",
    key: "id",
    key_kind: KeyKind::Id,
    fields: &[
        req(
            "agreement",
            Kind::Ref("agreements"),
            "The agreement's slug.",
        ),
        req(
            "state",
            Kind::Ref("states"),
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
    doc: "A state's signature, ratification or departure for one agreement.",
};

pub static CLAIMS: Resource = Resource {
    name: "claims",
    singular: "claim",
    table: "claims",
    key: "id",
    key_kind: KeyKind::Slug,
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
    doc: "A claim of the seed article, checked against better sources.",
};

/// Every collection, in the order they are listed and seeded.
pub static RESOURCES: [&Resource; 7] = [
    &STATES,
    &ORGANISATIONS,
    &AGREEMENTS,
    &MEMBERSHIPS,
    &AGREEMENT_PARTIES,
    &SOURCES,
    &CLAIMS,
];

pub fn resource(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().copied().find(|r| r.name == name)
}

/// The fields `q=` searches in, per collection: names, acronyms and aliases.
pub fn search_fields(res: &Resource) -> &'static [&'static str] {
    match res.name {
        "states" => &["name", "official_name"],
        "organisations" => &["name", "acronym", "aliases"],
        "agreements" => &["name", "short_name"],
        "sources" => &["title", "publisher"],
        "claims" => &["section_heading", "claim", "what_is_true"],
        _ => &["note"],
    }
}

/// Kinds of organisation that are not pacts: query endpoints leave them out unless
/// `kind=` names them.
pub const NOT_PACTS: &[&str] = &["legal_status", "initiative"];
