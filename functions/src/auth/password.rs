//! `PUT /api/auth/password`: a new password for the signed-in user, given the current one.
//! A wrong current password is a failed login (see [`super::reauth`]). Success ends every other
//! session of the user; the caller's stays.

use axum::Router;
use axum::extract::State;
use axum::routing::put;
use common::extract::{Authed, Json};
use common::validation::password_bytes;
use common::{AppState, HandlerResult, response, session};
use serde::Deserialize;
use validator::Validate;

use super::{queries, reauth};

/// The new password follows the rules of registration; the current one is only bounded, like
/// a login's: a wrong length is just a wrong password.
#[derive(Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordBody {
    #[validate(length(min = 1, max = 1024, message = "Current password is required"))]
    pub current_password: String,
    #[validate(
        length(min = 8, message = "Password must be at least 8 characters"),
        custom(function = password_bytes)
    )]
    pub new_password: String,
}

impl common::body::JsonBody for ChangePasswordBody {
    const REQUIRED: &'static [&'static str] = &["currentPassword", "newPassword"];
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/auth/password", put(change_password))
}

async fn change_password(
    State(state): State<AppState>,
    Authed(caller, Json(input)): Authed<Json<ChangePasswordBody>>,
) -> HandlerResult {
    let window = state.config.auth.rate_limits.window.as_secs_f64();
    let account = queries::account(&state.db().await?, &caller, window)
        .await?
        .ok_or_else(session::gone)?;
    reauth::check(&state, &account, input.current_password).await?;
    let hash = state.passwords.hash(input.new_password.into()).await?;
    queries::change_password(&state.db().await?, &caller, &hash)
        .await?
        .ok_or_else(session::gone)?;
    Ok(response::message("Password changed successfully"))
}
