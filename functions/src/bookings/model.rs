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
    /// `None` for a booking a project's agent made.
    pub user_id: Option<Uuid>,
    pub service_id: Uuid,
    /// The service's project, if any; its customer fields are then the booking's customer.
    pub project_id: Option<Uuid>,
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
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

/// `GET /api/bookings/{id}`: the booking and its owner (`null` for an agent's booking).
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct BookingWithUser {
    #[serde(flatten)]
    #[from_row(flatten)]
    pub booking: Booking,
    #[from_row(flatten)]
    pub user: BookingUser,
    /// The owner of the booking's project, who has an administrator's rights over it.
    #[serde(skip)]
    pub project_owner: Option<Uuid>,
}

/// `user{id,name,email,phone}` inside a single booking.
#[derive(Debug, Clone, FromRow)]
pub struct BookingUser {
    #[from_row(rename = "owner_id")]
    pub id: Option<Uuid>,
    #[from_row(rename = "owner_name")]
    pub name: Option<String>,
    #[from_row(rename = "owner_email")]
    pub email: Option<String>,
    #[from_row(rename = "owner_phone")]
    pub phone: Option<String>,
}

impl Serialize for BookingUser {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct User<'a> {
            id: Uuid,
            name: &'a Option<String>,
            email: &'a Option<String>,
            phone: &'a Option<String>,
        }
        self.id
            .map(|id| User {
                id,
                name: &self.name,
                email: &self.email,
                phone: &self.phone,
            })
            .serialize(s)
    }
}
