//! `/api/users/{id}`: a profile with its counts (self or admin), and profile edits (self or
//! admin). The role is never changed here. Changing one's own email needs the current password:
//! whoever controls the email controls the account, so a stolen session must not be enough.

pub mod model;

use common::auth::Role;
use common::auth::caller::identify;
use common::body::Patch;
use common::error::OnConstraint;
use common::validation::{person_name, phone};
use common::{ApiError, AppState, HandlerResult, body, request, response};
use http::{Method, StatusCode};
use lambda_http::Request;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::{Validate, ValidateEmail, ValidationError};

use crate::auth::rate_limit;
use crate::auth::reauth::{self, reauth_columns};
use crate::routes::{Function, method_not_allowed};
use crate::session::{caller_role, session_gone, unless_session_gone, with_caller};
use model::Profile;

pub async fn handle(state: &AppState, req: Request) -> HandlerResult {
    match *req.method() {
        Method::GET => read(state, req).await,
        Method::PUT => update(state, req).await,
        _ => Err(method_not_allowed(Function::User)),
    }
}

crate::lambda_handler!();

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

#[derive(Serialize)]
struct Counts {
    bookings: i64,
    conversations: i64,
}

#[derive(Serialize)]
struct ProfileWithCounts {
    #[serde(flatten)]
    profile: Profile,
    #[serde(rename = "_count")]
    count: Counts,
}

/// The target's profile and counts, joined only when the caller may see them.
const READ: &str = with_caller!(
    "SELECT c.id AS caller_id, c.role AS caller_role, ",
    "u.id, u.email, u.name, u.phone, u.role, u.created_at, u.updated_at, ",
    "(SELECT count(*) FROM bookings WHERE user_id = u.id) AS booking_count, ",
    "(SELECT count(*) FROM conversations WHERE user_id = u.id) AS conversation_count ",
    "FROM caller c LEFT JOIN users u ON u.id = $3 AND (c.id = $3 OR c.role = 'ADMIN')"
);

async fn read(state: &AppState, req: Request) -> HandlerResult {
    let caller = identify(&req, &state.keys).required()?;
    let id = unless_session_gone(state, &caller, request::path_id(&req)).await?;
    let db = state.db().await?;
    let row = db
        .query_opt(
            READ,
            &[&caller.session_id, &caller.user_id, &id],
            "read user",
        )
        .await?
        .ok_or_else(session_gone)?;
    check_access(caller.user_id, caller_role(&row)?, id)?;
    if row.get::<_, Option<Uuid>>("id").is_none() {
        return Err(not_found());
    }
    let body = ProfileWithCounts {
        profile: Profile::from_row(&row)?,
        count: Counts {
            bookings: row.get("booking_count"),
            conversations: row.get("conversation_count"),
        },
    };
    Ok(response::success(StatusCode::OK, &body))
}

/// `name` and `phone` may be `null` to clear them; `email` may change but not be removed, and
/// changing one's own needs `currentPassword`. Anything else (a `role`, say) is ignored.
#[derive(Deserialize, Validate)]
#[validate(schema(function = "validate_update"))]
pub struct UpdateUserBody {
    #[serde(default)]
    #[validate(custom(function = "name_patch"))]
    pub name: Patch<String>,
    #[serde(default)]
    #[validate(custom(function = "phone_patch"))]
    pub phone: Patch<String>,
    #[serde(default)]
    #[validate(custom(function = "email_patch"))]
    pub email: Patch<String>,
    /// Read only for a change of one's own email (see [`bounded_current_password`]).
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

fn name_patch(name: &Patch<String>) -> Result<(), ValidationError> {
    name.as_value().map_or(Ok(()), |n| person_name(n))
}

fn phone_patch(number: &Patch<String>) -> Result<(), ValidationError> {
    number.as_value().map_or(Ok(()), |n| phone(n))
}

/// An email may change but never be removed: every account signs in with one.
fn email_patch(email: &Patch<String>) -> Result<(), ValidationError> {
    let invalid = |code: &'static str, message: &'static str| {
        Err(ValidationError::new(code).with_message(message.into()))
    };
    match email {
        Patch::Absent => Ok(()),
        Patch::Null => invalid("required", "Email cannot be removed"),
        Patch::Value(e) if !e.trim().validate_email() => invalid("email", "Invalid email address"),
        Patch::Value(e) if e.trim().len() > 254 => {
            invalid("length", "Email must be at most 254 characters")
        }
        Patch::Value(_) => Ok(()),
    }
}

#[derive(Serialize)]
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
const CALLER: &str = with_caller!(
    "SELECT c.id AS caller_id, c.role AS caller_role, ",
    reauth_columns!("$4"),
    " FROM caller c LEFT JOIN users u ON u.id = c.id AND u.id = $3"
);

const UPDATE: &str = "\
UPDATE users SET
    name = CASE WHEN $2 THEN $3 ELSE name END,
    phone = CASE WHEN $4 THEN $5 ELSE phone END,
    email = COALESCE($6, email),
    updated_at = now()
WHERE id = $1
RETURNING id, email, name, phone, role, updated_at";

fn patch_param(patch: &Patch<String>) -> (bool, Option<String>) {
    match patch {
        Patch::Absent => (false, None),
        Patch::Null => (true, None),
        Patch::Value(v) => (true, Some(v.trim().to_string())),
    }
}

/// `currentPassword` is read only for a change of one's own email, but bounded whenever it is
/// sent, as the documented schema says: an empty or oversized one is a malformed body.
fn bounded_current_password(input: UpdateUserBody) -> Result<UpdateUserBody, ApiError> {
    match &input.current_password {
        Some(p) if !reauth::presentable(p) => Err(ApiError::validation(
            "currentPassword",
            "Must be 1 to 1024 characters",
        )),
        _ => Ok(input),
    }
}

async fn update(state: &AppState, req: Request) -> HandlerResult {
    let caller = identify(&req, &state.keys).required()?;
    let id = unless_session_gone(state, &caller, request::path_id(&req)).await?;
    let input: UpdateUserBody = unless_session_gone(
        state,
        &caller,
        body::json(&req, state.config.http.max_body_bytes).and_then(bounded_current_password),
    )
    .await?;
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
        .ok_or_else(session_gone)?;
    check_access(caller.user_id, caller_role(&row)?, id)?;
    let email = input.email.as_value().map(|e| e.trim().to_string());
    // One's own email, changed (an administrator changing someone else's needs no password of
    // theirs: the contract asks it of the account's owner).
    let own: Option<String> = row.get("account_email");
    if let (Some(own), Some(new)) = (own, &email)
        && own != *new
    {
        // An empty one was refused with the body (`bounded_current_password`).
        let password = input.current_password.ok_or_else(|| {
            ApiError::validation("currentPassword", "Required to change your email")
        })?;
        reauth::check(state, &row, password).await?;
    }
    let (set_name, name) = patch_param(&input.name);
    let (set_phone, phone) = patch_param(&input.phone);
    let db = state.db().await?;
    let row = db
        .query_opt(
            UPDATE,
            &[&id, &set_name, &name, &set_phone, &phone, &email],
            "update user",
        )
        .await
        .on_constraint("users_email_key", || {
            ApiError::Conflict("Email is already in use".into())
        })?
        .ok_or_else(not_found)?;
    let role = row
        .get::<_, String>("role")
        .parse()
        .map_err(ApiError::internal)?;
    let updated = UpdatedUser {
        id: row.get("id"),
        email: row.get("email"),
        name: row.get("name"),
        phone: row.get("phone"),
        role,
        updated_at: row.get("updated_at"),
    };
    Ok(response::success_with_message(
        StatusCode::OK,
        &updated,
        "Profile updated successfully",
    ))
}
