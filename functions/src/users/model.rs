//! How users appear on the wire. The password hash is never selected into any of these.

use chrono::{DateTime, Utc};
use common::auth::Role;
use postgres_from_row::FromRow;
use serde::Serialize;
use uuid::Uuid;

/// What every answer about a user carries: `id,email,name,phone,role`.
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub role: Role,
}

/// The `user` of register and login answers: the user and `createdAt`.
#[derive(Debug, Clone, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct AccountUser {
    #[serde(flatten)]
    #[from_row(flatten)]
    pub user: User,
    #[serde(serialize_with = "common::time::serialize")]
    pub created_at: DateTime<Utc>,
}

/// `GET /api/auth/me` and the base of `GET /api/users/{id}`.
#[derive(Debug, Clone, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    #[serde(flatten)]
    #[from_row(flatten)]
    pub user: User,
    #[serde(serialize_with = "common::time::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "common::time::serialize")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, FromRow)]
pub struct Counts {
    #[from_row(rename = "booking_count")]
    pub bookings: i64,
    #[from_row(rename = "conversation_count")]
    pub conversations: i64,
}

/// `GET /api/users/{id}`.
#[derive(Debug, Serialize, FromRow)]
pub struct ProfileWithCounts {
    #[serde(flatten)]
    #[from_row(flatten)]
    pub profile: Profile,
    #[serde(rename = "_count")]
    #[from_row(flatten)]
    pub count: Counts,
}

/// `PUT /api/users/{id}`: the user and `updatedAt`.
#[derive(Debug, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct UpdatedUser {
    #[serde(flatten)]
    #[from_row(flatten)]
    pub user: User,
    #[serde(serialize_with = "common::time::serialize")]
    pub updated_at: DateTime<Utc>,
}
