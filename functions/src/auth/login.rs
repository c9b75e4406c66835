//! `POST /api/auth/login`: check the password and open a session. Unknown email and wrong
//! password take the same path (a failure counted, a bcrypt check) and get the same answer.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use common::domain::{Email, Text};
use common::error::ApiError;
use common::extract::{ClientAddress, Json, Public};
use common::{AppState, HandlerResult};
use http::StatusCode;
use serde::Deserialize;
use validator::Validate;

use super::queries;
use super::{rate_limit, sign_in};

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

pub fn router() -> Router<AppState> {
    Router::new().route("/api/auth/login", post(login))
}

async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Public(Json(input)): Public<Json<LoginBody>>,
) -> HandlerResult {
    let limits = &state.config.auth.rate_limits;
    let db = state.db().await?;
    let bucket = rate_limit::address_bucket(&address);
    let attempt = queries::attempt_login(&db, &bucket, &address, input.email.as_str(), limits)
        .await?
        .ok_or_else(|| ApiError::internal("login attempt returned no row"))?;
    let retry = attempt.retry_after;
    rate_limit::check(attempt.address_hits, limits.attempts_per_address, retry)?;
    // No slot: this account has had its failures from this address, or from all addresses,
    // for this window. Even the right password waits, or the lock would tell it apart. (A
    // pair slot taken while the account is at its ceiling stays taken: that address is locked
    // out anyway until the window ends.)
    if !attempt.pair_slot || !attempt.account_slot {
        return Err(rate_limit::limited(retry));
    }
    // Back to the pool while bcrypt runs (a quarter of a second): other requests need it more.
    drop(db);
    let matched = state
        .passwords
        .verify(input.password.into(), attempt.password_hash.clone())
        .await;
    // The failure was counted before the hash.
    let user = attempt
        .user
        .0
        .as_ref()
        .filter(|_| matched)
        .ok_or(ApiError::Unauthorized("Invalid email or password"))?;
    let ttl = state.keys.ttl().as_secs_f64();
    let session = queries::open_session(&state.db().await?, user.user.id, ttl, &attempt)
        .await?
        .ok_or_else(|| ApiError::internal("session insert returned no row"))?;
    sign_in::respond(&state, user, session, StatusCode::OK, "Login successful")
}
