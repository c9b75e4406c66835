//! `/api/bookings/{id}`: read (owner or admin), update (reschedule, notes, status), and cancel.

use chrono::{DateTime, Utc};
use common::auth::Caller;
use common::auth::caller::identify;
use common::body::Patch;
use common::error::OnConstraint;
use common::{ApiError, AppState, HandlerResult, body, request, response};
use http::{Method, StatusCode};
use lambda_http::Request;
use serde::Deserialize;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use super::collection::in_the_past;
use super::model::{Booking, booking_columns, booking_user_columns, status_of};
use super::status::{Actor, BookingStatus, TransitionError};
use super::{NO_OVERLAP, overlap_conflict};
use crate::routes::{Function, method_not_allowed};
use crate::services::model::service_summary_columns;
use crate::session::{caller_role, session_gone, unless_session_gone, with_caller};

pub async fn handle(state: &AppState, req: Request) -> HandlerResult {
    match *req.method() {
        Method::GET => read(state, req).await,
        Method::PUT => update(state, req).await,
        Method::DELETE => cancel(state, req).await,
        _ => Err(method_not_allowed(Function::Booking)),
    }
}

crate::lambda_handler!();

fn not_found() -> ApiError {
    ApiError::NotFound("Booking not found")
}

fn not_yours() -> ApiError {
    ApiError::Forbidden("You do not have access to this booking".into())
}

/// Owners act on their own bookings, administrators on anyone's; everyone else is refused.
fn actor(caller_id: Uuid, role: common::auth::Role, owner_id: Uuid) -> Result<Actor, ApiError> {
    match role {
        common::auth::Role::Admin => Ok(Actor::Admin),
        _ if owner_id == caller_id => Ok(Actor::Owner),
        _ => Err(not_yours()),
    }
}

const READ: &str = with_caller!(
    "SELECT c.id AS caller_id, c.role AS caller_role, ",
    booking_columns!(),
    ", ",
    service_summary_columns!(),
    ", ",
    booking_user_columns!(),
    " FROM caller c LEFT JOIN (bookings b JOIN services s ON s.id = b.service_id ",
    "JOIN users u ON u.id = b.user_id) ON b.id = $3"
);

async fn read(state: &AppState, req: Request) -> HandlerResult {
    let caller = identify(&req, &state.keys).required()?;
    let id = unless_session_gone(state, &caller, request::path_id(&req)).await?;
    let db = state.db().await?;
    let row = db
        .query_opt(
            READ,
            &[&caller.session_id, &caller.user_id, &id],
            "read booking",
        )
        .await?
        .ok_or_else(session_gone)?;
    let owner: Option<Uuid> = row.get("user_id");
    let owner = owner.ok_or_else(not_found)?;
    actor(caller.user_id, caller_role(&row)?, owner)?;
    Ok(response::success(
        StatusCode::OK,
        &Booking::with_service_and_user(&row)?,
    ))
}

/// `scheduledAt`, `status` and `notes` (null clears), at least one of them. DELETE is the
/// change "status = CANCELLED".
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
#[validate(schema(function = "validate_update"))]
pub struct UpdateBookingBody {
    #[serde(default, deserialize_with = "common::time::deserialize_opt")]
    pub scheduled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub status: Option<BookingStatus>,
    #[serde(default)]
    pub notes: Patch<String>,
}

impl common::body::JsonBody for UpdateBookingBody {}

fn validate_update(body: &UpdateBookingBody) -> Result<(), ValidationError> {
    if body.scheduled_at.is_none() && body.status.is_none() && body.notes.is_absent() {
        return Err(ValidationError::new("empty_update")
            .with_message("Provide at least one of scheduledAt, status, notes".into()));
    }
    if body
        .notes
        .as_value()
        .is_some_and(|n| n.chars().count() > 2000)
    {
        return Err(ValidationError::new("notes_too_long")
            .with_message("Notes must be at most 2000 characters".into()));
    }
    Ok(())
}

/// `moves`: a new time that differs from the booking's (in the database's precision, the one
/// it is stored in), which sends an owner's confirmed booking back to PENDING.
const LOAD: &str = with_caller!(
    "SELECT c.id AS caller_id, c.role AS caller_role, b.user_id AS owner_id, b.status, ",
    "b.scheduled_at, ($4::timestamptz IS NULL OR $4::timestamptz > now()) AS in_future, ",
    "($4::timestamptz IS NOT NULL AND $4::timestamptz <> b.scheduled_at) AS moves ",
    "FROM caller c LEFT JOIN bookings b ON b.id = $3"
);

/// Applies the change only if the status and the time are still the ones the decision was made
/// on, after locking the owner's row as every booking write does (see [`NO_OVERLAP`]).
const APPLY: &str = concat!(
    "WITH owner AS (SELECT u.id FROM bookings ob JOIN users u ON u.id = ob.user_id ",
    "WHERE ob.id = $1 FOR NO KEY UPDATE OF u), ",
    "b AS (UPDATE bookings SET scheduled_at = COALESCE($2, scheduled_at), ",
    "status = $3, notes = CASE WHEN $4 THEN $5 ELSE notes END, updated_at = now() ",
    "WHERE id = $1 AND status = $6 AND scheduled_at = $7 AND user_id IN (SELECT id FROM owner) ",
    "RETURNING *) SELECT ",
    booking_columns!(),
    ", ",
    service_summary_columns!(),
    " FROM b JOIN services s ON s.id = b.service_id"
);

/// A concurrent change can move the status between our read and our write; the decision is
/// then made again on the new status, a bounded number of times.
const ATTEMPTS: usize = 3;

fn refused(err: TransitionError) -> ApiError {
    match err {
        TransitionError::Final(status) => ApiError::Conflict(format!(
            "Booking is {} and can no longer be changed",
            status.as_str().to_lowercase()
        )),
        TransitionError::AdminOnly(status) => ApiError::Forbidden(format!(
            "Only an administrator can set status {}",
            status.as_str()
        )),
    }
}

async fn apply(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    change: UpdateBookingBody,
) -> Result<Booking, ApiError> {
    let db = state.db().await?;
    let (set_notes, notes) = match &change.notes {
        Patch::Absent => (false, None),
        Patch::Null => (true, None),
        Patch::Value(n) => (true, Some(n.as_str())),
    };
    for _ in 0..ATTEMPTS {
        let row = db
            .query_opt(
                LOAD,
                &[
                    &caller.session_id,
                    &caller.user_id,
                    &id,
                    &change.scheduled_at,
                ],
                "load booking",
            )
            .await?
            .ok_or_else(session_gone)?;
        let owner: Option<Uuid> = row.get("owner_id");
        let actor = actor(
            caller.user_id,
            caller_role(&row)?,
            owner.ok_or_else(not_found)?,
        )?;
        let current = status_of(&row, "status")?;
        let to = current
            .after_change(change.status, row.get("moves"), actor)
            .map_err(refused)?;
        let scheduled_at: DateTime<Utc> = row.get("scheduled_at");
        if !row.get::<_, bool>("in_future") {
            return Err(in_the_past());
        }
        let updated = db
            .query_opt(
                APPLY,
                &[
                    &id,
                    &change.scheduled_at,
                    &to.as_str(),
                    &set_notes,
                    &notes,
                    &current.as_str(),
                    &scheduled_at,
                ],
                "update booking",
            )
            .await
            .on_constraint(NO_OVERLAP, overlap_conflict)?;
        if let Some(row) = updated {
            return Booking::with_service(&row);
        }
    }
    Err(ApiError::Conflict(
        "Booking was changed by another request; please retry".into(),
    ))
}

async fn update(state: &AppState, req: Request) -> HandlerResult {
    let caller = identify(&req, &state.keys).required()?;
    let id = unless_session_gone(state, &caller, request::path_id(&req)).await?;
    let change: UpdateBookingBody = unless_session_gone(
        state,
        &caller,
        body::json(&req, state.config.http.max_body_bytes),
    )
    .await?;
    let booking = apply(state, &caller, id, change).await?;
    Ok(response::success_with_message(
        StatusCode::OK,
        &booking,
        "Booking updated successfully",
    ))
}

async fn cancel(state: &AppState, req: Request) -> HandlerResult {
    let caller = identify(&req, &state.keys).required()?;
    let id = unless_session_gone(state, &caller, request::path_id(&req)).await?;
    let change = UpdateBookingBody {
        scheduled_at: None,
        status: Some(BookingStatus::Cancelled),
        notes: Patch::Absent,
    };
    let booking = apply(state, &caller, id, change).await?;
    Ok(response::success_with_message(
        StatusCode::OK,
        &booking,
        "Booking cancelled successfully",
    ))
}
