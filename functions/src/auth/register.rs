//! `POST /api/auth/register`: create an account (always role USER) and sign it in.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use common::domain::{Email, PersonName, Phone, Text};
use common::error::OnConstraint;
use common::extract::{ClientAddress, Json, Public};
use common::validation::password_bytes;
use common::{ApiError, AppState, HandlerResult};
use http::StatusCode;
use serde::Deserialize;
use validator::Validate;

use super::queries::{self, Registration};
use super::{rate_limit, sign_in};

/// Any `role` in the body is not even read: new accounts are USER.
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct RegisterBody {
    #[validate(custom(function = Text::rule))]
    pub email: Email,
    #[validate(
        length(min = 8, message = "Password must be at least 8 characters"),
        custom(function = password_bytes)
    )]
    pub password: String,
    #[validate(custom(function = Text::rule))]
    pub name: Option<PersonName>,
    #[validate(custom(function = Text::rule))]
    pub phone: Option<Phone>,
}

impl common::body::JsonBody for RegisterBody {
    const REQUIRED: &'static [&'static str] = &["email", "password"];
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/auth/register", post(register))
}

async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Public(Json(input)): Public<Json<RegisterBody>>,
) -> HandlerResult {
    let email = input.email.as_str();
    let db = state.db().await?;
    rate_limit::count_registration(&db, &state.config.auth.rate_limits, &address, email).await?;
    // Back to the pool while bcrypt runs (a quarter of a second): other requests need it more.
    drop(db);
    let hash = state.passwords.hash(input.password.into()).await?;
    let new = Registration {
        email,
        password_hash: &hash,
        name: input.name.as_ref().map(Text::as_str),
        phone: input.phone.as_ref().map(Text::as_str),
        ttl_secs: state.keys.ttl().as_secs_f64(),
    };
    let account = queries::create_account(&state.db().await?, &new)
        .await
        .on_constraint("users_email_key", || {
            ApiError::Conflict("User with this email already exists".into())
        })?
        .ok_or_else(|| ApiError::internal("account insert returned no row"))?;
    sign_in::respond(
        &state,
        &account.user,
        account.session_id,
        StatusCode::CREATED,
        "Registration successful",
    )
}
