//! `POST /api/auth/login`: check the password and open a session. Unknown email and wrong
//! password take the same path (a bcrypt check, a failure counted) and get the same answer.

use common::error::ApiError;
use common::{AppState, HandlerResult, body, request};
use http::{Method, StatusCode};
use lambda_http::Request;
use secrecy::SecretString;
use serde::Deserialize;
use validator::Validate;

use super::rate_limit::{
    self, email_key, login_failures_bucket, retry_after, sweep_old_windows, window_start,
};
use super::sign_in;
use crate::routes::{Function, method_not_allowed};
use crate::users::model::AccountUser;

#[derive(Debug, Deserialize, Validate)]
pub struct LoginBody {
    #[validate(
        email(message = "Invalid email address"),
        length(max = 254, message = "Email must be at most 254 characters")
    )]
    pub email: String,
    // Only bounded here: a wrong length is just a wrong password, answered 401 like any other.
    #[validate(length(min = 1, max = 1024, message = "Password is required"))]
    pub password: String,
}

impl common::body::JsonBody for LoginBody {
    const REQUIRED: &'static [&'static str] = &["email", "password"];
}

/// Counts the attempt against the address, reads the account's failures, and finds the user.
/// $3 is the email: the account's bucket and the lookup normalise it the same way.
const ATTEMPT: &str = concat!(
    "WITH ",
    sweep_old_windows!(),
    ", address AS (INSERT INTO rate_limits AS r (bucket, window_start, hits) VALUES ($1, ",
    window_start!("$2"),
    ", 1) ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1 RETURNING hits, window_start) ",
    "SELECT a.hits AS address_hits, ",
    "COALESCE((SELECT f.hits FROM rate_limits f WHERE f.bucket = ",
    login_failures_bucket!("$3"),
    " AND f.window_start = a.window_start), 0) AS account_failures, ",
    retry_after!("$2"),
    ", u.id, u.email, u.password_hash, u.name, u.phone, u.role, u.created_at ",
    "FROM address a LEFT JOIN users u ON ",
    email_key!("u.email"),
    " = ",
    email_key!("$3")
);

const OPEN_SESSION: &str = "\
WITH expired AS (DELETE FROM sessions WHERE user_id = $1 AND expires_at < now())
INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + make_interval(secs => $2))
RETURNING id";

fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized("Invalid email or password")
}

pub async fn handle(state: &AppState, req: Request) -> HandlerResult {
    if req.method() != Method::POST {
        return Err(method_not_allowed(Function::AuthLogin));
    }
    let input: LoginBody = body::json(&req, state.config.http.max_body_bytes)?;
    let limits = &state.config.auth.rate_limits;
    let window = rate_limit::window_secs(limits);
    let email = input.email.trim();
    let db = state.db().await?;
    let row = db
        .query_opt(
            ATTEMPT,
            &[
                &rate_limit::address_bucket(&request::source_ip(&req)),
                &window,
                &email,
            ],
            "record login attempt",
        )
        .await?
        .ok_or_else(|| ApiError::internal("login attempt returned no row"))?;
    let retry: i64 = row.get("retry_after");
    rate_limit::check(row.get("address_hits"), limits.attempts_per_address, retry)?;
    // The account is locked once it has as many failures as allowed, until the window ends.
    let failures: i32 = row.get("account_failures");
    rate_limit::check(failures + 1, limits.login_failures_per_account, retry)?;

    let stored_hash: Option<String> = row.get("password_hash");
    // Back to the pool while bcrypt runs (a quarter of a second): other requests need it more.
    drop(db);
    let matched = state
        .passwords
        .verify(SecretString::from(input.password), stored_hash)
        .await;
    let db = state.db().await?;
    if !matched {
        db.execute(
            rate_limit::COUNT_FAILURE,
            &[&email, &window],
            "count failed login",
        )
        .await?;
        return Err(invalid_credentials());
    }
    let user = AccountUser::from_row(&row)?;
    let session = db
        .query_opt(
            OPEN_SESSION,
            &[&user.id, &state.keys.ttl().as_secs_f64()],
            "open session",
        )
        .await?
        .ok_or_else(|| ApiError::internal("session insert returned no row"))?;
    sign_in::respond(
        state,
        &user,
        session.get("id"),
        StatusCode::OK,
        "Login successful",
    )
}
