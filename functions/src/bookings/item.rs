//! `/api/bookings/{id}`: read (owner or admin), update (reschedule, notes, status), and cancel.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use common::auth::{Caller, Role};
use common::body::Patch;
use common::extract::{Authed, Id, Json};
use common::{ApiError, AppState, HandlerResult, response, session};
use http::StatusCode;
use serde::Deserialize;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use super::queries::{self, Change};
use super::status::{Actor, BookingStatus, TransitionError};
use super::{in_the_past, on_overlap, outside_hours};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/bookings/{id}", get(read).put(update).delete(cancel))
}

const NOT_FOUND: ApiError = ApiError::NotFound("Booking not found");

/// Owners act on their own bookings, administrators on anyone's, and a project's owner on the
/// bookings of its services as an administrator; everyone else is refused.
fn actor(
    caller: &Caller,
    role: Role,
    owner_id: Option<Uuid>,
    project_owner: Option<Uuid>,
) -> Result<Actor, ApiError> {
    match role {
        Role::Admin => Ok(Actor::Admin),
        _ if project_owner == Some(caller.user_id) => Ok(Actor::Admin),
        _ if owner_id == Some(caller.user_id) => Ok(Actor::Owner),
        _ => Err(ApiError::Forbidden(
            "You do not have access to this booking".into(),
        )),
    }
}

async fn read(State(state): State<AppState>, Authed(caller, Id(id)): Authed<Id>) -> HandlerResult {
    let found = queries::read(&state.db().await?, &caller, id)
        .await?
        .ok_or_else(session::gone)?;
    let booking = found.item.0.ok_or(NOT_FOUND)?;
    actor(
        &caller,
        found.role,
        booking.booking.user_id,
        booking.project_owner,
    )?;
    Ok(response::success(StatusCode::OK, &booking))
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
    done: &str,
) -> HandlerResult {
    let db = state.db().await?;
    let (set_notes, notes) = match &change.notes {
        Patch::Absent => (false, None),
        Patch::Null => (true, None),
        Patch::Value(n) => (true, Some(n.as_str())),
    };
    for _ in 0..ATTEMPTS {
        let found = queries::current(&db, caller, id, change.scheduled_at)
            .await?
            .ok_or_else(session::gone)?;
        let current = found.item.0.ok_or(NOT_FOUND)?;
        let actor = actor(caller, found.role, current.user_id, current.project_owner)?;
        let to = current
            .status
            .after_change(change.status, current.moves, actor)
            .map_err(refused)?;
        if !current.in_future {
            return Err(in_the_past());
        }
        if !current.within_hours {
            return Err(outside_hours());
        }
        let write = Change {
            id,
            scheduled_at: change.scheduled_at,
            status: to,
            set_notes,
            notes,
        };
        if let Some(booking) = on_overlap(queries::apply(&db, &write, &current).await)? {
            return Ok(response::updated(&booking, done));
        }
    }
    Err(ApiError::Conflict(
        "Booking was changed by another request; please retry".into(),
    ))
}

async fn update(
    State(state): State<AppState>,
    Authed(caller, (Id(id), Json(change))): Authed<(Id, Json<UpdateBookingBody>)>,
) -> HandlerResult {
    apply(&state, &caller, id, change, "Booking updated successfully").await
}

async fn cancel(
    State(state): State<AppState>,
    Authed(caller, Id(id)): Authed<Id>,
) -> HandlerResult {
    let body = UpdateBookingBody {
        scheduled_at: None,
        status: Some(BookingStatus::Cancelled),
        notes: Patch::Absent,
    };
    apply(&state, &caller, id, body, "Booking cancelled successfully").await
}
