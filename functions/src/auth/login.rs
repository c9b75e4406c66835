//! `POST /api/auth/login`: check the password and open a session. Unknown email and wrong
//! password take the same path (a failure counted, a bcrypt check) and get the same answer.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use chrono::{DateTime, Utc};
use common::domain::{Email, Text};
use common::error::ApiError;
use common::extract::{ClientAddress, Json};
use common::{AppState, HandlerResult};
use http::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use validator::Validate;

use super::rate_limit::{
    self, email_key, login_failures_bucket, login_failures_from_bucket, retry_after,
    sweep_old_windows, window_start,
};
use super::sign_in;
use crate::users::model::AccountUser;
use postgres_from_row::FromRow;

#[derive(Debug, Deserialize, Validate)]
pub struct LoginBody {
    #[validate(custom(function = Text::rule))]
    pub email: Email,
    // Only bounded here: a wrong length is just a wrong password, answered 401 like any other.
    #[validate(length(min = 1, max = 1024, message = "Password is required"))]
    pub password: String,
}

impl common::body::JsonBody for LoginBody {
    const REQUIRED: &'static [&'static str] = &["email", "password"];
}

/// Counts the attempt against the address and, while the address is within its limit, takes
/// a slot for this guess in the account+address counter and then in the account's counter,
/// each only while that counter is below its limit; then finds the user. Each upsert holds the
/// counter's row lock until the statement ends, so simultaneous guesses get distinct slots and
/// no more than the limit get past this statement to bcrypt. A failed guess keeps its slots;
/// a correct one gives them back ([`OPEN_SESSION`]).
const ATTEMPT: &str = concat!(
    "WITH ",
    sweep_old_windows!(),
    ", address AS (INSERT INTO rate_limits AS r (bucket, window_start, hits) VALUES ($1, ",
    window_start!("$3"),
    ", 1) ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1 RETURNING hits, window_start), ",
    "pair AS (INSERT INTO rate_limits AS r (bucket, window_start, hits) SELECT ",
    login_failures_from_bucket!("$2::text", "$4::text"),
    ", window_start, 1 FROM address WHERE hits <= $5 ",
    "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1 WHERE r.hits < $6 RETURNING bucket), ",
    "account AS (INSERT INTO rate_limits AS r (bucket, window_start, hits) SELECT ",
    login_failures_bucket!("$4::text"),
    ", a.window_start, 1 FROM address a, pair ",
    "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1 WHERE r.hits < $7 RETURNING bucket) ",
    "SELECT a.hits AS address_hits, a.window_start, ",
    "ARRAY(SELECT bucket FROM pair UNION ALL SELECT bucket FROM account) AS slots, ",
    "EXISTS (SELECT 1 FROM pair) AS pair_slot, EXISTS (SELECT 1 FROM account) AS account_slot, ",
    retry_after!("$3"),
    ", u.id, u.email, u.password_hash, u.name, u.phone, u.role, u.created_at ",
    "FROM address a LEFT JOIN users u ON ",
    email_key!("u.email"),
    " = ",
    email_key!("$4::text")
);

/// Gives the slots of a correct login back (so the counters hold failures only, and an owner
/// who logs in often is never locked out by it) and opens the session.
const OPEN_SESSION: &str = "\
WITH refund AS (UPDATE rate_limits SET hits = hits - 1
    WHERE bucket = ANY($3::text[]) AND window_start = $4 AND hits > 0),
expired AS (DELETE FROM sessions WHERE user_id = $1 AND expires_at < now())
INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + make_interval(secs => $2))
RETURNING id";

fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized("Invalid email or password")
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/auth/login", post(login))
}

async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(input): Json<LoginBody>,
) -> HandlerResult {
    let limits = &state.config.auth.rate_limits;
    let window = rate_limit::window_secs(limits);
    let db = state.db().await?;
    let row = db
        .query_opt(
            ATTEMPT,
            &[
                &rate_limit::address_bucket(&address),
                &address,
                &window,
                &input.email.as_str(),
                &limits.attempts_per_address,
                &limits.login_failures_per_account_address,
                &limits.login_failures_per_account,
            ],
            "record login attempt",
        )
        .await?
        .ok_or_else(|| ApiError::internal("login attempt returned no row"))?;
    let retry: i64 = row.get("retry_after");
    rate_limit::check(row.get("address_hits"), limits.attempts_per_address, retry)?;
    // No slot: this account has had its failures from this address, or from all addresses,
    // for this window. Even the right password waits, or the lock would tell it apart. (A
    // pair slot taken while the account is at its ceiling stays taken: that address is locked
    // out anyway until the window ends.)
    if !row.get::<_, bool>("pair_slot") || !row.get::<_, bool>("account_slot") {
        return Err(rate_limit::limited(retry));
    }
    let window_start: DateTime<Utc> = row.get("window_start");
    let slots: Vec<String> = row.get("slots");

    let stored_hash: Option<String> = row.get("password_hash");
    // Back to the pool while bcrypt runs (a quarter of a second): other requests need it more.
    drop(db);
    let matched = state
        .passwords
        .verify(SecretString::from(input.password), stored_hash)
        .await;
    if !matched {
        // The failure was counted before the hash.
        return Err(invalid_credentials());
    }
    let db = state.db().await?;
    let user = AccountUser::try_from_row(&row).map_err(ApiError::internal)?;
    let session = db
        .query_opt(
            OPEN_SESSION,
            &[
                &user.id,
                &state.keys.ttl().as_secs_f64(),
                &slots,
                &window_start,
            ],
            "open session",
        )
        .await?
        .ok_or_else(|| ApiError::internal("session insert returned no row"))?;
    sign_in::respond(
        &state,
        &user,
        session.get("id"),
        StatusCode::OK,
        "Login successful",
    )
}
