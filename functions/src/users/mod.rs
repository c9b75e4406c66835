//! `/api/users/{id}`: a profile with its counts (self or admin), and profile edits (self or
//! admin). The role is never changed here. Changing one's own email needs the current password:
//! whoever controls the email controls the account, so a stolen session must not be enough.

pub mod model;

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
use postgres_from_row::FromRow;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::rate_limit;
use crate::auth::reauth::{self, reauth_columns};
use common::db::query::ForCaller;
use model::Profile;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/users/{id}", get(read).put(update))
}

fn forbidden() -> ApiError {
    ApiError::Forbidden("You can only access your own profile".into())
}

fn not_found() -> ApiError {
    ApiError::NotFound("User not found")
}

/// Self or admin; decided on the database's current role.
fn check_access(caller_id: Uuid, role: Role, target: Uuid) -> Result<(), ApiError> {
    if caller_id == target || role == Role::Admin {
        Ok(())
    } else {
        Err(forbidden())
    }
}

#[derive(Serialize, FromRow)]
struct Counts {
    #[from_row(rename = "booking_count")]
    bookings: i64,
    #[from_row(rename = "conversation_count")]
    conversations: i64,
}

#[derive(Serialize, FromRow)]
struct ProfileWithCounts {
    #[serde(flatten)]
    #[from_row(flatten)]
    profile: Profile,
    #[serde(rename = "_count")]
    #[from_row(flatten)]
    count: Counts,
}

/// The target's profile and counts, joined only when the caller may see them.
const READ: &str = "\
SELECT c.role AS caller_role, u.*,
    (SELECT count(*) FROM bookings WHERE user_id = u.id) AS booking_count,
    (SELECT count(*) FROM conversations WHERE user_id = u.id) AS conversation_count
FROM live_caller($1, $2) c LEFT JOIN users u ON u.id = $3 AND (c.id = $3 OR c.role = 'ADMIN')";

async fn read(State(state): State<AppState>, Authed(caller, Id(id)): Authed<Id>) -> HandlerResult {
    let found: ForCaller<ProfileWithCounts> = state
        .db()
        .await?
        .row(
            READ,
            &[&caller.session_id, &caller.user_id, &id],
            "read user",
        )
        .await?
        .ok_or_else(session::gone)?;
    check_access(caller.user_id, found.role, id)?;
    Ok(response::success(
        StatusCode::OK,
        &found.item.ok_or_else(not_found)?,
    ))
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

#[derive(Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
struct UpdatedUser {
    id: Uuid,
    email: String,
    name: Option<String>,
    phone: Option<String>,
    role: Role,
    #[serde(serialize_with = "common::time::serialize")]
    updated_at: chrono::DateTime<chrono::Utc>,
}

/// The caller, and when the caller edits their own profile, what re-authentication needs.
const CALLER: &str = concat!(
    "SELECT c.id AS caller_id, c.role AS caller_role, ",
    reauth_columns!("$4"),
    " FROM live_caller($1, $2) c LEFT JOIN users u ON u.id = c.id AND u.id = $3"
);

const UPDATE: &str = "\
UPDATE users SET
    name = CASE WHEN $2 THEN $3 ELSE name END,
    phone = CASE WHEN $4 THEN $5 ELSE phone END,
    email = COALESCE($6, email),
    updated_at = now()
WHERE id = $1
RETURNING id, email, name, phone, role, updated_at";

/// Whether the column changes, and to what.
fn patch_param<T: Text>(patch: &Patch<T>) -> (bool, Option<&str>) {
    match patch {
        Patch::Absent => (false, None),
        Patch::Null => (true, None),
        Patch::Value(v) => (true, Some(v.as_str())),
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
    let window = rate_limit::window_secs(&state.config.auth.rate_limits);
    let row = state
        .db()
        .await?
        .query_opt(
            CALLER,
            &[&caller.session_id, &caller.user_id, &id, &window],
            "check caller",
        )
        .await?
        .ok_or_else(session::gone)?;
    let role: Role = row.try_get("caller_role").map_err(ApiError::internal)?;
    check_access(caller.user_id, role, id)?;
    let email = input.email.as_value().map(Text::as_str);
    // One's own email, changed (an administrator changing someone else's needs no password of
    // theirs: the contract asks it of the account's owner).
    let own: Option<String> = row.get("account_email");
    if let (Some(own), Some(new)) = (own, email)
        && own != new
    {
        // An empty one was refused with the body (`Edit`).
        let password = input.current_password.ok_or_else(|| {
            ApiError::validation("currentPassword", "Required to change your email")
        })?;
        reauth::check(&state, &row, password).await?;
    }
    let (set_name, name) = patch_param(&input.name);
    let (set_phone, phone) = patch_param(&input.phone);
    let db = state.db().await?;
    let updated: UpdatedUser = db
        .row(
            UPDATE,
            &[&id, &set_name, &name, &set_phone, &phone, &email],
            "update user",
        )
        .await
        .on_constraint("users_email_key", || {
            ApiError::Conflict("Email is already in use".into())
        })?
        .ok_or_else(not_found)?;
    Ok(response::success_with_message(
        StatusCode::OK,
        &updated,
        "Profile updated successfully",
    ))
}
