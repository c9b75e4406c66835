//! The statements of `/api/bookings` and `/api/bookings/{id}`. Every write first locks the
//! calendars it touches (see [`super::OVERLAP_CONSTRAINTS`]).

use chrono::{DateTime, Utc};
use common::auth::Caller;
use common::db::Db;
use common::db::query::ForCaller;
use common::db::query::Params;
use common::error::DbError;
use postgres_from_row::FromRow;
use uuid::Uuid;

use super::model::{Booking, BookingWithUser};
use super::status::BookingStatus;

/// A booking row's columns with its service's, prefixed as [`crate::services::model::ServiceSummary`] reads them.
macro_rules! with_service {
    ($from:literal) => {
        concat!(
            "b.*, s.id AS service_ref, s.name AS service_name, s.description AS service_description, ",
            "s.duration AS service_duration, s.price AS service_price FROM ",
            $from
        )
    };
}
pub(crate) use with_service;

/// `status`, `startDate` and `endDate` (inclusive), each optional.
#[derive(Debug, Default, PartialEq)]
pub struct ListFilter {
    pub status: Option<BookingStatus>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// The caller's bookings, newest first; `None` when the session is gone.
pub async fn list(
    db: &Db,
    caller: &Caller,
    filter: &ListFilter,
) -> Result<Option<Vec<Booking>>, DbError> {
    let sql = concat!(
        "SELECT c.role AS caller_role, ",
        with_service!(
            "live_caller($1, $2) c LEFT JOIN (bookings b JOIN services s ON s.id = b.service_id) "
        ),
        "ON b.user_id = c.id AND ($3::text IS NULL OR b.status = $3) ",
        "AND ($4::timestamptz IS NULL OR b.scheduled_at >= $4) ",
        "AND ($5::timestamptz IS NULL OR b.scheduled_at <= $5) ",
        "ORDER BY b.scheduled_at DESC, b.id"
    );
    let params: Params = &[
        &caller.session_id,
        &caller.user_id,
        &filter.status,
        &filter.start,
        &filter.end,
    ];
    let rows: Vec<ForCaller<Booking>> = db.rows(sql, params, "list bookings").await?;
    Ok((!rows.is_empty()).then(|| rows.into_iter().filter_map(|r| r.item.0).collect()))
}

/// What creating a booking depends on.
#[derive(FromRow)]
pub struct Prospect {
    pub in_future: bool,
    /// `None`: no such service.
    pub is_active: Option<bool>,
    /// The service's project, whose hours and duration the booking must keep.
    pub project_id: Option<Uuid>,
    pub service_duration: Option<i32>,
    /// Inside the project's hours (always, off a project), for the duration asked or else the
    /// service's.
    pub within_hours: Option<bool>,
}

/// `None` when the session is gone. The database's clock decides what "the past" is.
pub async fn prospect(
    db: &Db,
    caller: &Caller,
    service_id: Uuid,
    at: DateTime<Utc>,
    duration: Option<i32>,
) -> Result<Option<Prospect>, DbError> {
    let sql = "SELECT $4::timestamptz > now() AS in_future, s.is_active, s.project_id, \
               s.duration AS service_duration, p.id IS NULL OR within_hours(p.schedule, \
               p.time_zone, $4, COALESCE($5, s.duration)) AS within_hours \
               FROM live_caller($1, $2) c LEFT JOIN services s ON s.id = $3 \
               LEFT JOIN projects p ON p.id = s.project_id";
    let params: Params = &[
        &caller.session_id,
        &caller.user_id,
        &service_id,
        &at,
        &duration,
    ];
    db.row(sql, params, "check booking request").await
}

pub struct NewBooking<'a> {
    pub user_id: Uuid,
    pub service_id: Uuid,
    pub scheduled_at: DateTime<Utc>,
    pub duration: i32,
    pub notes: Option<&'a str>,
}

/// `None` when the owner is gone.
pub async fn insert(db: &Db, new: &NewBooking<'_>) -> Result<Option<Booking>, DbError> {
    let sql = concat!(
        "WITH locked AS (SELECT lock_calendars($1, $2)), owner AS (SELECT id FROM users WHERE id = $1), ",
        "b AS (INSERT INTO bookings (user_id, service_id, scheduled_at, duration, notes) ",
        "SELECT owner.id, $2::uuid, $3::timestamptz, $4::int4, $5::text FROM owner, locked ",
        "RETURNING *) SELECT ",
        with_service!("b JOIN services s ON s.id = b.service_id")
    );
    let params: Params = &[
        &new.user_id,
        &new.service_id,
        &new.scheduled_at,
        &new.duration,
        &new.notes,
    ];
    db.row(sql, params, "insert booking").await
}

/// The booking with its owner; `None` when the session is gone.
pub async fn read(
    db: &Db,
    caller: &Caller,
    id: Uuid,
) -> Result<Option<ForCaller<BookingWithUser>>, DbError> {
    let sql = concat!(
        "SELECT c.role AS caller_role, u.id AS owner_id, u.name AS owner_name, u.email AS owner_email, ",
        "u.phone AS owner_phone, p.user_id AS project_owner, ",
        with_service!(
            "live_caller($1, $2) c LEFT JOIN (bookings b JOIN services s ON s.id = b.service_id "
        ),
        "LEFT JOIN users u ON u.id = b.user_id LEFT JOIN projects p ON p.id = b.project_id) ",
        "ON b.id = $3"
    );
    let params: Params = &[&caller.session_id, &caller.user_id, &id];
    db.row(sql, params, "read booking").await
}

/// What a change is decided on.
#[derive(FromRow)]
pub struct Current {
    pub user_id: Option<Uuid>,
    /// The owner of the booking's project, who has an administrator's rights over it.
    pub project_owner: Option<Uuid>,
    /// The requested time, if any, keeps the project's hours (always, off a project).
    pub within_hours: bool,
    pub status: BookingStatus,
    pub scheduled_at: DateTime<Utc>,
    /// The requested time, if any, is in the future.
    pub in_future: bool,
    /// A new time that differs from the booking's (in the database's precision, the one it is
    /// stored in), which sends an owner's confirmed booking back to PENDING.
    pub moves: bool,
}

/// `None` when the session is gone.
pub async fn current(
    db: &Db,
    caller: &Caller,
    id: Uuid,
    to: Option<DateTime<Utc>>,
) -> Result<Option<ForCaller<Current>>, DbError> {
    let sql = "SELECT c.role AS caller_role, b.id, b.user_id, b.status, b.scheduled_at, \
               p.user_id AS project_owner, \
               ($4::timestamptz IS NULL OR $4::timestamptz > now()) AS in_future, \
               ($4::timestamptz IS NOT NULL AND $4::timestamptz <> b.scheduled_at) AS moves, \
               ($4::timestamptz IS NULL OR p.id IS NULL \
               OR within_hours(p.schedule, p.time_zone, $4, b.duration)) AS within_hours \
               FROM live_caller($1, $2) c LEFT JOIN bookings b ON b.id = $3 \
               LEFT JOIN projects p ON p.id = b.project_id";
    let params: Params = &[&caller.session_id, &caller.user_id, &id, &to];
    db.row(sql, params, "load booking").await
}

pub struct Change<'a> {
    pub id: Uuid,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub status: BookingStatus,
    /// Whether `notes` replaces the booking's (a `None` then clears them).
    pub set_notes: bool,
    pub notes: Option<&'a str>,
}

/// Applies `change` only if the status and the time are still `seen`'s; `None` otherwise.
/// The new status is bound as text: the column's type is the domain `booking_status` (V13).
pub async fn apply(
    db: &Db,
    change: &Change<'_>,
    seen: &Current,
) -> Result<Option<Booking>, DbError> {
    let sql = concat!(
        "WITH locked AS (SELECT lock_calendars(ob.user_id, ob.service_id) FROM bookings ob ",
        "WHERE ob.id = $1), ",
        "b AS (UPDATE bookings SET scheduled_at = COALESCE($2, scheduled_at), ",
        "status = $3::text, notes = CASE WHEN $4 THEN $5 ELSE notes END, updated_at = now() ",
        "WHERE id = $1 AND status = $6 AND scheduled_at = $7 AND EXISTS (SELECT 1 FROM locked) ",
        "RETURNING *) SELECT ",
        with_service!("b JOIN services s ON s.id = b.service_id")
    );
    let params: Params = &[
        &change.id,
        &change.scheduled_at,
        &change.status,
        &change.set_notes,
        &change.notes,
        &seen.status,
        &seen.scheduled_at,
    ];
    db.row(sql, params, "update booking").await
}
