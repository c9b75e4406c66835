//! The statements of `/api/services`.

use common::auth::Caller;
use common::db::Db;
use common::db::query::Params;
use common::error::DbError;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::model::Service;

/// The catalogue: active services that belong to no project.
pub async fn active(db: &Db) -> Result<Vec<Service>, DbError> {
    let sql = "SELECT s.* FROM services s WHERE s.is_active AND s.project_id IS NULL \
               ORDER BY s.name, s.id";
    db.rows(sql, &[], "list services").await
}

/// A project's active services (none for a closed project: they are inactive).
pub async fn of_project(db: &Db, project: Uuid) -> Result<Vec<Service>, DbError> {
    let sql = "SELECT s.* FROM services s WHERE s.project_id = $1 AND s.is_active \
               ORDER BY s.name, s.id";
    db.rows(sql, &[&project], "list project services").await
}

/// Inactive services too, but only when the caller's live session belongs to an admin.
pub async fn all_for_admin(db: &Db, caller: &Caller) -> Result<Vec<Service>, DbError> {
    let sql = "SELECT s.* FROM services s WHERE s.project_id IS NULL AND (s.is_active OR EXISTS \
               (SELECT 1 FROM live_caller($1, $2) WHERE role = 'ADMIN')) ORDER BY s.name, s.id";
    let params: Params = &[&caller.session_id, &caller.user_id];
    db.rows(sql, params, "list services").await
}

pub struct NewService<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub duration: i32,
    pub price: Option<Decimal>,
    pub is_active: bool,
}

pub async fn insert(db: &Db, new: &NewService<'_>) -> Result<Option<Service>, DbError> {
    let sql = "INSERT INTO services (name, description, duration, price, is_active) \
               VALUES ($1, $2, $3, $4, $5) RETURNING *";
    let params: Params = &[
        &new.name,
        &new.description,
        &new.duration,
        &new.price,
        &new.is_active,
    ];
    db.row(sql, params, "insert service").await
}
