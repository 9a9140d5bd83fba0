//! Write authorisation: every POST, PUT, PATCH and DELETE needs a live bearer token.

use axum::http::{HeaderMap, header};

use super::AppState;
use crate::db::tokens;
use crate::error::{ApiError, ApiResult};

/// The name of the token that authorises this request, or 401. Nothing about the
/// presented token is logged.
pub async fn require_token(state: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::Unauthorized(
            "This request changes data and needs an Authorization: Bearer <token> header. Operators create tokens with `pacts token create NAME`.".into(),
        ));
    };
    let presented = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(|| {
            ApiError::Unauthorized(
                "The Authorization header must have the form: Bearer <token>.".into(),
            )
        })?;
    match tokens::verify(&state.db, presented).await? {
        Some(name) => Ok(name),
        None => Err(ApiError::Unauthorized(
            "The token is not valid or has been revoked.".into(),
        )),
    }
}
