//! The statements of `/api/auth/*`, and the re-authentication the profile edit shares. The
//! rate-limit expressions (`rate_window`, `rate_retry_after`, `email_key`, the bucket names)
//! are SQL functions (migrations/V4), inlined by the planner.

use chrono::{DateTime, Utc};
use common::auth::Caller;
use common::config::RateLimits;
use common::db::Db;
use common::db::query::{Found, Params};
use common::error::DbError;
use postgres_from_row::FromRow;
use uuid::Uuid;

use crate::users::model::{AccountUser, Profile};

/// Drops counters of windows long past, a few at a time, never waiting on a lock: the first
/// step of every statement that counts.
macro_rules! sweeping {
    ($($sql:literal),+ $(,)?) => {
        concat!(
            "WITH swept AS (DELETE FROM rate_limits WHERE ctid IN (SELECT ctid FROM rate_limits ",
            "WHERE window_start < now() - interval '1 day' LIMIT 100 FOR UPDATE SKIP LOCKED)), ",
            $($sql),+
        )
    };
}
pub(crate) use sweeping;

/// What a login attempt counted, and the account its email names, if any.
#[derive(FromRow)]
pub struct Attempt {
    pub address_hits: i32,
    pub window_start: DateTime<Utc>,
    /// The failure slots this attempt took, given back if the password is right.
    pub slots: Vec<String>,
    pub pair_slot: bool,
    pub account_slot: bool,
    pub retry_after: i64,
    pub password_hash: Option<String>,
    #[from_row(flatten)]
    pub user: Found<AccountUser>,
}

/// Counts the attempt against the address and, while the address is within its limit, takes
/// a slot for this guess in the account+address counter and then in the account's counter,
/// each only while that counter is below its limit; then finds the user. Each upsert holds the
/// counter's row lock until the statement ends, so simultaneous guesses get distinct slots and
/// no more than the limit get past this statement to bcrypt. A failed guess keeps its slots;
/// a correct one gives them back ([`open_session`]).
pub async fn attempt_login(
    db: &Db,
    address_bucket: &str,
    address: &str,
    email: &str,
    limits: &RateLimits,
) -> Result<Option<Attempt>, DbError> {
    let sql = sweeping!(
        "address AS (INSERT INTO rate_limits AS r (bucket, window_start, hits) ",
        "VALUES ($1, rate_window($3), 1) ",
        "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1 RETURNING hits, window_start), ",
        "pair AS (INSERT INTO rate_limits AS r (bucket, window_start, hits) ",
        "SELECT login_failures_from_bucket($2, $4), window_start, 1 FROM address WHERE hits <= $5 ",
        "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1 WHERE r.hits < $6 RETURNING bucket), ",
        "account AS (INSERT INTO rate_limits AS r (bucket, window_start, hits) ",
        "SELECT login_failures_bucket($4), a.window_start, 1 FROM address a, pair ",
        "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1 WHERE r.hits < $7 RETURNING bucket) ",
        "SELECT a.hits AS address_hits, a.window_start, ",
        "ARRAY(SELECT bucket FROM pair UNION ALL SELECT bucket FROM account) AS slots, ",
        "EXISTS (SELECT 1 FROM pair) AS pair_slot, EXISTS (SELECT 1 FROM account) AS account_slot, ",
        "rate_retry_after(a.window_start, $3) AS retry_after, u.* ",
        "FROM address a LEFT JOIN users u ON email_key(u.email) = email_key($4)"
    );
    let params: Params = &[
        &address_bucket,
        &address,
        &limits.window.as_secs_f64(),
        &email,
        &limits.attempts_per_address,
        &limits.login_failures_per_account_address,
        &limits.login_failures_per_account,
    ];
    db.row(sql, params, "record login attempt").await
}

/// Gives the slots of a correct login back (so the counters hold failures only, and an owner
/// who logs in often is never locked out by it) and opens the session; its id.
pub async fn open_session(
    db: &Db,
    user_id: Uuid,
    ttl_secs: f64,
    attempt: &Attempt,
) -> Result<Option<Uuid>, DbError> {
    let sql = "\
WITH refund AS (UPDATE rate_limits SET hits = hits - 1
    WHERE bucket = ANY($3::text[]) AND window_start = $4 AND hits > 0),
expired AS (DELETE FROM sessions WHERE user_id = $1 AND expires_at < now())
INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + make_interval(secs => $2))
RETURNING id";
    let params: Params = &[&user_id, &ttl_secs, &attempt.slots, &attempt.window_start];
    let row = db.query_opt(sql, params, "open session").await?;
    Ok(row.map(|r| r.get(0)))
}

/// One bucket's count after a hit.
#[derive(FromRow)]
pub struct Hit {
    pub bucket: String,
    pub hits: i32,
    pub retry_after: i64,
}

/// Counts one hit for the address bucket and one for the registrations of `email`.
pub async fn count_registration(
    db: &Db,
    address_bucket: &str,
    window_secs: f64,
    email: &str,
) -> Result<Vec<Hit>, DbError> {
    let sql = sweeping!(
        "hits AS (INSERT INTO rate_limits AS r (bucket, window_start, hits) ",
        "SELECT b, rate_window($2), 1 FROM unnest(ARRAY[$1::text, 'register:' || email_key($3)]) AS b ",
        "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1 ",
        "RETURNING bucket, hits, window_start) ",
        "SELECT bucket, hits, rate_retry_after(window_start, $2) AS retry_after FROM hits"
    );
    let params: Params = &[&address_bucket, &window_secs, &email];
    db.rows(sql, params, "count registration attempt").await
}

/// A new account and its first session.
#[derive(FromRow)]
pub struct NewAccount {
    #[from_row(flatten)]
    pub user: AccountUser,
    pub session_id: Uuid,
}

pub struct Registration<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub ttl_secs: f64,
}

pub async fn create_account(
    db: &Db,
    new: &Registration<'_>,
) -> Result<Option<NewAccount>, DbError> {
    let sql = "\
WITH new_user AS (
    INSERT INTO users (email, password_hash, name, phone) VALUES ($1, $2, $3, $4) RETURNING *
), new_session AS (
    INSERT INTO sessions (user_id, expires_at)
    SELECT id, now() + make_interval(secs => $5) FROM new_user
    RETURNING id, user_id
)
SELECT u.*, s.id AS session_id FROM new_user u JOIN new_session s ON s.user_id = u.id";
    let params: Params = &[
        &new.email,
        &new.password_hash,
        &new.name,
        &new.phone,
        &new.ttl_secs,
    ];
    db.row(sql, params, "create account").await
}

/// Revokes the caller's session, or with `everywhere` every live session of the user if the
/// token's own session is live: a token that was already revoked (a captured copy, say) cannot
/// end anybody's sessions.
pub async fn revoke(db: &Db, caller: &Caller, everywhere: bool) -> Result<u64, DbError> {
    let sql = if everywhere {
        "UPDATE sessions SET revoked_at = now() WHERE user_id = $2 AND revoked_at IS NULL \
         AND EXISTS (SELECT 1 FROM live_caller($1, $2))"
    } else {
        "UPDATE sessions SET revoked_at = now() \
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL"
    };
    let params: Params = &[&caller.session_id, &caller.user_id];
    db.execute(sql, params, "revoke session").await
}

/// The caller's profile; `None` when the session is gone.
pub async fn me(db: &Db, caller: &Caller) -> Result<Option<Profile>, DbError> {
    let sql = "SELECT u.* FROM live_caller($1, $2) c JOIN users u ON u.id = c.id";
    db.row(sql, &[&caller.session_id, &caller.user_id], "load profile")
        .await
}

/// What checking a signed-in user's current password needs: the email and hash, the failed
/// logins counted against the account in the current window, and the seconds until it ends.
#[derive(FromRow)]
pub struct Account {
    #[from_row(rename = "account_email")]
    pub email: String,
    pub password_hash: String,
    #[from_row(rename = "account_failures")]
    pub failures: i32,
    pub retry_after: i64,
}

/// The columns of [`Account`] over the user `u`; `$3` is the window in seconds.
pub const ACCOUNT_COLUMNS: &str = "u.id, u.email AS account_email, u.password_hash, \
    login_failures(u.email, $3) AS account_failures, \
    rate_retry_after(rate_window($3), $3) AS retry_after";

/// The caller's account; `None` when the session is gone.
pub async fn account(
    db: &Db,
    caller: &Caller,
    window_secs: f64,
) -> Result<Option<Account>, DbError> {
    let sql =
        format!("SELECT {ACCOUNT_COLUMNS} FROM live_caller($1, $2) c JOIN users u ON u.id = c.id");
    let params: Params = &[&caller.session_id, &caller.user_id, &window_secs];
    db.row(&sql, params, "load account").await
}

/// Counts one failed login against the account of `email`.
pub async fn count_failure(db: &Db, email: &str, window_secs: f64) -> Result<u64, DbError> {
    let sql = "INSERT INTO rate_limits AS r (bucket, window_start, hits) \
               VALUES (login_failures_bucket($1), rate_window($2), 1) \
               ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1";
    let params: Params = &[&email, &window_secs];
    db.execute(sql, params, "count failed re-authentication")
        .await
}

/// Sets the hash and revokes the user's other live sessions, if the caller's session is still
/// live (it may have been revoked while bcrypt ran); `None` when it is not.
pub async fn change_password(
    db: &Db,
    caller: &Caller,
    hash: &str,
) -> Result<Option<Uuid>, DbError> {
    let sql = "\
WITH changed AS (UPDATE users u SET password_hash = $3, updated_at = now()
    FROM live_caller($1, $2) c WHERE u.id = c.id RETURNING u.id),
revoked AS (UPDATE sessions s SET revoked_at = now() FROM changed
    WHERE s.user_id = changed.id AND s.id <> $1 AND s.revoked_at IS NULL)
SELECT id FROM changed";
    let params: Params = &[&caller.session_id, &caller.user_id, &hash];
    let row = db.query_opt(sql, params, "change password").await?;
    Ok(row.map(|r| r.get(0)))
}
