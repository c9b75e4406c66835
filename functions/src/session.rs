//! The caller's session, checked inside each handler's first statement: one round trip both
//! proves the session is live (not revoked, not expired, user not deleted) and does the work.

use common::ApiError;
use common::auth::Role;
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
