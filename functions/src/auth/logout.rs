//! `POST /api/auth/logout`: revoke the session the token belongs to (so a copy of the token
//! stops working everywhere) and clear the cookie. Works without a token too. With the JSON
//! body `{"everywhere": true}`, every session of the user ends. Any other body is ignored, as
//! it always was: logging out never fails on what the client sends.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use common::auth::{Caller, cookie};
use common::extract::RawBody;
use common::{ApiError, AppState, HandlerResult, body, response};
use http::{HeaderMap, header};

use super::queries;

/// Whether the body is the JSON object `{"everywhere": true, ...}`.
fn everywhere(headers: &HeaderMap, raw: &[u8], limit: usize) -> bool {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(body::is_json_media_type);
    if !is_json || raw.len() > limit {
        return false;
    }
    serde_json::from_slice::<serde_json::Value>(raw)
        .is_ok_and(|v| v.get("everywhere") == Some(&serde_json::Value::Bool(true)))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/auth/logout", post(logout))
}

async fn logout(
    State(state): State<AppState>,
    caller: Option<Caller>,
    headers: HeaderMap,
    RawBody(raw): RawBody,
) -> HandlerResult {
    if let Some(caller) = caller {
        let everywhere = everywhere(&headers, &raw, state.config.http.max_body_bytes);
        queries::revoke(&state.db().await?, &caller, everywhere).await?;
    }
    let mut resp = response::message("Logged out successfully");
    let cleared = cookie::cleared_cookie(&state.config.auth.cookie)
        .ok_or_else(|| ApiError::internal("cleared cookie is not a valid header value"))?;
    resp.headers_mut().append(header::SET_COOKIE, cleared);
    Ok(resp)
}
