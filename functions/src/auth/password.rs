//! `PUT /api/auth/password`: a new password for the signed-in user, given the current one.
//! A wrong current password is a failed login (see [`super::reauth`]). Success ends every other
//! session of the user; the caller's stays.

use axum::Router;
use axum::extract::State;
use axum::routing::put;
use common::extract::{Authed, Json};
use common::validation::password_bytes;
use common::{AppState, HandlerResult, response, session};
use http::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use validator::{Validate, ValidationError, ValidationErrors};

use super::rate_limit;
use super::{queries, reauth};

/// The new password follows the rules of registration; the current one is only bounded, like
/// a login's: a wrong length is just a wrong password.
#[derive(Deserialize)]
pub struct ChangePasswordBody {
    #[serde(rename = "currentPassword")]
    pub current_password: String,
    #[serde(rename = "newPassword")]
    pub new_password: String,
}

/// By hand rather than derived: the derive names fields after the Rust identifiers in its
/// errors, and the contract's `details` name them as the JSON does.
impl Validate for ChangePasswordBody {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let invalid =
            |message: &'static str| ValidationError::new("length").with_message(message.into());
        let mut errors = ValidationErrors::new();
        if !reauth::presentable(&self.current_password) {
            errors.add("currentPassword", invalid("Current password is required"));
        }
        if self.new_password.chars().count() < 8 {
            errors.add(
                "newPassword",
                invalid("Password must be at least 8 characters"),
            );
        } else if let Err(err) = password_bytes(&self.new_password) {
            errors.add("newPassword", err);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
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
    let window = rate_limit::window_secs(&state.config.auth.rate_limits);
    let account = queries::account(&state.db().await?, &caller, window)
        .await?
        .ok_or_else(session::gone)?;
    reauth::check(&state, &account, input.current_password).await?;
    let hash = state
        .passwords
        .hash(SecretString::from(input.new_password))
        .await?;
    queries::change_password(&state.db().await?, &caller, &hash)
        .await?
        .ok_or_else(session::gone)?;
    Ok(response::success_with_message(
        StatusCode::OK,
        &serde_json::Value::Null,
        "Password changed successfully",
    ))
}
