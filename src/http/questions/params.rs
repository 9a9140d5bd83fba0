//! One parameter struct per question, built by the [`Q`] extractor from the question's
//! [`ParamSpec`] list; the OpenAPI document lists the same specs.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::NaiveDate;

use crate::db::questions::{AsOf, Filter};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::QueryPairs;
use crate::http::format::Format;
use crate::http::params::{CsvTwin, FORMAT, ParamKind, ParamSpec, Parsed};
use crate::model::{ORG_KINDS, REGIONS, ROLES};

/// Most states or organisations one question may list.
pub const MAX_LIST: usize = 20;
/// Most states or organisations the matrix may list.
pub const MAX_MATRIX_LIST: usize = 100;

/// A question's parameters: its spec and how they are read, in the answer's format.
pub trait QuestionParams: Sized {
    const SPEC: &'static [ParamSpec];
    fn parse(p: &Parsed<'_>, format: Format) -> ApiResult<Self>;
}

/// Extracts a question's parameter struct; unknown or malformed parameters are a 400. On
/// a `.csv` twin path the answer is CSV and `format` is not a parameter.
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: QuestionParams> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let pairs = QueryPairs::parse(parts.uri.query())?;
        let twin = parts.extensions.get::<CsvTwin>().is_some();
        let spec = CsvTwin::spec(T::SPEC, twin);
        let p = Parsed::new(&pairs, &parts.headers, &spec, "this question")?;
        let format = if twin { Format::Csv } else { p.format()? };
        Ok(Q(T::parse(&p, format)?))
    }
}

/// A question's page size: every row when absent.
pub const LIMIT: ParamSpec = ParamSpec::new(
    "limit",
    ParamKind::AnswerLimit,
    "Rows per page (1 to 500); without it, every row.",
);
pub const CURSOR: ParamSpec = ParamSpec::new(
    "cursor",
    ParamKind::Cursor,
    "Opaque position from page.next_cursor.",
);

const AS_OF: ParamSpec = ParamSpec::new(
    "as_of",
    ParamKind::AsOf,
    "A date YYYY-MM-DD (default: today, UTC) or all for every period. Held on d: joined_on <= d < left_on.",
);
pub const ROLE: ParamSpec = ParamSpec::new(
    "role",
    ParamKind::List {
        vocab: Some(ROLES),
        max: ROLES.len(),
        example: "member",
    },
    "Only these roles.",
);
pub const KIND: ParamSpec = ParamSpec::new(
    "kind",
    ParamKind::List {
        vocab: Some(ORG_KINDS),
        max: ORG_KINDS.len(),
        example: "military_alliance",
    },
    "Only organisations of these kinds. Without it, legal_status and initiative are left out.",
);
pub const REGION: ParamSpec = ParamSpec::new(
    "region",
    ParamKind::OneOf(REGIONS),
    "Only states in this region.",
);
const LINEAGE: ParamSpec = ParamSpec::new(
    "lineage",
    ParamKind::Flag,
    "Follow predecessor links for dates before the organisation existed (CSTO -> CST, SCO -> Shanghai Five); such rows say lineage: true.",
);

pub fn filter(p: &Parsed<'_>) -> ApiResult<Filter> {
    Ok(Filter {
        roles: p.list("role", Some(ROLES), ROLES.len())?,
        kinds: p.list("kind", Some(ORG_KINDS), ORG_KINDS.len())?,
        region: p.one_of("region", REGIONS)?,
        states: None,
        organisations: None,
    })
}

/// `GET /v1/organisations/{key}/members`.
pub struct Members {
    pub as_of: AsOf,
    pub filter: Filter,
    pub lineage: bool,
    pub format: Format,
}

impl QuestionParams for Members {
    const SPEC: &'static [ParamSpec] = &[AS_OF, ROLE, REGION, LINEAGE, LIMIT, CURSOR, FORMAT];
    fn parse(p: &Parsed<'_>, format: Format) -> ApiResult<Self> {
        Ok(Members {
            format,
            as_of: p.as_of()?,
            filter: filter(p)?,
            lineage: p.flag("lineage")?,
        })
    }
}

/// `GET /v1/organisations/{key}/history`.
pub struct History {
    pub filter: Filter,
    pub format: Format,
}

impl QuestionParams for History {
    const SPEC: &'static [ParamSpec] = &[ROLE, REGION, LIMIT, CURSOR, FORMAT];
    fn parse(p: &Parsed<'_>, format: Format) -> ApiResult<Self> {
        Ok(History {
            format,
            filter: filter(p)?,
        })
    }
}

/// `GET /v1/states/{key}/memberships`.
pub struct StateMemberships {
    pub as_of: AsOf,
    pub filter: Filter,
    pub organisations: Option<Vec<String>>,
    pub format: Format,
}

impl QuestionParams for StateMemberships {
    const SPEC: &'static [ParamSpec] = &[
        AS_OF,
        ROLE,
        ParamSpec::new(
            "organisation",
            ParamKind::List {
                vocab: None,
                max: MAX_LIST,
                example: "csto,sco",
            },
            "Only these organisations.",
        ),
        KIND,
        LIMIT,
        CURSOR,
        FORMAT,
    ];
    fn parse(p: &Parsed<'_>, format: Format) -> ApiResult<Self> {
        Ok(StateMemberships {
            format,
            as_of: p.as_of()?,
            filter: filter(p)?,
            organisations: p.list("organisation", None, MAX_LIST)?,
        })
    }
}

/// The questions that take only `format`: a state's agreements, an agreement's parties.
pub struct FormatOnly {
    pub format: Format,
}

impl QuestionParams for FormatOnly {
    const SPEC: &'static [ParamSpec] = &[LIMIT, CURSOR, FORMAT];
    fn parse(_: &Parsed<'_>, format: Format) -> ApiResult<Self> {
        Ok(FormatOnly { format })
    }
}

/// `GET /v1/shared`.
pub struct Shared {
    pub states: Vec<String>,
    pub as_of: AsOf,
    pub filter: Filter,
    pub format: Format,
}

impl QuestionParams for Shared {
    const SPEC: &'static [ParamSpec] = &[
        ParamSpec::new(
            "states",
            ParamKind::List {
                vocab: None,
                max: MAX_LIST,
                example: "KZ,KG",
            },
            "At most 20 states (alpha-2 or alpha-3).",
        )
        .required(),
        AS_OF,
        ROLE,
        KIND,
        LIMIT,
        CURSOR,
        FORMAT,
    ];
    fn parse(p: &Parsed<'_>, format: Format) -> ApiResult<Self> {
        Ok(Shared {
            format,
            states: p.required_list("states", MAX_LIST, "KZ,KG")?,
            as_of: p.as_of()?,
            filter: filter(p)?,
        })
    }
}

/// `GET /v1/overlap`.
pub struct Overlap {
    pub organisations: Vec<String>,
    pub as_of: AsOf,
    pub filter: Filter,
    pub format: Format,
}

impl QuestionParams for Overlap {
    const SPEC: &'static [ParamSpec] = &[
        ParamSpec::new(
            "organisations",
            ParamKind::List {
                vocab: None,
                max: MAX_LIST,
                example: "csto,sco",
            },
            "At most 20 organisation slugs.",
        )
        .required(),
        AS_OF,
        ROLE,
        LIMIT,
        CURSOR,
        FORMAT,
    ];
    fn parse(p: &Parsed<'_>, format: Format) -> ApiResult<Self> {
        Ok(Overlap {
            format,
            organisations: p.required_list("organisations", MAX_LIST, "csto,sco")?,
            as_of: p.as_of()?,
            filter: filter(p)?,
        })
    }
}

/// `GET /v1/matrix`.
pub struct Matrix {
    pub day: NaiveDate,
    pub states: Option<Vec<String>>,
    pub organisations: Option<Vec<String>>,
    pub filter: Filter,
    pub format: Format,
}

impl QuestionParams for Matrix {
    const SPEC: &'static [ParamSpec] = &[
        ParamSpec::new(
            "as_of",
            ParamKind::Day,
            "The day (default today, UTC); all is not accepted.",
        ),
        ParamSpec::new(
            "states",
            ParamKind::List {
                vocab: None,
                max: MAX_MATRIX_LIST,
                example: "KZ,UZ",
            },
            "Rows (at most 100); default: every state with a cell.",
        ),
        ParamSpec::new(
            "organisations",
            ParamKind::List {
                vocab: None,
                max: MAX_MATRIX_LIST,
                example: "csto,sco",
            },
            "Columns (at most 100); default: every pact existing on the day.",
        ),
        REGION,
        KIND,
        ROLE,
        LIMIT,
        CURSOR,
        FORMAT,
    ];
    fn parse(p: &Parsed<'_>, format: Format) -> ApiResult<Self> {
        let AsOf::Date(day) = p.as_of()? else {
            return Err(ApiError::BadRequest(
                "as_of: the matrix shows one day; give a date YYYY-MM-DD (or leave it out for today)."
                    .into(),
            ));
        };
        Ok(Matrix {
            day,
            format,
            filter: filter(p)?,
            states: p.list("states", None, MAX_MATRIX_LIST)?,
            organisations: p.list("organisations", None, MAX_MATRIX_LIST)?,
        })
    }
}
