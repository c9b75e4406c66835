//! How users appear on the wire. The password hash is never selected into any of these.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

use common::ApiError;
use common::auth::Role;

/// The `user` of register and login answers: `id,email,name,phone,role,createdAt`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountUser {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub role: Role,
    #[serde(serialize_with = "common::time::serialize")]
    pub created_at: DateTime<Utc>,
}

/// `GET /api/auth/me` and the base of `GET /api/users/{id}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub role: Role,
    #[serde(serialize_with = "common::time::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "common::time::serialize")]
    pub updated_at: DateTime<Utc>,
}

fn role(row: &Row) -> Result<Role, ApiError> {
    row.get::<_, String>("role")
        .parse()
        .map_err(ApiError::internal)
}

impl AccountUser {
    /// From a row with `id, email, name, phone, role, created_at`.
    pub fn from_row(row: &Row) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.get("id"),
            email: row.get("email"),
            name: row.get("name"),
            phone: row.get("phone"),
            role: role(row)?,
            created_at: row.get("created_at"),
        })
    }
}

impl Profile {
    /// From a row with `id, email, name, phone, role, created_at, updated_at`.
    pub fn from_row(row: &Row) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.get("id"),
            email: row.get("email"),
            name: row.get("name"),
            phone: row.get("phone"),
            role: role(row)?,
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
        })
    }
}
