//! `/api/projects/{id}/bookings`: the project's calendar for its owner, and booking a
//! customer in, by the owner or the project's agent.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use common::auth::Principal;
use common::domain::{PersonName, Phone, Text};
use common::extract::{Authed, FromQuery, Json, ProjectId, Query};
use common::{ApiError, AppState, HandlerResult, response, session};
use http::{StatusCode, Uri};
use serde::Deserialize;
use uuid::Uuid;
use validator::Validate;

use super::NOT_FOUND;
use super::queries::{self, CustomerBooking};
use crate::bookings::queries::ListFilter;
use crate::bookings::{in_the_past, on_overlap, outside_hours};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/projects/{id}/bookings", get(list).post(create))
}

/// `status`, `from` and `to` (inclusive bounds of `scheduledAt`).
pub struct CalendarFilter(ListFilter);

impl FromQuery for CalendarFilter {
    fn from_query(uri: &Uri) -> Result<Self, ApiError> {
        ListFilter::read(uri, ["from", "to"]).map(CalendarFilter)
    }
}

async fn list(
    State(state): State<AppState>,
    Authed(caller, (ProjectId(project), Query(filter))): Authed<(ProjectId, Query<CalendarFilter>)>,
) -> HandlerResult {
    let rows = queries::calendar(&state.db().await?, &caller, project, &filter.0).await?;
    let bookings = super::visible(rows, &caller, true)?;
    Ok(response::success(StatusCode::OK, &bookings))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct CustomerBookingBody {
    pub service_id: Uuid,
    #[serde(deserialize_with = "common::time::deserialize")]
    pub scheduled_at: DateTime<Utc>,
    #[validate(custom(function = Text::rule))]
    pub customer_name: PersonName,
    #[validate(custom(function = Text::rule))]
    pub customer_phone: Option<Phone>,
    #[validate(length(max = 2000, message = "Notes must be at most 2000 characters"))]
    pub notes: Option<String>,
}

impl common::body::JsonBody for CustomerBookingBody {
    const REQUIRED: &'static [&'static str] = &["serviceId", "scheduledAt", "customerName"];
}

async fn create(
    State(state): State<AppState>,
    Authed(principal, (ProjectId(project), Json(input))): Authed<
        (ProjectId, Json<CustomerBookingBody>),
        Principal,
    >,
) -> HandlerResult {
    let new = CustomerBooking {
        project,
        service: input.service_id,
        scheduled_at: input.scheduled_at,
        customer_name: input.customer_name.as_str(),
        customer_phone: input.customer_phone.as_ref().map(Text::as_str),
        notes: input.notes.as_deref(),
    };
    let outcome = on_overlap(queries::book(&state.db().await?, &principal, &new).await)?
        .ok_or_else(|| ApiError::internal("customer booking returned no row"))?;
    if !outcome.authenticated {
        return Err(match principal {
            Principal::User(_) => session::gone(),
            Principal::Agent(_) => common::agent_keys::refused(),
        });
    }
    if !outcome.project_found {
        return Err(NOT_FOUND);
    }
    if !outcome.allowed {
        return Err(ApiError::Forbidden(
            "Only the project's owner or its agent can book here".into(),
        ));
    }
    if !outcome.service_found {
        return Err(ApiError::validation(
            "serviceId",
            "Not an active service of this project",
        ));
    }
    if !outcome.in_future {
        return Err(in_the_past());
    }
    if !outcome.within_hours {
        return Err(outside_hours());
    }
    let booking = outcome
        .booking
        .0
        .ok_or_else(|| ApiError::internal("customer booking was not stored"))?;
    Ok(response::created(&booking, "Booking created successfully"))
}
