//! Bookings as rows and on the wire.

use chrono::{DateTime, Utc};
use postgres_from_row::FromRow;
use serde::Serialize;
use uuid::Uuid;

use super::status::BookingStatus;
use crate::services::model::ServiceSummary;

/// A booking with its service, as every booking route answers it.
#[derive(Debug, Clone, Serialize, FromRow)]
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
    #[from_row(flatten)]
    pub service: ServiceSummary,
}

/// `GET /api/bookings/{id}`: the booking and its owner.
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct BookingWithUser {
    #[serde(flatten)]
    #[from_row(flatten)]
    pub booking: Booking,
    #[from_row(flatten)]
    pub user: BookingUser,
}

/// `user{id,name,email,phone}` inside a single booking.
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct BookingUser {
    #[from_row(rename = "owner_id")]
    pub id: Uuid,
    #[from_row(rename = "owner_name")]
    pub name: Option<String>,
    #[from_row(rename = "owner_email")]
    pub email: String,
    #[from_row(rename = "owner_phone")]
    pub phone: Option<String>,
}
