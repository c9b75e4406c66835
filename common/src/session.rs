//! The caller's session as the database sees it. Handlers check it inside their own first
//! statement (through the `live_caller` SQL function), so one round trip both proves the session
//! is live (not revoked, not expired, user not deleted) and does the work.

use crate::auth::{Caller, Role};
use crate::db::query::Params;
use crate::error::ApiError;
use crate::state::AppState;

/// The 401 for a token whose session is gone.
pub fn gone() -> ApiError {
    ApiError::Unauthorized("Invalid or expired token")
}

/// The caller's current role while the session is live.
async fn live_role(state: &AppState, caller: &Caller) -> Result<Option<Role>, ApiError> {
    let db = state.db().await?;
    let sql = "SELECT role FROM live_caller($1, $2)";
    let params: Params = &[&caller.session_id, &caller.user_id];
    let row = db.query_opt(sql, params, "check session").await?;
    row.map(|r| r.try_get(0))
        .transpose()
        .map_err(ApiError::internal)
}

/// `refusal`, or the 401 if the caller's session is gone.
pub async fn unless_gone(state: &AppState, caller: &Caller, refusal: ApiError) -> ApiError {
    match live_role(state, caller).await {
        Ok(Some(_)) => refusal,
        Ok(None) => gone(),
        Err(err) => err,
    }
}

/// The caller's current role (the database's, not the token's), or the 401 if the session is
/// gone.
pub async fn role(state: &AppState, caller: &Caller) -> Result<Role, ApiError> {
    live_role(state, caller).await?.ok_or_else(gone)
}
