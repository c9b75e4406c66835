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
//! An email names its bucket through PostgreSQL's `lower()`, see [`email_key`].
//!
//! Over a limit the answer is 429 with `Retry-After` until the window ends; nothing is locked
//! for longer than one window. An attacker's failures lock only their own address out of the
//! account, unless they spread guesses over enough addresses to reach the account's ceiling.

use common::ApiError;
use common::config::RateLimits;
use tokio_postgres::Row;

/// The start of the current window; `$p` is the window length in seconds (double precision).
macro_rules! window_start {
    ($p:literal) => {
        concat!(
            "date_bin(make_interval(secs => ",
            $p,
            "), now(), TIMESTAMPTZ '2000-01-01 00:00:00+00')"
        )
    };
}
pub(crate) use window_start;

/// Drops counters of windows long past, a few at a time, never waiting on a lock.
macro_rules! sweep_old_windows {
    () => {
        "swept AS (DELETE FROM rate_limits WHERE ctid IN (SELECT ctid FROM rate_limits \
         WHERE window_start < now() - interval '1 day' LIMIT 100 FOR UPDATE SKIP LOCKED))"
    };
}
pub(crate) use sweep_old_windows;

/// Seconds until the window that started at `window_start` ends; `$p` as in [`window_start`].
macro_rules! retry_after {
    ($p:literal) => {
        concat!(
            "GREATEST(1, ceil(extract(epoch FROM window_start + make_interval(secs => ",
            $p,
            ") - now())))::bigint AS retry_after"
        )
    };
}
pub(crate) use retry_after;

/// How an email names its account in a bucket, as SQL over the email expression `$e`: the
/// `lower()` of the users lookup and of the unique index `users_email_key`, so whatever email
/// finds an account finds its counter too, under any collation. Rust's `to_lowercase` is not
/// that function: for some non-ASCII letters (`İ`, final `Σ`) the two disagree under a UTF-8
/// collation, and an address that finds the account under another key would count on a fresh
/// counter.
macro_rules! email_key {
    ($e:literal) => {
        concat!("lower(", $e, ")")
    };
}
pub(crate) use email_key;

/// The bucket of an account's failed logins, as SQL over the email expression `$e`.
macro_rules! login_failures_bucket {
    ($e:literal) => {
        concat!(
            "('login-failures:' || ",
            $crate::auth::rate_limit::email_key!($e),
            ")"
        )
    };
}
pub(crate) use login_failures_bucket;

/// The bucket of an account's failed logins from one source address, as SQL over the address
/// expression `$a` and the email expression `$e` (an address never contains `|`).
macro_rules! login_failures_from_bucket {
    ($a:literal, $e:literal) => {
        concat!(
            "('login-failures-from:' || ",
            $a,
            " || '|' || ",
            $crate::auth::rate_limit::email_key!($e),
            ")"
        )
    };
}
pub(crate) use login_failures_from_bucket;

/// Counts one hit for the address bucket $1 and one for the registrations of the email $3,
/// and returns each bucket's total.
const COUNT_REGISTRATION: &str = concat!(
    "WITH ",
    sweep_old_windows!(),
    ", hits AS (INSERT INTO rate_limits AS r (bucket, window_start, hits) SELECT b, ",
    window_start!("$2"),
    ", 1 FROM unnest(ARRAY[$1::text, 'register:' || ",
    email_key!("$3::text"),
    "]) AS b ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1 ",
    "RETURNING bucket, hits, window_start) SELECT bucket, hits, ",
    retry_after!("$2"),
    " FROM hits"
);

/// Counts one failed login against the account of the email $1.
pub const COUNT_FAILURE: &str = concat!(
    "INSERT INTO rate_limits AS r (bucket, window_start, hits) VALUES (",
    login_failures_bucket!("$1::text"),
    ", ",
    window_start!("$2"),
    ", 1) ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1"
);

pub fn address_bucket(address: &str) -> String {
    format!("auth-address:{address}")
}

pub fn window_secs(limits: &RateLimits) -> f64 {
    limits.window.as_secs_f64()
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
    db: &common::db::Db,
    limits: &RateLimits,
    address: &str,
    email: &str,
) -> Result<(), ApiError> {
    let address_key = address_bucket(address);
    let rows: Vec<Row> = db
        .query(
            COUNT_REGISTRATION,
            &[&address_key, &window_secs(limits), &email.trim()],
            "count registration attempt",
        )
        .await?;
    for row in rows {
        let bucket: String = row.get("bucket");
        let limit = if bucket == address_key {
            limits.attempts_per_address
        } else {
            limits.registrations_per_email
        };
        check(row.get("hits"), limit, row.get("retry_after"))?;
    }
    Ok(())
}
