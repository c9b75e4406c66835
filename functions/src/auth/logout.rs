//! `POST /api/auth/logout`: revoke the session the token belongs to (so a copy of the token
//! stops working everywhere) and clear the cookie. Works without a token too.

use common::auth::caller::identify;
use common::auth::cookie;
use common::{ApiError, AppState, HandlerResult, response};
use http::{Method, StatusCode, header};
use lambda_http::Request;

use crate::routes::{Function, method_not_allowed};

const REVOKE: &str = "\
UPDATE sessions SET revoked_at = now()
WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL";

pub async fn handle(state: &AppState, req: Request) -> HandlerResult {
    if req.method() != Method::POST {
        return Err(method_not_allowed(Function::AuthLogout));
    }
    if let Some(caller) = identify(&req, &state.keys).optional() {
        let db = state.db().await?;
        db.execute(
            REVOKE,
            &[&caller.session_id, &caller.user_id],
            "revoke session",
        )
        .await?;
    }
    let mut resp = response::success_with_message(
        StatusCode::OK,
        &serde_json::Value::Null,
        "Logged out successfully",
    );
    let cleared = cookie::cleared_cookie(&state.config.auth.cookie)
        .ok_or_else(|| ApiError::internal("cleared cookie is not a valid header value"))?;
    resp.headers_mut().append(header::SET_COOKIE, cleared);
    Ok(resp)
}
