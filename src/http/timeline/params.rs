//! Parameters of the time questions: events, counts and diff.

use chrono::NaiveDate;

use crate::db::questions::Filter;
use crate::http::error::{ApiError, ApiResult};
use crate::http::format::Format;
use crate::http::params::{FORMAT, ParamKind, ParamSpec, Parsed};
use crate::http::questions::params::{
    CURSOR, KIND, LIMIT, MAX_LIST, MAX_MATRIX_LIST, QuestionParams, REGION, ROLE, filter,
};
use crate::model::{EVENT_KINDS, REGIONS};

/// `GET /v1/events`.
pub struct Events {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub organisations: Option<Vec<String>>,
    pub states: Option<Vec<String>>,
    pub region: Option<String>,
    pub kinds: Option<Vec<String>>,
    pub format: Format,
}

impl QuestionParams for Events {
    const SPEC: &'static [ParamSpec] = &[
        ParamSpec::new("from", ParamKind::Date, "Events on or after this day."),
        ParamSpec::new("to", ParamKind::Date, "Events on or before this day."),
        ParamSpec::new(
            "organisation",
            ParamKind::List {
                vocab: None,
                max: MAX_LIST,
                example: "csto,cst",
            },
            "Only events of these organisations (a succession matches both). Without it, organisations of kind legal_status and initiative are left out.",
        ),
        ParamSpec::new(
            "state",
            ParamKind::List {
                vocab: None,
                max: MAX_LIST,
                example: "KZ,UZ",
            },
            "Only events of these states.",
        ),
        ParamSpec::new(
            "region",
            ParamKind::OneOf(REGIONS),
            "Only states in this region.",
        ),
        ParamSpec::new(
            "kind",
            ParamKind::List {
                vocab: Some(EVENT_KINDS),
                max: EVENT_KINDS.len(),
                example: "join,exit",
            },
            "Only these kinds of event.",
        ),
        LIMIT,
        CURSOR,
        FORMAT,
    ];
    fn parse(p: &Parsed<'_>, format: Format) -> ApiResult<Self> {
        let (from, to) = (p.date("from")?, p.date("to")?);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(ApiError::BadRequest(format!(
                "from ({f}) is after to ({t}); give from <= to."
            )));
        }
        Ok(Events {
            from,
            to,
            organisations: p.list("organisation", None, MAX_LIST)?,
            states: p.list("state", None, MAX_LIST)?,
            region: p.one_of("region", REGIONS)?,
            kinds: p.list("kind", Some(EVENT_KINDS), EVENT_KINDS.len())?,
            format,
        })
    }
}

/// `GET /v1/organisations/{key}/counts`.
pub struct Counts {
    pub monthly: bool,
    pub roles: Option<Vec<String>>,
    pub format: Format,
}

impl QuestionParams for Counts {
    const SPEC: &'static [ParamSpec] = &[
        ParamSpec::new(
            "by",
            ParamKind::OneOf(&["year", "month"]),
            "One row per year (the default) or per month.",
        ),
        ROLE,
        LIMIT,
        CURSOR,
        FORMAT,
    ];
    fn parse(p: &Parsed<'_>, format: Format) -> ApiResult<Self> {
        Ok(Counts {
            monthly: p.one_of("by", &["year", "month"])?.as_deref() == Some("month"),
            roles: p.list("role", Some(crate::model::ROLES), crate::model::ROLES.len())?,
            format,
        })
    }
}

/// `GET /v1/diff`.
pub struct Diff {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub states: Option<Vec<String>>,
    pub organisations: Option<Vec<String>>,
    pub filter: Filter,
    pub format: Format,
}

impl QuestionParams for Diff {
    const SPEC: &'static [ParamSpec] = &[
        ParamSpec::new("from", ParamKind::Day, "The first day.").required(),
        ParamSpec::new("to", ParamKind::Day, "The second day.").required(),
        ParamSpec::new(
            "states",
            ParamKind::List {
                vocab: None,
                max: MAX_MATRIX_LIST,
                example: "KZ,UZ",
            },
            "Only these states (at most 100).",
        ),
        ParamSpec::new(
            "organisations",
            ParamKind::List {
                vocab: None,
                max: MAX_MATRIX_LIST,
                example: "csto,sco",
            },
            "Only these organisations (at most 100); default: every pact existing on either day.",
        ),
        REGION,
        KIND,
        ROLE,
        LIMIT,
        CURSOR,
        FORMAT,
    ];
    fn parse(p: &Parsed<'_>, format: Format) -> ApiResult<Self> {
        let need = |name: &str| -> ApiResult<NaiveDate> {
            p.date(name)?.ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "{name} is required: a date YYYY-MM-DD (diff compares from and to)."
                ))
            })
        };
        Ok(Diff {
            from: need("from")?,
            to: need("to")?,
            states: p.list("states", None, MAX_MATRIX_LIST)?,
            organisations: p.list("organisations", None, MAX_MATRIX_LIST)?,
            filter: filter(p)?,
            format,
        })
    }
}
