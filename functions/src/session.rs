//! The caller's session, checked inside each handler's first statement: one round trip both
//! proves the session is live (not revoked, not expired, user not deleted) and does the work.

use common::auth::Role;
use common::auth::caller::Caller;
use common::{ApiError, AppState};
use tokio_postgres::Row;

/// Prefixes a statement with the `caller` CTE: the session's user and current role if the
/// session is live, no row otherwise. `$1` is the session id, `$2` the user id.
macro_rules! with_caller {
    ($($sql:expr),+ $(,)?) => {
        concat!(
            "WITH caller AS (SELECT u.id, u.role FROM sessions s JOIN users u ON u.id = s.user_id ",
            "WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()) ",
            $($sql),+
        )
    };
}
pub(crate) use with_caller;

/// The 401 for a token whose session is gone.
pub fn session_gone() -> ApiError {
    ApiError::Unauthorized("Invalid or expired token")
}

/// The caller's current role from a row that selected `caller_role`. The database's role, not
/// the token's, decides: a demoted admin loses admin rights at once.
pub fn caller_role(row: &Row) -> Result<Role, ApiError> {
    row.get::<_, String>("caller_role")
        .parse()
        .map_err(ApiError::internal)
}

const LIVE: &str = with_caller!("SELECT c.id FROM caller c");

/// Passes on `result`, unless it is a refusal (a malformed id or body, found before any
/// statement ran) and the caller's session is gone: then the answer is the 401, so a revoked
/// token is refused the same way whatever it sends. Costs a round trip on the error path only.
pub async fn unless_session_gone<T>(
    state: &AppState,
    caller: &Caller,
    result: Result<T, ApiError>,
) -> Result<T, ApiError> {
    let Err(refusal) = result else {
        return result;
    };
    let live = state
        .db()
        .await?
        .query_opt(
            LIVE,
            &[&caller.session_id, &caller.user_id],
            "check session",
        )
        .await?;
    match live {
        Some(_) => Err(refusal),
        None => Err(session_gone()),
    }
}
