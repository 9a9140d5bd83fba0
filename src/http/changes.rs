//! The change log over HTTP: `GET /v1/changes` (filters, newest first),
//! `GET /v1/changes/{id}` and `POST /v1/changes/{id}/revert`. All need a token.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{PathKey, QueryPairs};
use super::params::{ParamKind, ParamSpec, Parsed};
use super::writes::{W, context};
use crate::db::changes::{self, ChangeQuery};

pub const ACTIONS: &[&str] = &["create", "replace", "delete"];

/// The parameters of `GET /v1/changes`.
pub const SPEC: &[ParamSpec] = &[
    ParamSpec::new("collection", ParamKind::Text, "Only this collection."),
    ParamSpec::new("key", ParamKind::Text, "Only this item's key."),
    ParamSpec::new("token", ParamKind::Text, "Only writes by this token name."),
    ParamSpec::new("batch", ParamKind::Text, "Only this request's changes."),
    ParamSpec::new(
        "action",
        ParamKind::OneOf(ACTIONS),
        "Only this kind of change.",
    ),
    ParamSpec::new("limit", ParamKind::Limit, "Rows per page."),
    ParamSpec::new(
        "cursor",
        ParamKind::Cursor,
        "page.next_cursor of the previous page.",
    ),
];

pub async fn list(
    State(state): State<AppState>,
    pairs: QueryPairs,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let p = Parsed::new(&pairs, &headers, SPEC, "/v1/changes")?;
    let text = |n: &str| p.get(n).map(str::to_string);
    if let Some(c) = p.get("collection")
        && crate::model::resource(c).is_none()
    {
        return Err(ApiError::BadRequest(format!(
            "collection: {c:?} is not a collection."
        )));
    }
    if let Some(a) = p.get("action")
        && !ACTIONS.contains(&a)
    {
        return Err(ApiError::BadRequest(
            "action must be create, replace or delete.".into(),
        ));
    }
    let before_id = match p.get("cursor") {
        None => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            ApiError::BadRequest("The cursor is not valid; pass page.next_cursor unchanged.".into())
        })?),
    };
    let q = ChangeQuery {
        collection: text("collection"),
        key: text("key"),
        token: text("token"),
        batch: text("batch"),
        action: text("action"),
        before_id,
        limit: p.limit()?,
    };
    let page = changes::list(&state.db, &q).await?;
    Ok(axum::Json(json!({
        "data": page.changes,
        "page": {"limit": q.limit, "next_cursor": page.next.map(|n| n.to_string()), "total": page.total},
    }))
    .into_response())
}

fn change_id(raw: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("No change has the id {raw:?}.")))
}

pub async fn get(State(state): State<AppState>, PathKey(raw): PathKey) -> ApiResult<Response> {
    let id = change_id(&raw)?;
    match changes::get(&state.db, id).await? {
        Some(c) => Ok(axum::Json(c).into_response()),
        None => Err(ApiError::NotFound(format!("No change has the id {id}."))),
    }
}

/// Undo the request that made this change.
pub async fn revert(
    State(state): State<AppState>,
    PathKey(raw): PathKey,
    writer: W,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let ctx = context(writer, &headers)?;
    let id = change_id(&raw)?;
    let Some(made) = changes::revert(&state.db, id, &ctx).await? else {
        return Err(ApiError::NotFound(format!("No change has the id {id}.")));
    };
    tracing::info!(token = %ctx.token, change = id, "reverted");
    Ok(axum::Json(json!({"reverted": id, "batch": ctx.batch, "changes": made})).into_response())
}
