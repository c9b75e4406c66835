//! `POST /api/auth/register`: create an account (always role USER) and sign it in.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use common::domain::{Email, PersonName, Phone, Text};
use common::error::OnConstraint;
use common::extract::{ClientAddress, Json};
use common::validation::password_bytes;
use common::{ApiError, AppState, HandlerResult};
use http::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use validator::Validate;

use super::{rate_limit, sign_in};
use crate::users::model::AccountUser;
use postgres_from_row::FromRow;

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

const CREATE_ACCOUNT: &str = "\
WITH new_user AS (
    INSERT INTO users (email, password_hash, name, phone) VALUES ($1, $2, $3, $4)
    RETURNING id, email, name, phone, role, created_at
), new_session AS (
    INSERT INTO sessions (user_id, expires_at)
    SELECT id, now() + make_interval(secs => $5) FROM new_user
    RETURNING id, user_id
)
SELECT u.id, u.email, u.name, u.phone, u.role, u.created_at, s.id AS session_id
FROM new_user u JOIN new_session s ON s.user_id = u.id";

pub fn router() -> Router<AppState> {
    Router::new().route("/api/auth/register", post(register))
}

async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(input): Json<RegisterBody>,
) -> HandlerResult {
    let email = input.email.as_str();
    let db = state.db().await?;
    rate_limit::count_registration(&db, &state.config.auth.rate_limits, &address, email).await?;
    // Back to the pool while bcrypt runs (a quarter of a second): other requests need it more.
    drop(db);
    let hash = state
        .passwords
        .hash(SecretString::from(input.password))
        .await?;
    let db = state.db().await?;
    let name = input.name.as_ref().map(Text::as_str);
    let phone = input.phone.as_ref().map(Text::as_str);
    let row = db
        .query_opt(
            CREATE_ACCOUNT,
            &[
                &email,
                &hash,
                &name,
                &phone,
                &state.keys.ttl().as_secs_f64(),
            ],
            "create account",
        )
        .await
        .on_constraint("users_email_key", || {
            ApiError::Conflict("User with this email already exists".into())
        })?
        .ok_or_else(|| ApiError::internal("account insert returned no row"))?;
    let user = AccountUser::try_from_row(&row).map_err(ApiError::internal)?;
    sign_in::respond(
        &state,
        &user,
        row.get("session_id"),
        StatusCode::CREATED,
        "Registration successful",
    )
}
