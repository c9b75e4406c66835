//! The answer of a successful register or login: the user, a token for a new session, and the
//! cookie that carries it.

use common::auth::cookie;
use common::{ApiError, AppState, HandlerResult, response};
use http::{StatusCode, header};
use serde::Serialize;
use uuid::Uuid;

use crate::users::model::AccountUser;

#[derive(Serialize)]
struct SignedIn<'a> {
    user: &'a AccountUser,
    token: &'a str,
}

pub fn respond(
    state: &AppState,
    user: &AccountUser,
    session_id: Uuid,
    status: StatusCode,
    message: &str,
) -> HandlerResult {
    let claims = state
        .keys
        .claims_for(user.user.id, &user.user.email, user.user.role, session_id);
    let token = state.keys.sign(&claims).map_err(ApiError::internal)?;
    let body = SignedIn {
        user,
        token: &token,
    };
    let mut resp = response::success_with_message(status, &body, message);
    let cookie = cookie::session_cookie(
        &state.config.auth.cookie,
        &token,
        state.keys.ttl().as_secs(),
    )
    .ok_or_else(|| ApiError::internal("session cookie is not a valid header value"))?;
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(resp)
}
