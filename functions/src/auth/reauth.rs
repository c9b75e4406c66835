//! Re-authentication of a signed-in user (a password change, an email change): the current
//! password, checked as a login checks it. A locked account is refused (429) before any bcrypt
//! work, and a wrong password counts as a failed login of the account.

use super::queries::{self, Account};
use super::rate_limit;
use common::{ApiError, AppState};

/// Whether a presented current password has a length worth checking (1 to 1024 characters, as
/// at login): anything else is a malformed body, not a wrong password.
pub fn presentable(password: &str) -> bool {
    (1..=1024).contains(&password.chars().count())
}

/// Checks `password` against `account`.
pub async fn check(state: &AppState, account: &Account, password: String) -> Result<(), ApiError> {
    let limits = &state.config.auth.rate_limits;
    // Locked accounts stay locked here too: a stolen session must not become a way to guess.
    rate_limit::check(
        account.failures + 1,
        limits.login_failures_per_account,
        account.retry_after,
    )?;
    let hash = Some(account.password_hash.clone());
    if state.passwords.verify(password.into(), hash).await {
        return Ok(());
    }
    let db = state.db().await?;
    queries::count_failure(&db, &account.email, limits.window.as_secs_f64()).await?;
    Err(ApiError::Unauthorized("Current password is incorrect"))
}
