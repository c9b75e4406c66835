//! `GET /api/bookings` (the caller's bookings, newest first) and `POST /api/bookings`.

use chrono::{DateTime, Utc};
use common::auth::caller::identify;
use common::error::{FieldError, OnConstraint};
use common::{ApiError, AppState, HandlerResult, body, request, response};
use http::{Method, StatusCode};
use lambda_http::Request;
use serde::Deserialize;
use uuid::Uuid;
use validator::Validate;

use super::model::{Booking, booking_columns};
use super::status::BookingStatus;
use super::{NO_OVERLAP, overlap_conflict};
use crate::routes::{Function, method_not_allowed};
use crate::services::model::service_summary_columns;
use crate::session::{session_gone, unless_session_gone, with_caller};

pub async fn handle(state: &AppState, req: Request) -> HandlerResult {
    match *req.method() {
        Method::GET => list(state, req).await,
        Method::POST => create(state, req).await,
        _ => Err(method_not_allowed(Function::Bookings)),
    }
}

crate::lambda_handler!();

/// `status`, `startDate` and `endDate` (inclusive), each optional.
#[derive(Debug, Default, PartialEq)]
pub struct ListFilter {
    pub status: Option<BookingStatus>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl ListFilter {
    pub fn from_request(req: &Request) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let status = match request::query(req, "status") {
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
            common::time::parse_param(name, request::query(req, name)).unwrap_or_else(|e| {
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

const LIST: &str = with_caller!(
    "SELECT c.id AS caller_id, ",
    booking_columns!(),
    ", ",
    service_summary_columns!(),
    " FROM caller c LEFT JOIN (bookings b JOIN services s ON s.id = b.service_id) ",
    "ON b.user_id = c.id AND ($3::text IS NULL OR b.status = $3) ",
    "AND ($4::timestamptz IS NULL OR b.scheduled_at >= $4) ",
    "AND ($5::timestamptz IS NULL OR b.scheduled_at <= $5) ",
    "ORDER BY b.scheduled_at DESC, b.id"
);

async fn list(state: &AppState, req: Request) -> HandlerResult {
    let caller = identify(&req, &state.keys).required()?;
    let filter = unless_session_gone(state, &caller, ListFilter::from_request(&req)).await?;
    let db = state.db().await?;
    let status = filter.status.map(BookingStatus::as_str);
    let rows = db
        .query(
            LIST,
            &[
                &caller.session_id,
                &caller.user_id,
                &status,
                &filter.start,
                &filter.end,
            ],
            "list bookings",
        )
        .await?;
    if rows.is_empty() {
        return Err(session_gone());
    }
    let bookings = rows
        .iter()
        .filter(|row| row.get::<_, Option<Uuid>>("id").is_some())
        .map(Booking::with_service)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(response::success(StatusCode::OK, &bookings))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct CreateBookingBody {
    pub service_id: Uuid,
    #[serde(deserialize_with = "common::time::deserialize")]
    pub scheduled_at: DateTime<Utc>,
    #[validate(range(
        min = 1,
        max = 1440,
        message = "Duration must be between 1 and 1440 minutes"
    ))]
    pub duration: i32,
    #[validate(length(max = 2000, message = "Notes must be at most 2000 characters"))]
    pub notes: Option<String>,
}

impl common::body::JsonBody for CreateBookingBody {
    const REQUIRED: &'static [&'static str] = &["serviceId", "scheduledAt", "duration"];
}

const PREPARE: &str = with_caller!(
    "SELECT c.id AS caller_id, $4::timestamptz > now() AS in_future, ",
    "s.id AS service_ref, s.is_active FROM caller c LEFT JOIN services s ON s.id = $3"
);

/// Locks the owner's row first (see [`NO_OVERLAP`]); no row comes back if the user is gone.
const INSERT: &str = concat!(
    "WITH owner AS (SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE), ",
    "b AS (INSERT INTO bookings (user_id, service_id, scheduled_at, duration, notes) ",
    "SELECT owner.id, $2::uuid, $3::timestamptz, $4::int4, $5::text FROM owner RETURNING *) SELECT ",
    booking_columns!(),
    ", ",
    service_summary_columns!(),
    " FROM b JOIN services s ON s.id = b.service_id"
);

pub fn in_the_past() -> ApiError {
    ApiError::validation("scheduledAt", "Cannot book a time in the past")
}

async fn create(state: &AppState, req: Request) -> HandlerResult {
    let caller = identify(&req, &state.keys).required()?;
    let input: CreateBookingBody = unless_session_gone(
        state,
        &caller,
        body::json(&req, state.config.http.max_body_bytes),
    )
    .await?;
    let db = state.db().await?;
    let check = db
        .query_opt(
            PREPARE,
            &[
                &caller.session_id,
                &caller.user_id,
                &input.service_id,
                &input.scheduled_at,
            ],
            "check booking request",
        )
        .await?
        .ok_or_else(session_gone)?;
    // The database's clock decides what "the past" is, as it does for every other timestamp.
    if !check.get::<_, bool>("in_future") {
        return Err(in_the_past());
    }
    match check.get::<_, Option<bool>>("is_active") {
        None => return Err(ApiError::NotFound("Service not found")),
        Some(false) => {
            return Err(ApiError::BadRequest(
                "Service is not available for booking".into(),
            ));
        }
        Some(true) => {}
    }
    let row = db
        .query_opt(
            INSERT,
            &[
                &caller.user_id,
                &input.service_id,
                &input.scheduled_at,
                &input.duration,
                &input.notes,
            ],
            "insert booking",
        )
        .await
        .on_constraint(NO_OVERLAP, overlap_conflict)?
        .ok_or_else(session_gone)?;
    Ok(response::success_with_message(
        StatusCode::CREATED,
        &Booking::with_service(&row)?,
        "Booking created successfully",
    ))
}
