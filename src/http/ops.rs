//! Operational endpoints: liveness, readiness, the OpenAPI document, the index and the
//! fallback for unknown paths.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::{ApiError, problem_response};
use super::problems;
use crate::model::RESOURCES;

/// The process is up. Never touches the database.
pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// The database answers, every migration is applied and the storage takes writes.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let reachable = state.db.ping().await.is_ok();
    let migrated = reachable
        && state.ready.load(std::sync::atomic::Ordering::Acquire)
        && state.db.migrations_applied().await.unwrap_or(false);
    // A storage fault seen by a write is reported until a write succeeds again (a
    // client's, or the probe of the server's storage watcher, `Db::watch_storage`).
    let storage = state.db.storage_fault().map(|(fault, _)| fault);
    let (why, retry) = match (reachable, migrated, storage) {
        (true, true, None) => {
            return Json(
                json!({"status": "ready", "database": state.db.backend(), "migrations": "applied"}),
            )
            .into_response();
        }
        (true, true, Some(fault)) => (
            format!(
                "Not ready for writes: {}. Reads are still served.",
                fault.describe()
            ),
            "10",
        ),
        (true, false, _) => ("Not ready: migrations are not applied.".to_string(), "2"),
        (false, _, _) => (
            "Not ready: the database cannot be reached.".to_string(),
            "2",
        ),
    };
    let mut resp = problem_response(
        &problems::NOT_READY,
        StatusCode::SERVICE_UNAVAILABLE,
        why,
        None,
    );
    resp.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static(retry),
    );
    resp
}

pub async fn openapi(State(state): State<AppState>) -> Response {
    Json(state.openapi.as_ref().clone()).into_response()
}

/// A map of the API for someone who starts at the root.
pub async fn index() -> Response {
    let collections: Vec<_> = RESOURCES
        .iter()
        .map(|r| json!({"name": r.name, "href": format!("/v1/{}", r.name), "description": r.doc}))
        .collect();
    Json(json!({
        "name": "pacts",
        "description": "Which states belong to which security pacts in and around Central Asia, and since when.",
        "collections": collections,
        "openapi": "/openapi.json",
        "health": "/healthz",
        "ready": "/readyz",
    }))
    .into_response()
}

/// The description behind a problem's `type` URI.
pub async fn problem_type(
    axum::extract::Path(slug): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    problems::by_slug(&slug)
        .map(|p| {
            Json(json!({"type": format!("/problems/{}", p.slug), "title": p.title, "status": p.status.as_u16(), "description": p.description})).into_response()
        })
        .ok_or_else(|| ApiError::NotFound(format!("No problem type is called {slug:?}.")))
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("There is nothing at this path; GET /v1 lists the collections.".into())
}
