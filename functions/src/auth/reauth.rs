//! Re-authentication of a signed-in user (a password change, an email change): the current
//! password, checked as a login checks it. A locked account is refused (429) before any bcrypt
//! work, and a wrong password counts as a failed login of the account.

use common::{ApiError, AppState};
use secrecy::SecretString;
use tokio_postgres::Row;

use super::rate_limit;

/// Whether a presented current password has a length worth checking (1 to 1024 characters, as
/// at login): anything else is a malformed body, not a wrong password.
pub fn presentable(password: &str) -> bool {
    (1..=1024).contains(&password.chars().count())
}

/// Columns over the user `u` for [`check`]: the email and hash, the failed logins counted
/// against the account in the current window, and the seconds until that window ends. `$w` is
/// the window length parameter, as for [`rate_limit::window_secs`].
macro_rules! reauth_columns {
    ($w:literal) => {
        concat!(
            "u.email AS account_email, u.password_hash, ",
            "COALESCE((SELECT f.hits FROM rate_limits f WHERE f.bucket = ",
            $crate::auth::rate_limit::login_failures_bucket!("u.email"),
            " AND f.window_start = ",
            $crate::auth::rate_limit::window_start!($w),
            "), 0) AS account_failures, ",
            "GREATEST(1, ceil(extract(epoch FROM ",
            $crate::auth::rate_limit::window_start!($w),
            " + make_interval(secs => ",
            $w,
            ") - now())))::bigint AS retry_after"
        )
    };
}
pub(crate) use reauth_columns;

fn wrong_password() -> ApiError {
    ApiError::Unauthorized("Current password is incorrect")
}

/// Checks `password` against the account in `row` (selected with [`reauth_columns`]).
pub async fn check(state: &AppState, row: &Row, password: String) -> Result<(), ApiError> {
    let limits = &state.config.auth.rate_limits;
    let failures: i32 = row.get("account_failures");
    // Locked accounts stay locked here too: a stolen session must not become a way to guess.
    rate_limit::check(
        failures + 1,
        limits.login_failures_per_account,
        row.get("retry_after"),
    )?;
    let hash: String = row.get("password_hash");
    if state
        .passwords
        .verify(SecretString::from(password), Some(hash))
        .await
    {
        return Ok(());
    }
    let email: String = row.get("account_email");
    state
        .db()
        .await?
        .execute(
            rate_limit::COUNT_FAILURE,
            &[&email, &rate_limit::window_secs(limits)],
            "count failed re-authentication",
        )
        .await?;
    Err(wrong_password())
}
