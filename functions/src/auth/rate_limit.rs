//! Brute-force limits for login and register, counted in PostgreSQL in fixed windows (HTTP API
//! throttling is per route, not per client, so the limits have to live here).
//!
//! - every login or register attempt counts against its source address;
//! - every failed login counts against its account (the email, case-insensitively) and source
//!   address together, and, while that pair is within its limit, against the account from all
//!   addresses (a larger ceiling); the slot is taken before the password is checked and given
//!   back when it was right, so parallel guesses cannot pass the limit;
//! - every registration attempt counts against its email.
//!
//! An email names its bucket through PostgreSQL's `lower()`: the SQL function `email_key`
//! (migrations/V4).
//!
//! Over a limit the answer is 429 with `Retry-After` until the window ends; nothing is locked
//! for longer than one window. An attacker's failures lock only their own address out of the
//! account, unless they spread guesses over enough addresses to reach the account's ceiling.

use common::ApiError;
use common::config::RateLimits;
use common::db::Db;

use super::queries;

pub fn address_bucket(address: &str) -> String {
    format!("auth-address:{address}")
}

/// The 429 when `hits` is over `limit`.
pub fn check(hits: i32, limit: i32, retry_after: i64) -> Result<(), ApiError> {
    if hits > limit {
        return Err(limited(retry_after));
    }
    Ok(())
}

/// The 429 until the window ends in `retry_after` seconds.
pub fn limited(retry_after: i64) -> ApiError {
    ApiError::RateLimited {
        retry_after_secs: u64::try_from(retry_after).unwrap_or(1),
    }
}

/// Counts a registration attempt for `email` from `address`; 429 if either is over its limit.
pub async fn count_registration(
    db: &Db,
    limits: &RateLimits,
    address: &str,
    email: &str,
) -> Result<(), ApiError> {
    let address_key = address_bucket(address);
    let hits =
        queries::count_registration(db, &address_key, limits.window.as_secs_f64(), email).await?;
    for hit in hits {
        let limit = if hit.bucket == address_key {
            limits.attempts_per_address
        } else {
            limits.registrations_per_email
        };
        check(hit.hits, limit, hit.retry_after)?;
    }
    Ok(())
}
