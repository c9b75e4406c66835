//! Services as rows and on the wire, and prices as exact decimals.

use chrono::{DateTime, Utc};
use postgres_from_row::FromRow;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Also read from `jsonb` (a project's services, aggregated in SQL), where the keys are the
/// column names.
#[derive(Debug, Clone, Serialize, Deserialize, FromRow)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct Service {
    pub id: Uuid,
    pub project_id: Option<Uuid>,
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

/// `service{id,name,description,duration,price}` inside a booking; its columns are prefixed
/// (`service_name`...) where it shares a row with the booking.
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct ServiceSummary {
    #[from_row(rename = "service_ref")]
    pub id: Uuid,
    #[from_row(rename = "service_name")]
    pub name: String,
    #[from_row(rename = "service_description")]
    pub description: Option<String>,
    #[from_row(rename = "service_duration")]
    pub duration: i32,
    #[serde(with = "rust_decimal::serde::float_option")]
    #[from_row(rename = "service_price")]
    pub price: Option<Decimal>,
}
