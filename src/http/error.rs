//! One error type for every handler, rendered as `application/problem+json` (RFC 9457)
//! from the problem catalogue. Database errors arrive as `db::Error` and are worded here,
//! with the advice a client needs ("use PUT", "?cascade=true"). A fault is logged once,
//! here, with its source chain; nothing internal is ever sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::problems::{self, ProblemType};
use crate::db;
use crate::input::{FieldError, Invalid};
use crate::model::KeyKind;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("invalid body: {detail}")]
    Invalid {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("unauthorised: {0}")]
    Unauthorized(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("too many requests: {0}")]
    TooManyRequests(String, u64),
    #[error("payload too large")]
    PayloadTooLarge(usize),
    #[error("request timeout: {0}")]
    RequestTimeout(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// Retry later: a 503 (or the 507 of a full disk) of the given type, with
    /// `Retry-After`; `detail` is what the client is told, `source` is logged.
    #[error("unavailable: {detail}")]
    Unavailable {
        kind: &'static ProblemType,
        detail: &'static str,
        retry_after: u32,
        #[source]
        source: Option<BoxError>,
    },
    #[error("internal error")]
    Internal(#[source] BoxError),
}

pub type ApiResult<T> = Result<T, ApiError>;

const DB_UNREACHABLE: &str = "The database cannot be reached right now; retry shortly.";

impl ApiError {
    /// A 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Invalid::field(field, message).into()
    }

    /// A 503 whose cause is not an error value (start-up, say).
    pub fn unavailable(detail: &'static str) -> Self {
        ApiError::Unavailable {
            kind: &problems::UNAVAILABLE,
            detail,
            retry_after: 2,
            source: None,
        }
    }

    fn problem_type(&self) -> &'static ProblemType {
        match self {
            ApiError::BadRequest(_) => &problems::BAD_REQUEST,
            ApiError::Invalid { .. } => &problems::VALIDATION_FAILED,
            ApiError::Unauthorized(_) => &problems::UNAUTHORIZED,
            ApiError::NotFound(_) => &problems::NOT_FOUND,
            ApiError::Conflict(_) => &problems::CONFLICT,
            ApiError::PreconditionFailed(_) => &problems::PRECONDITION_FAILED,
            ApiError::TooManyRequests(..) => &problems::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge(_) => &problems::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => &problems::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType(_) => &problems::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable { kind, .. } => kind,
            ApiError::Internal(_) => &problems::INTERNAL,
        }
    }

    /// The text a client sees. Internal and unavailable errors say nothing about why.
    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest(d)
            | ApiError::Unauthorized(d)
            | ApiError::NotFound(d)
            | ApiError::Conflict(d)
            | ApiError::UnsupportedMediaType(d)
            | ApiError::PreconditionFailed(d)
            | ApiError::RequestTimeout(d)
            | ApiError::TooManyRequests(d, _) => d.clone(),
            ApiError::Invalid { detail, .. } => detail.clone(),
            ApiError::PayloadTooLarge(limit) => {
                format!("The request body is larger than {limit} bytes.")
            }
            ApiError::Unavailable { detail, .. } => detail.to_string(),
            ApiError::Internal(_) => "Something went wrong on our side; it has been logged.".into(),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

/// Render a problem body of the given type; used for errors raised outside handlers too
/// (`status` may differ from the type's own, for the generic `error` type).
pub fn problem_response(
    kind: &ProblemType,
    status: StatusCode,
    detail: String,
    errors: Option<&[FieldError]>,
) -> Response {
    let body = Problem {
        kind: format!("/problems/{}", kind.slug),
        title: kind.title,
        status: status.as_u16(),
        detail,
        errors,
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut resp = (status, bytes).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    resp
}

/// An error and its causes, `a: b: c`, for the one log line a fault gets.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        // Drivers often repeat their cause's text in their own; say it once.
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = s.source();
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(_) => {
                super::metrics::count_db_error(false);
                tracing::error!(error = %chain(&self), "internal error");
            }
            ApiError::Unavailable { .. } => {
                super::metrics::count_db_error(true);
                tracing::warn!(error = %chain(&self), "unavailable");
            }
            _ => {}
        }
        let kind = self.problem_type();
        let errors = match &self {
            ApiError::Invalid { errors, .. } => Some(errors.as_slice()),
            _ => None,
        };
        let mut resp = problem_response(kind, kind.status, self.detail(), errors);
        let h = resp.headers_mut();
        match self {
            ApiError::Unauthorized(_) => {
                h.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"pacts\""),
                );
            }
            ApiError::RequestTimeout(_) => {
                h.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            ApiError::Unavailable { retry_after, .. } => {
                h.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            ApiError::TooManyRequests(_, secs) => {
                if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                    h.insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        resp
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::Invalid {
            detail: e.summary(),
            errors: e.0,
        }
    }
}

fn unavailable(
    kind: &'static ProblemType,
    detail: &'static str,
    retry_after: u32,
    e: db::Error,
) -> ApiError {
    ApiError::Unavailable {
        kind,
        detail,
        retry_after,
        source: Some(Box::new(e)),
    }
}

impl From<db::Error> for ApiError {
    fn from(e: db::Error) -> Self {
        use db::Error as E;
        match e {
            E::NotFound { collection, key } => {
                let hint = if collection.key_kind == KeyKind::StateCode {
                    " (use an ISO 3166-1 alpha-2 or alpha-3 code)"
                } else {
                    ""
                };
                ApiError::NotFound(format!(
                    "No {} has the {} {:?}{hint}.",
                    collection.singular,
                    collection.key,
                    key.key_text()
                ))
            }
            E::KeyTaken { collection, key } => ApiError::Conflict(format!(
                "A {} with {} {} already exists; use PUT to replace it.",
                collection.singular,
                collection.key,
                key.to_json()
            )),
            E::Duplicate {
                collection,
                field,
                value,
            } => ApiError::Conflict(format!(
                "Another {} already has the {field} {}.",
                collection.singular,
                value.to_json()
            )),
            E::Referenced { collection, by } => ApiError::Conflict(format!(
                "This {} is still referred to by {}. Delete or change those first, or repeat the request with ?cascade=true.",
                collection.singular,
                by.join(", ")
            )),
            E::OnlySource { of } => ApiError::Conflict(format!(
                "This source is the only source of {}; every fact must keep at least one source. Add another source to them first.",
                of.join(", ")
            )),
            E::ChangedSince {
                collection,
                key,
                change,
            } => ApiError::Conflict(format!(
                "The {} {key} has changed since change {change}; revert the later changes first (GET /v1/changes?collection={}&key={key}).",
                collection.singular, collection.name
            )),
            E::Invalid(inv) => inv.into(),
            E::PreconditionFailed => ApiError::PreconditionFailed(
                "If-Match does not match the item's current ETag (it changed since you read it, or does not exist), or If-None-Match names its current state (If-None-Match: * and it exists). GET it again and retry.".into(),
            ),
            E::IdempotencyKeyReused => ApiError::field(
                "Idempotency-Key",
                "was already used with a different request; use a new key for a new request",
            ),
            E::Constraint { kind, field } => match kind {
                db::error::Constraint::Unique => {
                    ApiError::Conflict("A row with this key already exists.".into())
                }
                db::error::Constraint::ForeignKey => ApiError::Conflict(
                    "The change would leave a reference to a row that does not exist.".into(),
                ),
                _ => ApiError::Invalid {
                    detail: "A value is outside what the data allows.".into(),
                    errors: field
                        .map(|f| vec![FieldError::new(f, "is outside what the data allows")])
                        .unwrap_or_default(),
                },
            },
            E::Busy(_) => unavailable(
                &problems::UNAVAILABLE,
                "The database is busy with another write to the same data; retry shortly.",
                1,
                e,
            ),
            E::DiskFull(_) => unavailable(
                &problems::INSUFFICIENT_STORAGE,
                "The database's disk is full: nothing was changed, and no change can be stored until space is freed. Reads still work.",
                30,
                e,
            ),
            E::ReadOnly(_) => unavailable(
                &problems::READ_ONLY,
                "The database is read-only right now: nothing was changed. Reads still work.",
                30,
                e,
            ),
            E::StorageIo(_) => unavailable(
                &problems::UNAVAILABLE,
                "The database's storage reports I/O errors; retry later.",
                10,
                e,
            ),
            E::OutcomeUnknown(_) => unavailable(
                &problems::OUTCOME_UNKNOWN,
                "The write reached the database but its commit was not confirmed in time: it may or may not have been stored. Retry a create with the same Idempotency-Key to get its stored answer; read the item before retrying any other write.",
                2,
                e,
            ),
            E::Unavailable(_) | E::Deadline => unavailable(&problems::UNAVAILABLE, DB_UNREACHABLE, 2, e),
            E::Internal(_) => ApiError::Internal(Box::new(e)),
        }
    }
}
