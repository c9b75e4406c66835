//! How bookings appear on the wire.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

use common::ApiError;

use super::status::BookingStatus;
use crate::services::model::ServiceSummary;

/// Columns of a booking row, for `Booking::from_row`.
macro_rules! booking_columns {
    () => {
        "b.id, b.user_id, b.service_id, b.scheduled_at, b.duration, b.status, \
         b.cal_com_event_id, b.notes, b.created_at, b.updated_at"
    };
}
pub(crate) use booking_columns;

/// Columns of the owner summary of `GET /api/bookings/{id}`.
macro_rules! booking_user_columns {
    () => {
        "u.id AS owner_id, u.name AS owner_name, u.email AS owner_email, u.phone AS owner_phone"
    };
}
pub(crate) use booking_user_columns;

/// `user{id,name,email,phone}` inside a single booking.
#[derive(Debug, Clone, Serialize)]
pub struct BookingUser {
    pub id: Uuid,
    pub name: Option<String>,
    pub email: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    pub id: Uuid,
    pub user_id: Uuid,
    pub service_id: Uuid,
    #[serde(serialize_with = "common::time::serialize")]
    pub scheduled_at: DateTime<Utc>,
    pub duration: i32,
    pub status: BookingStatus,
    pub cal_com_event_id: Option<String>,
    pub notes: Option<String>,
    #[serde(serialize_with = "common::time::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "common::time::serialize")]
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<BookingUser>,
}

pub fn status_of(row: &Row, column: &str) -> Result<BookingStatus, ApiError> {
    row.get::<_, String>(column)
        .parse()
        .map_err(ApiError::internal)
}

impl Booking {
    /// From a row with the booking columns and the service summary columns.
    pub fn with_service(row: &Row) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.get("id"),
            user_id: row.get("user_id"),
            service_id: row.get("service_id"),
            scheduled_at: row.get("scheduled_at"),
            duration: row.get("duration"),
            status: status_of(row, "status")?,
            cal_com_event_id: row.get("cal_com_event_id"),
            notes: row.get("notes"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
            service: Some(ServiceSummary::from_row(row)),
            user: None,
        })
    }

    /// The same, plus the owner summary columns.
    pub fn with_service_and_user(row: &Row) -> Result<Self, ApiError> {
        let mut booking = Self::with_service(row)?;
        booking.user = Some(BookingUser {
            id: row.get("owner_id"),
            name: row.get("owner_name"),
            email: row.get("owner_email"),
            phone: row.get("owner_phone"),
        });
        Ok(booking)
    }
}
