//! `GET /api/bookings` (the caller's bookings, newest first) and `POST /api/bookings`.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use common::domain::Minutes;
use common::error::FieldError;
use common::extract::{Authed, FromQuery, Json, Query};
use common::time::query_param;
use common::{ApiError, AppState, HandlerResult, request, response, session};
use http::{StatusCode, Uri};
use serde::Deserialize;
use uuid::Uuid;
use validator::Validate;

use super::queries::{self, ListFilter, NewBooking};
use super::{in_the_past, on_overlap, outside_hours};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/bookings", get(list).post(create))
}

impl FromQuery for ListFilter {
    fn from_query(uri: &Uri) -> Result<Self, ApiError> {
        Self::read(uri, ["startDate", "endDate"])
    }
}

impl ListFilter {
    /// `status`, and the bounds of `scheduledAt` named `names` (inclusive).
    pub fn read(uri: &Uri, names: [&str; 2]) -> Result<Self, ApiError> {
        let [start_name, end_name] = names;
        let mut errors = Vec::new();
        let status = match request::query(uri, "status") {
            None => None,
            Some(raw) => raw.parse().map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    "status",
                    "Must be one of PENDING, CONFIRMED, CANCELLED, COMPLETED",
                ));
                None
            }),
        };
        let start = query_param(uri, start_name, &mut errors);
        let end = query_param(uri, end_name, &mut errors);
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            errors.push(FieldError::new(
                end_name,
                format!("Must not be before {start_name}"),
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(Self { status, start, end })
    }
}

async fn list(
    State(state): State<AppState>,
    Authed(caller, Query(filter)): Authed<Query<ListFilter>>,
) -> HandlerResult {
    let bookings = queries::list(&state.db().await?, &caller, &filter)
        .await?
        .ok_or_else(session::gone)?;
    Ok(response::success(StatusCode::OK, &bookings))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct CreateBookingBody {
    pub service_id: Uuid,
    #[serde(deserialize_with = "common::time::deserialize")]
    pub scheduled_at: DateTime<Utc>,
    /// Optional for a project's service, which sets it.
    #[validate(custom(function = Minutes::rule))]
    pub duration: Option<Minutes>,
    #[validate(length(max = 2000, message = "Notes must be at most 2000 characters"))]
    pub notes: Option<String>,
}

impl common::body::JsonBody for CreateBookingBody {
    const REQUIRED: &'static [&'static str] = &["serviceId", "scheduledAt"];
}

/// The duration asked for; a project's service sets its own, which may be omitted but not
/// changed.
fn booking_duration(prospect: &queries::Prospect, asked: Option<i32>) -> Result<i32, ApiError> {
    match (prospect.project_id, prospect.service_duration, asked) {
        (Some(_), Some(service), Some(asked)) if asked != service => Err(ApiError::validation(
            "duration",
            format!("Must be the service's duration, {service} minutes"),
        )),
        (Some(_), Some(service), _) => Ok(service),
        (_, _, Some(asked)) => Ok(asked),
        (_, _, None) => Err(ApiError::validation("duration", "Required")),
    }
}

async fn create(
    State(state): State<AppState>,
    Authed(caller, Json(input)): Authed<Json<CreateBookingBody>>,
) -> HandlerResult {
    let db = state.db().await?;
    let asked = input.duration.map(Minutes::get);
    let prospect = queries::prospect(&db, &caller, input.service_id, input.scheduled_at, asked)
        .await?
        .ok_or_else(session::gone)?;
    if !prospect.in_future {
        return Err(in_the_past());
    }
    match prospect.is_active {
        None => return Err(ApiError::NotFound("Service not found")),
        Some(false) => {
            return Err(ApiError::BadRequest(
                "Service is not available for booking".into(),
            ));
        }
        Some(true) => {}
    }
    let duration = booking_duration(&prospect, asked)?;
    if prospect.within_hours == Some(false) {
        return Err(outside_hours());
    }
    let new = NewBooking {
        user_id: caller.user_id,
        service_id: input.service_id,
        scheduled_at: input.scheduled_at,
        duration,
        notes: input.notes.as_deref(),
    };
    let booking = on_overlap(queries::insert(&db, &new).await)?.ok_or_else(session::gone)?;
    Ok(response::created(&booking, "Booking created successfully"))
}
