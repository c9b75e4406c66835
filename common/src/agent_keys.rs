//! An agent key as the database sees it. Routes check a key inside their own statement
//! (`use_agent_key()`), so one round trip both proves the key and does the work; an input
//! refused before that statement is checked here instead.

use uuid::Uuid;

use crate::auth::AgentKey;
use crate::db::query::Params;
use crate::error::ApiError;
use crate::state::AppState;

/// The 401 for an agent key that is revoked, unknown, or another project's.
pub fn refused() -> ApiError {
    ApiError::Unauthorized("Invalid or revoked agent key")
}

/// `refusal`, or the 401 if the key is not live (for `project`, when the route names one), so
/// that a revoked key is refused the same way whatever it sends. One round trip, on the
/// refusal path only; like any use of the key, it records when the key was last used.
pub async fn unless_refused(
    state: &AppState,
    key: &AgentKey,
    project: Option<Uuid>,
    refusal: ApiError,
) -> ApiError {
    match is_live(state, key, project).await {
        Ok(true) => refusal,
        Ok(false) => refused(),
        Err(err) => err,
    }
}

async fn is_live(
    state: &AppState,
    key: &AgentKey,
    project: Option<Uuid>,
) -> Result<bool, ApiError> {
    let db = state.db().await?;
    let sql = "SELECT use_agent_key($1, $2) IS NOT NULL";
    let params: Params = &[&key.digest(), &project];
    let row = db.query_opt(sql, params, "check agent key").await?;
    row.map(|r| r.try_get(0))
        .transpose()
        .map_err(ApiError::internal)
        .map(|live| live.unwrap_or(false))
}
