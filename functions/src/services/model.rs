//! How services appear on the wire, and prices as exact decimals.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

/// Columns of a full service row, for `Service::from_row`.
macro_rules! service_columns {
    () => {
        "s.id, s.name, s.description, s.duration, s.price, s.is_active, s.created_at, s.updated_at"
    };
}
pub(crate) use service_columns;

/// Columns of the service summary embedded in bookings, for `ServiceSummary::from_row`.
macro_rules! service_summary_columns {
    () => {
        "s.id AS service_ref, s.name AS service_name, s.description AS service_description, \
         s.duration AS service_duration, s.price AS service_price"
    };
}
pub(crate) use service_summary_columns;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub duration: i32,
    #[serde(with = "rust_decimal::serde::float_option")]
    pub price: Option<Decimal>,
    pub is_active: bool,
    #[serde(serialize_with = "common::time::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "common::time::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl Service {
    pub fn from_row(row: &Row) -> Self {
        Self {
            id: row.get("id"),
            name: row.get("name"),
            description: row.get("description"),
            duration: row.get("duration"),
            price: row.get("price"),
            is_active: row.get("is_active"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
        }
    }
}

/// `service{id,name,description,duration,price}` inside a booking.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceSummary {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub duration: i32,
    #[serde(with = "rust_decimal::serde::float_option")]
    pub price: Option<Decimal>,
}

impl ServiceSummary {
    pub fn from_row(row: &Row) -> Self {
        Self {
            id: row.get("service_ref"),
            name: row.get("service_name"),
            description: row.get("service_description"),
            duration: row.get("service_duration"),
            price: row.get("service_price"),
        }
    }
}
