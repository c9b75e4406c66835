//! `/api/users/{id}`: a profile with its counts (self or admin), and profile edits (self or
//! admin). The role is never changed here. Changing one's own email needs the current password:
//! whoever controls the email controls the account, so a stolen session must not be enough.

pub mod model;
pub mod queries;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use common::auth::Role;
use common::body::Patch;
use common::domain::{Email, PersonName, Phone, Text, patch_rule};
use common::error::OnConstraint;
use common::extract::{Authed, Id, Input, Json};
use common::{ApiError, AppState, HandlerResult, response, session};
use http::StatusCode;
use http::request::Parts;
use serde::Deserialize;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::reauth;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/users/{id}", get(read).put(update))
}

const NOT_FOUND: ApiError = ApiError::NotFound("User not found");

/// Self or admin; decided on the database's current role.
fn check_access(caller_id: Uuid, role: Role, target: Uuid) -> Result<(), ApiError> {
    if caller_id == target || role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "You can only access your own profile".into(),
        ))
    }
}

async fn read(State(state): State<AppState>, Authed(caller, Id(id)): Authed<Id>) -> HandlerResult {
    let found = queries::read(&state.db().await?, &caller, id)
        .await?
        .ok_or_else(session::gone)?;
    check_access(caller.user_id, found.role, id)?;
    let profile = found.item.0.ok_or(NOT_FOUND)?;
    Ok(response::success(StatusCode::OK, &profile))
}

/// `name` and `phone` may be `null` to clear them; `email` may change but not be removed, and
/// changing one's own needs `currentPassword`. Anything else (a `role`, say) is ignored.
#[derive(Deserialize, Validate)]
#[validate(schema(function = "validate_update"))]
pub struct UpdateUserBody {
    #[serde(default)]
    #[validate(custom(function = patch_rule))]
    pub name: Patch<PersonName>,
    #[serde(default)]
    #[validate(custom(function = patch_rule))]
    pub phone: Patch<Phone>,
    #[serde(default)]
    #[validate(custom(function = "email_patch"))]
    pub email: Patch<Email>,
    /// Read only for a change of one's own email (see [`Edit`]).
    #[serde(default, rename = "currentPassword")]
    pub current_password: Option<String>,
}

impl common::body::JsonBody for UpdateUserBody {}

fn validate_update(body: &UpdateUserBody) -> Result<(), ValidationError> {
    if body.name.is_absent() && body.phone.is_absent() && body.email.is_absent() {
        return Err(ValidationError::new("empty_update")
            .with_message("Provide at least one of name, phone, email".into()));
    }
    Ok(())
}

/// An email may change but never be removed: every account signs in with one.
fn email_patch(email: &Patch<Email>) -> Result<(), ValidationError> {
    match email {
        Patch::Null => {
            Err(ValidationError::new("required").with_message("Email cannot be removed".into()))
        }
        _ => patch_rule(email),
    }
}

/// Whether the column changes, and to what.
fn change<T: Text>(patch: &Patch<T>) -> Option<Option<&str>> {
    match patch {
        Patch::Absent => None,
        Patch::Null => Some(None),
        Patch::Value(v) => Some(Some(v.as_str())),
    }
}

/// `currentPassword` is read only for a change of one's own email, but bounded whenever it is
/// sent, as the documented schema says: an empty or oversized one is a malformed body.
struct Edit(UpdateUserBody);

impl Input for Edit {
    fn read(parts: &Parts, body: &[u8], state: &AppState) -> Result<Self, ApiError> {
        let Json(input) = Json::<UpdateUserBody>::read(parts, body, state)?;
        match &input.current_password {
            Some(p) if !reauth::presentable(p) => Err(ApiError::validation(
                "currentPassword",
                "Must be 1 to 1024 characters",
            )),
            _ => Ok(Edit(input)),
        }
    }
}

async fn update(
    State(state): State<AppState>,
    Authed(caller, (Id(id), Edit(input))): Authed<(Id, Edit)>,
) -> HandlerResult {
    let window = state.config.auth.rate_limits.window.as_secs_f64();
    let editor = queries::editor(&state.db().await?, &caller, window, id)
        .await?
        .ok_or_else(session::gone)?;
    check_access(caller.user_id, editor.role, id)?;
    let email = input.email.as_value().map(Text::as_str);
    // One's own email, changed (an administrator changing someone else's needs no password of
    // theirs: the contract asks it of the account's owner).
    if let (Some(own), Some(new)) = (&editor.item.0, email)
        && own.email != new
    {
        // An empty one was refused with the body (`Edit`).
        let password = input.current_password.clone().ok_or_else(|| {
            ApiError::validation("currentPassword", "Required to change your email")
        })?;
        reauth::check(&state, own, password).await?;
    }
    let edit = queries::Edit {
        name: change(&input.name),
        phone: change(&input.phone),
        email,
    };
    let updated = queries::update(&state.db().await?, id, &edit)
        .await
        .on_constraint("users_email_key", || {
            ApiError::Conflict("Email is already in use".into())
        })?
        .ok_or(NOT_FOUND)?;
    Ok(response::updated(&updated, "Profile updated successfully"))
}
