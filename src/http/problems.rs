//! The one catalogue of problem types: slug, title, status and what a client should do.
//! Error responses, the `/problems/{slug}` pages and the OpenAPI error responses all read
//! it, so a type's `type` URI always resolves and is documented.

use axum::http::StatusCode;

#[derive(Debug)]
pub struct ProblemType {
    pub slug: &'static str,
    pub title: &'static str,
    pub status: StatusCode,
    pub description: &'static str,
}

macro_rules! problem {
    ($name:ident, $slug:literal, $status:ident, $title:literal, $desc:literal) => {
        pub const $name: ProblemType = ProblemType {
            slug: $slug,
            title: $title,
            status: StatusCode::$status,
            description: $desc,
        };
    };
}

problem!(
    BAD_REQUEST,
    "bad-request",
    BAD_REQUEST,
    "Bad request",
    "A query parameter, cursor, header or the JSON syntax of the body is wrong; `detail` names it. Fix the request; repeating it unchanged will fail again."
);
problem!(
    VALIDATION_FAILED,
    "validation-failed",
    UNPROCESSABLE_ENTITY,
    "The request body is not valid",
    "The body is JSON but not a valid item: `errors` lists each field and what is wrong with it. Nothing was changed."
);
problem!(
    UNAUTHORIZED,
    "unauthorized",
    UNAUTHORIZED,
    "A valid write token is required",
    "Writes need `Authorization: Bearer <token>`; the token is missing, malformed, unknown or revoked."
);
problem!(
    NOT_FOUND,
    "not-found",
    NOT_FOUND,
    "Not found",
    "No item has this key, or a filter names something that does not exist."
);
problem!(
    METHOD_NOT_ALLOWED,
    "method-not-allowed",
    METHOD_NOT_ALLOWED,
    "Method not allowed",
    "The path exists but not with this method; the `Allow` header lists the methods it takes."
);
problem!(
    CONFLICT,
    "conflict",
    CONFLICT,
    "Conflict",
    "The key is taken, or other rows still refer to this one (see `detail`; DELETE takes `?cascade=true`)."
);
problem!(
    PRECONDITION_FAILED,
    "precondition-failed",
    PRECONDITION_FAILED,
    "Precondition failed",
    "If-Match does not match the item's current ETag (someone changed it since you read it), or If-None-Match: * was sent for an item that exists. GET it again, then retry."
);
problem!(
    PAYLOAD_TOO_LARGE,
    "payload-too-large",
    PAYLOAD_TOO_LARGE,
    "Request body too large",
    "The body is over the size limit."
);
problem!(
    UNSUPPORTED_MEDIA_TYPE,
    "unsupported-media-type",
    UNSUPPORTED_MEDIA_TYPE,
    "Unsupported media type",
    "Send bodies as application/json (PATCH also takes application/merge-patch+json)."
);
problem!(
    REQUEST_TIMEOUT,
    "request-timeout",
    REQUEST_TIMEOUT,
    "The request body did not arrive in time",
    "The body was not received completely within the time allowed (it may be shorter than its Content-Length said); nothing was changed. Send the whole body at once."
);
problem!(
    URI_TOO_LONG,
    "uri-too-long",
    URI_TOO_LONG,
    "The request target is too long",
    "The path and query string are longer than the server parses; ask with fewer parameters."
);
problem!(
    HEADERS_TOO_LARGE,
    "headers-too-large",
    REQUEST_HEADER_FIELDS_TOO_LARGE,
    "The request's headers are too large",
    "There are too many headers, or they are too large, to parse; send fewer or smaller ones."
);
problem!(
    TOO_MANY_REQUESTS,
    "too-many-requests",
    TOO_MANY_REQUESTS,
    "Too many requests",
    "Too many failed authentications from this address; wait for Retry-After seconds."
);
problem!(
    INTERNAL,
    "internal",
    INTERNAL_SERVER_ERROR,
    "Internal server error",
    "A fault on the server's side; it has been logged. Nothing in the request needs to change."
);
problem!(
    UNAVAILABLE,
    "unavailable",
    SERVICE_UNAVAILABLE,
    "Service unavailable",
    "The database cannot be reached, is busy with a write to the same data, or the request took too long; retry after `Retry-After` seconds. Two other 503 types say more: `/problems/read-only` (the database takes no writes right now) and `/problems/outcome-unknown` (a write's commit was not confirmed)."
);
problem!(
    INSUFFICIENT_STORAGE,
    "insufficient-storage",
    INSUFFICIENT_STORAGE,
    "The database's disk is full",
    "No change can be stored until space is freed; nothing was changed. Reads still work. `/readyz` reports the fault until a write succeeds again; retry after `Retry-After` seconds."
);
problem!(
    READ_ONLY,
    "read-only",
    SERVICE_UNAVAILABLE,
    "The database is read-only",
    "The database (or the file system under it) accepts no writes right now; nothing was changed. Reads still work. `/readyz` reports the fault until a write succeeds again; retry after `Retry-After` seconds."
);
problem!(
    OUTCOME_UNKNOWN,
    "outcome-unknown",
    SERVICE_UNAVAILABLE,
    "The outcome of the write is unknown",
    "The write reached the database, but the answer to its COMMIT did not come in time: it may or may not have been stored. A create retried with the same `Idempotency-Key` returns the stored answer if it was stored, and creates it if it was not. Before retrying any other write, GET the item (or send the retry with `If-Match`)."
);
problem!(
    NOT_READY,
    "not-ready",
    SERVICE_UNAVAILABLE,
    "Not ready",
    "The database is unreachable, its migrations are not applied, or its storage takes no writes (a full disk, a read-only file): `detail` says which."
);
problem!(
    ERROR,
    "error",
    INTERNAL_SERVER_ERROR,
    "Error",
    "An HTTP error without a more specific type; the status code says what happened."
);

/// Every problem type, in the order they are documented.
pub const CATALOGUE: &[&ProblemType] = &[
    &BAD_REQUEST,
    &VALIDATION_FAILED,
    &UNAUTHORIZED,
    &NOT_FOUND,
    &METHOD_NOT_ALLOWED,
    &CONFLICT,
    &PRECONDITION_FAILED,
    &TOO_MANY_REQUESTS,
    &PAYLOAD_TOO_LARGE,
    &REQUEST_TIMEOUT,
    &URI_TOO_LONG,
    &HEADERS_TOO_LARGE,
    &UNSUPPORTED_MEDIA_TYPE,
    &UNAVAILABLE,
    &INSUFFICIENT_STORAGE,
    &READ_ONLY,
    &OUTCOME_UNKNOWN,
    &NOT_READY,
    &INTERNAL,
    &ERROR,
];

pub fn by_slug(slug: &str) -> Option<&'static ProblemType> {
    CATALOGUE.iter().copied().find(|p| p.slug == slug)
}

/// The type an error with this status has when nothing more specific is known.
pub fn by_status(status: StatusCode) -> &'static ProblemType {
    CATALOGUE
        .iter()
        .copied()
        .find(|p| p.status == status)
        .unwrap_or(&ERROR)
}
