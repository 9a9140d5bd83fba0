//! One error type for every handler, rendered as `application/problem+json` (RFC 9457).
//! Internal details are logged here, once, and never sent to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A problem with one field of a request body or one query parameter.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

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
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("too many requests: {0}")]
    TooManyRequests(String, u64),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::Invalid {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError::new(field, message)],
        }
    }

    /// A 422 for several fields; the detail names each.
    pub fn fields(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        ApiError::Invalid { detail, errors }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => ("bad-request", "Bad request"),
            ApiError::Invalid { .. } => ("validation-failed", "The request body is not valid"),
            ApiError::Unauthorized(_) => ("unauthorized", "A valid write token is required"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::PayloadTooLarge => ("payload-too-large", "Request body too large"),
            ApiError::PreconditionFailed(_) => ("precondition-failed", "Precondition failed"),
            ApiError::TooManyRequests(..) => ("too-many-requests", "Too many requests"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
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
            | ApiError::TooManyRequests(d, _) => d.clone(),
            ApiError::Invalid { detail, .. } => detail.clone(),
            ApiError::MethodNotAllowed => {
                "This method is not allowed on this resource; see the Allow header.".into()
            }
            ApiError::PayloadTooLarge => format!(
                "The request body is larger than {} bytes.",
                crate::http::MAX_BODY_BYTES
            ),
            ApiError::Unavailable(_) => {
                "The database cannot be reached right now; retry shortly.".into()
            }
            ApiError::Internal(_) => "Something went wrong on our side; it has been logged.".into(),
        }
    }
}

/// Every problem type pacts answers with: slug, title and what a client should do.
/// `GET /problems/{slug}` serves each entry, so the `type` URI of a problem resolves.
pub const PROBLEM_TYPES: &[(&str, &str, &str)] = &[
    (
        "bad-request",
        "Bad request",
        "A query parameter, cursor or the JSON syntax of the body is wrong; `detail` names it. Fix the request; repeating it unchanged will fail again.",
    ),
    (
        "validation-failed",
        "The request body is not valid",
        "The body is JSON but not a valid item: `errors` lists each field and what is wrong with it. Nothing was changed.",
    ),
    (
        "unauthorized",
        "A valid write token is required",
        "Writes need `Authorization: Bearer <token>`; the token is missing, malformed, unknown or revoked.",
    ),
    (
        "not-found",
        "Not found",
        "No item has this key, or a filter names something that does not exist.",
    ),
    (
        "method-not-allowed",
        "Method not allowed",
        "The path exists but not with this method; the `Allow` header lists the methods it takes.",
    ),
    (
        "conflict",
        "Conflict",
        "The key is taken, or other rows still refer to this one (see `detail`; DELETE takes `?cascade=true`).",
    ),
    (
        "precondition-failed",
        "Precondition failed",
        "The If-Match header does not match the item's current ETag: someone changed it since you read it. GET it again, then retry.",
    ),
    (
        "too-many-requests",
        "Too many requests",
        "Too many failed authentications from this address; wait for Retry-After seconds.",
    ),
    (
        "payload-too-large",
        "Request body too large",
        "The body is over the size limit.",
    ),
    (
        "unsupported-media-type",
        "Unsupported media type",
        "Send bodies as application/json (PATCH also takes application/merge-patch+json).",
    ),
    (
        "unavailable",
        "Service unavailable",
        "The database cannot be reached or the request took too long; retry after `Retry-After` seconds.",
    ),
    (
        "not-ready",
        "Not ready",
        "The database is unreachable or its migrations are not applied.",
    ),
    (
        "internal",
        "Internal server error",
        "A fault on the server's side; it has been logged. Nothing in the request needs to change.",
    ),
];

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

/// Render a problem body with the given status; used for errors raised outside handlers too.
pub fn problem_response(
    status: StatusCode,
    slug: &str,
    title: &str,
    detail: String,
    errors: Option<&[FieldError]>,
) -> Response {
    let body = Problem {
        kind: format!("/problems/{slug}"),
        title,
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(why) => {
                crate::http::metrics::count_db_error(false);
                tracing::error!(error = %why, "internal error")
            }
            ApiError::Unavailable(why) => {
                crate::http::metrics::count_db_error(true);
                tracing::warn!(error = %why, "database unavailable")
            }
            _ => {}
        }
        let (slug, title) = self.slug_and_title();
        let errors = match &self {
            ApiError::Invalid { errors, .. } => Some(errors.as_slice()),
            _ => None,
        };
        let mut resp = problem_response(self.status(), slug, title, self.detail(), errors);
        match self {
            ApiError::Unauthorized(_) => {
                resp.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"pacts\""),
                );
            }
            ApiError::Unavailable(_) => {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            }
            ApiError::TooManyRequests(_, secs) => {
                if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        resp
    }
}

impl From<sqlx::Error> for ApiError {
    /// Database errors that reach a handler unclassified. Constraint violations are a
    /// client's conflict; lost connections are 503; everything else is internal.
    fn from(e: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match &e {
            sqlx::Error::Database(db) => match db.kind() {
                ErrorKind::UniqueViolation => {
                    ApiError::Conflict("A row with this key already exists.".into())
                }
                ErrorKind::ForeignKeyViolation => ApiError::Conflict(
                    "The change would leave a reference to a row that does not exist.".into(),
                ),
                ErrorKind::CheckViolation | ErrorKind::NotNullViolation => ApiError::Invalid {
                    detail: "A value is outside what the data allows.".into(),
                    errors: vec![],
                },
                _ => {
                    // SQLSTATE class 08 (connection) and 57P01..57P03 (shutdown) are outages.
                    let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                    // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6), extended codes
                    // included, after the busy timeout ran out.
                    let sqlite_busy = code.parse::<i64>().is_ok_and(|n| matches!(n & 0xff, 5 | 6));
                    if code.starts_with("08")
                        || code.starts_with("57P")
                        || code == "53300"
                        || sqlite_busy
                    {
                        ApiError::Unavailable(e.to_string())
                    } else {
                        ApiError::Internal(e.to_string())
                    }
                }
            },
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => ApiError::Unavailable(e.to_string()),
            _ => ApiError::Internal(e.to_string()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
