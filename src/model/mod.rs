//! The seven collections described once: their fields, types, keys, references,
//! dependants and the rules that hold across fields (periods, overlap, uniqueness,
//! search). Validation, SQL building and the OpenAPI document are all derived from these
//! tables, so a field added here is validated, stored, served and documented, and "what
//! does POST /v1/memberships check" is answered by reading one table entry.

mod entities;
mod relations;
mod value;
pub mod vocab;

pub use entities::{AGREEMENTS, ORGANISATIONS, SOURCES, STATES};
pub use relations::{AGREEMENT_PARTIES, CLAIMS, MEMBERSHIPS};
pub use value::Val;
pub use vocab::*;

/// What a field holds and how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text (no NUL bytes, bounded length).
    Text,
    /// Text in a fixed code format (ISO alpha-3, ISO numeric, Wikidata id).
    Code(CodeFormat),
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
    /// A reference to another collection's key.
    Ref(Link),
    /// A JSON array of strings, stored as JSON text.
    Strings,
}

/// Fixed text formats some fields follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFormat {
    /// Three letters, stored upper case (ISO 3166-1 alpha-3).
    Alpha3,
    /// Three digits (ISO 3166-1 numeric).
    Numeric3,
    /// `Q` and digits.
    Wikidata,
}

impl CodeFormat {
    /// The canonical form of `s`, or what is wrong with it.
    pub fn check(self, s: &str) -> Result<String, &'static str> {
        match self {
            CodeFormat::Alpha3 if s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()) => {
                Ok(s.to_ascii_uppercase())
            }
            CodeFormat::Alpha3 => Err("must be an ISO 3166-1 alpha-3 code: three letters"),
            CodeFormat::Numeric3 if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(s.to_string())
            }
            CodeFormat::Numeric3 => Err("must be three digits, such as \"398\""),
            CodeFormat::Wikidata
                if s.len() > 1
                    && s.starts_with('Q')
                    && s[1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(s.to_string())
            }
            CodeFormat::Wikidata => Err("must be a Wikidata item id such as \"Q232\""),
        }
    }

    /// The same rule as a JSON Schema pattern.
    pub fn pattern(self) -> &'static str {
        match self {
            CodeFormat::Alpha3 => "^[A-Za-z]{3}$",
            CodeFormat::Numeric3 => "^[0-9]{3}$",
            CodeFormat::Wikidata => "^Q[0-9]+$",
        }
    }
}

/// A link to another table entry (a reference field's target). Compared by identity and
/// printed by name, so that a table may refer to itself.
#[derive(Clone, Copy)]
pub struct Link(pub &'static Resource);

impl PartialEq for Link {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}
impl Eq for Link {}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Link({})", self.0.name)
    }
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

/// Rows elsewhere that refer to this collection's key.
#[derive(Debug)]
pub struct Dependant {
    /// The collection the referring rows belong to (for a link table, the fact).
    pub owner: Link,
    pub table: &'static str,
    pub column: &'static str,
    /// The column of `table` that holds the owner's key.
    pub owner_key: &'static str,
    /// What `?cascade=true` does to the referring rows.
    pub on_cascade: OnCascade,
    /// How the dependants are named in a conflict.
    pub label: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnCascade {
    /// The referring rows are deleted.
    Delete,
    /// The reference is cleared.
    SetNull,
    /// The link to a source is removed, but never a fact's last one (refused instead).
    UnlinkKeepingOne,
}

/// A period: the end must come after the start.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub start: &'static str,
    pub end: &'static str,
    /// Two rows equal in these fields may not have overlapping periods.
    pub no_overlap: Option<&'static [&'static str]>,
    /// The period may not start before the row this reference field names began (its
    /// date field given here), or before any of that row's predecessors began.
    pub not_before: Option<(&'static str, &'static str)>,
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
    /// A column that names an item too: a key of this form in a path or reference is
    /// looked up there (a state's alpha-3 code).
    pub alt_key: Option<&'static str>,
    /// Every field but the key and `sources`, in response order.
    pub fields: &'static [Field],
    /// The link table naming this fact's sources; `None` for sources themselves.
    pub sources_table: Option<&'static str>,
    pub dependants: &'static [Dependant],
    /// Fields no two rows may share.
    pub unique: &'static [&'static str],
    pub period: Option<Period>,
    /// The field naming the row this one continues (an organisation's predecessor).
    pub lineage: Option<&'static str>,
    /// The fields `q=` searches in.
    pub search: &'static [&'static str],
    /// A key that exists in the seed data, for examples.
    pub example_key: &'static str,
    pub doc: &'static str,
}

impl Resource {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn is_fact(&self) -> bool {
        self.sources_table.is_some()
    }

    /// The fields a list can be filtered and sorted on: every scalar field.
    pub fn scalar_fields(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.kind != Kind::Strings)
    }
}

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
const fn link_table(
    owner: &'static Resource,
    table: &'static str,
    label: &'static str,
) -> Dependant {
    Dependant {
        owner: Link(owner),
        table,
        column: "source",
        owner_key: "fact",
        on_cascade: OnCascade::UnlinkKeepingOne,
        label,
    }
}
const CONFIDENCE_FIELD: Field = def(
    "confidence",
    Kind::Enum(CONFIDENCE),
    Default::Text("unverified"),
    "confirmed: a published source states it; likely: inferred or from background knowledge; unverified: no source found.",
);
