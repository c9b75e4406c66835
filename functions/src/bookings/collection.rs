//! `GET /api/bookings` (the caller's bookings, newest first) and `POST /api/bookings`.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use common::domain::Minutes;
use common::error::{FieldError, OnConstraint};
use common::extract::{Authed, FromQuery, Json, Query};
use common::{ApiError, AppState, HandlerResult, request, response, session};
use http::{StatusCode, Uri};
use serde::Deserialize;
use uuid::Uuid;
use validator::Validate;

use super::queries::{self, ListFilter, NewBooking};
use super::{NO_OVERLAP, in_the_past, overlap_conflict};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/bookings", get(list).post(create))
}

impl FromQuery for ListFilter {
    fn from_query(uri: &Uri) -> Result<Self, ApiError> {
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
        let mut date = |name: &str| {
            common::time::parse_param(name, request::query(uri, name)).unwrap_or_else(|e| {
                errors.push(e);
                None
            })
        };
        let start = date("startDate");
        let end = date("endDate");
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            errors.push(FieldError::new("endDate", "Must not be before startDate"));
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
    #[validate(custom(function = Minutes::rule))]
    pub duration: Minutes,
    #[validate(length(max = 2000, message = "Notes must be at most 2000 characters"))]
    pub notes: Option<String>,
}

impl common::body::JsonBody for CreateBookingBody {
    const REQUIRED: &'static [&'static str] = &["serviceId", "scheduledAt", "duration"];
}

async fn create(
    State(state): State<AppState>,
    Authed(caller, Json(input)): Authed<Json<CreateBookingBody>>,
) -> HandlerResult {
    let db = state.db().await?;
    let prospect = queries::prospect(&db, &caller, input.service_id, input.scheduled_at)
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
    let new = NewBooking {
        user_id: caller.user_id,
        service_id: input.service_id,
        scheduled_at: input.scheduled_at,
        duration: input.duration.get(),
        notes: input.notes.as_deref(),
    };
    let booking = queries::insert(&db, &new)
        .await
        .on_constraint(NO_OVERLAP, overlap_conflict)?
        .ok_or_else(session::gone)?;
    Ok(response::success_with_message(
        StatusCode::CREATED,
        &booking,
        "Booking created successfully",
    ))
}
