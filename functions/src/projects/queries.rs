//! The statements of `/api/projects` and its sub-resources. Owner-only statements start from
//! `project_access(session, user, project)`, which yields the caller's role and the project's
//! owner in the statement's own round trip.

use chrono::{DateTime, Utc};
use common::auth::{AgentKey, Caller, Principal, Role};
use common::db::Db;
use common::db::query::{Found, Params};
use common::domain::{Label, Text};
use common::error::DbError;
use postgres_from_row::FromRow;
use postgres_types::Json;
use serde::Serialize;
use uuid::Uuid;

use super::model::{Project, ProjectFields, ServiceEntry};
use crate::bookings::model::Booking;
use crate::bookings::queries::{ListFilter, with_service};

/// What every owner-only statement returns first: no row at all when the session is gone.
#[derive(Debug, FromRow)]
pub struct Access {
    pub caller_role: Role,
    /// The project's owner; `None` when there is no such (open) project.
    pub owner_id: Option<Uuid>,
}

/// [`Access`] with the statement's own result.
#[derive(FromRow)]
pub struct Owned<T: FromRow> {
    #[from_row(flatten)]
    pub access: Access,
    #[from_row(flatten)]
    pub item: Found<T>,
}

/// The caller's open projects, newest first; `None` when the session is gone.
pub async fn list(db: &Db, caller: &Caller) -> Result<Option<Vec<Project>>, DbError> {
    let sql = "SELECT c.role AS caller_role, p.*, project_services(p.id) AS services \
               FROM live_caller($1, $2) c \
               LEFT JOIN projects p ON p.user_id = c.id AND p.deleted_at IS NULL \
               ORDER BY p.created_at DESC, p.id";
    let params: Params = &[&caller.session_id, &caller.user_id];
    let rows: Vec<common::db::query::ForCaller<Project>> =
        db.rows(sql, params, "list projects").await?;
    Ok((!rows.is_empty()).then(|| rows.into_iter().filter_map(|r| r.item.0).collect()))
}

/// The project and its services, created together; `None` when the session is gone.
pub async fn insert(
    db: &Db,
    caller: &Caller,
    fields: &ProjectFields,
) -> Result<Option<Owned<Project>>, DbError> {
    let sql = "WITH c AS (SELECT id, role FROM live_caller($1, $2)), \
               p AS (INSERT INTO projects (id, user_id, agent_name, language, greeting, voice_id, \
               business_name, industry, phone, website, time_zone, schedule) \
               SELECT $3, c.id, $4, $5, NULLIF($6, ''), $7, $8, $9, $10, NULLIF($11, ''), \
               COALESCE($12, 'UTC'), COALESCE($13::jsonb, '[]') FROM c RETURNING *), \
               s AS (INSERT INTO services (project_id, name, description, duration, price) \
               SELECT p.id, x.name, x.description, x.duration, x.price FROM p, \
               jsonb_to_recordset($14) AS x(name text, description text, duration integer, \
               price numeric) RETURNING *) \
               SELECT c.role AS caller_role, c.id AS owner_id, p.*, \
               (SELECT coalesce(jsonb_agg(s ORDER BY s.name, s.id), '[]') FROM s) AS services \
               FROM c LEFT JOIN p ON true";
    with_fields(db, sql, caller, Uuid::new_v4(), fields, "insert project").await
}

/// Runs `sql` with the caller ($1, $2), the project's id ($3) and its fields ($4 to $14, in
/// the order of the `projects` columns, then the service list).
async fn with_fields<T: FromRow>(
    db: &Db,
    sql: &str,
    caller: &Caller,
    id: Uuid,
    fields: &ProjectFields,
    what: &'static str,
) -> Result<Option<T>, DbError> {
    fn text(field: &Option<Label>) -> Option<&str> {
        field.as_ref().map(Text::as_str)
    }
    let schedule = fields.schedule.as_ref().map(Json);
    let services: Option<Vec<_>> =
        (fields.services.as_ref()).map(|list| list.iter().map(ServiceEntry::row).collect());
    let services = services.map(Json);
    let params: Params = &[
        &caller.session_id,
        &caller.user_id,
        &id,
        &text(&fields.agent_name),
        &text(&fields.language),
        &fields.greeting,
        &text(&fields.voice_id),
        &text(&fields.business_name),
        &text(&fields.industry),
        &text(&fields.phone),
        &fields.website.as_deref().map(str::trim),
        &text(&fields.time_zone),
        &schedule,
        &services,
    ];
    db.row(sql, params, what).await
}

/// The project, if the caller may see it (checked by the handler on [`Access`]).
pub async fn read(db: &Db, caller: &Caller, id: Uuid) -> Result<Option<Owned<Project>>, DbError> {
    let sql = "SELECT a.caller_role, a.owner_id, p.*, project_services(p.id) AS services \
               FROM project_access($1, $2, $3) a LEFT JOIN projects p ON p.id = $3 \
               AND (a.owner_id = a.caller_id OR a.caller_role = 'ADMIN')";
    let params: Params = &[&caller.session_id, &caller.user_id, &id];
    db.row(sql, params, "read project").await
}

/// Whether the change was made: refused when the caller may not manage the project, or when a
/// service entry names a service that is not the project's.
#[derive(FromRow)]
pub struct Changed {
    #[from_row(flatten)]
    pub access: Access,
    pub changed: bool,
}

/// Changes the fields given. `services`, when given, is the new list (`set_project_services()`;
/// its `services_set` column is selected only so that the function runs).
pub async fn update(
    db: &Db,
    caller: &Caller,
    id: Uuid,
    fields: &ProjectFields,
) -> Result<Option<Changed>, DbError> {
    let sql = "WITH a AS (SELECT * FROM project_access($1, $2, $3)), \
               given AS (SELECT * FROM jsonb_to_recordset($14) AS x(id uuid, name text, \
               description text, duration integer, price numeric)), \
               allowed AS (SELECT $3::uuid AS id FROM a WHERE (a.owner_id = a.caller_id \
               OR (a.owner_id IS NOT NULL AND a.caller_role = 'ADMIN')) AND NOT EXISTS \
               (SELECT 1 FROM given g WHERE g.id IS NOT NULL AND NOT EXISTS \
               (SELECT 1 FROM services s WHERE s.id = g.id AND s.project_id = $3))), \
               p AS (UPDATE projects SET agent_name = COALESCE($4, agent_name), \
               language = COALESCE($5, language), greeting = CASE WHEN $6::text IS NULL THEN greeting ELSE NULLIF($6, '') END, \
               voice_id = COALESCE($7, voice_id), business_name = COALESCE($8, business_name), \
               industry = COALESCE($9, industry), phone = COALESCE($10, phone), \
               website = CASE WHEN $11::text IS NULL THEN website ELSE NULLIF($11, '') END, \
               time_zone = COALESCE($12, time_zone), schedule = COALESCE($13, schedule), \
               updated_at = now() WHERE id IN (SELECT id FROM allowed) RETURNING id) \
               SELECT a.caller_role, a.owner_id, EXISTS (SELECT 1 FROM p) AS changed, \
               (SELECT set_project_services(al.id, $14) FROM allowed al \
               WHERE $14::jsonb IS NOT NULL) AS services_set FROM a";
    with_fields(db, sql, caller, id, fields, "update project").await
}

/// Closes the project: its services become inactive; its keys stop working, as
/// `use_agent_key()` refuses the keys of a closed project (revoking them here too would lock
/// key rows after the project's, against the order an agent's booking takes them). Its
/// bookings and conversations stay.
pub async fn close(db: &Db, caller: &Caller, id: Uuid) -> Result<Option<Changed>, DbError> {
    let sql = "WITH a AS (SELECT * FROM project_access($1, $2, $3)), \
               allowed AS (SELECT $3::uuid AS id FROM a WHERE a.owner_id = a.caller_id \
               OR (a.owner_id IS NOT NULL AND a.caller_role = 'ADMIN')), \
               p AS (UPDATE projects SET deleted_at = now(), updated_at = now() \
               WHERE id IN (SELECT id FROM allowed) RETURNING id) \
               SELECT a.caller_role, a.owner_id, EXISTS (SELECT 1 FROM p) AS changed, \
               (SELECT set_project_services(al.id, '[]') FROM allowed al) AS services_set FROM a";
    let params: Params = &[&caller.session_id, &caller.user_id, &id];
    db.row(sql, params, "close project").await
}

/// What availability is computed from, and the slots when the caller's copy is stale.
#[derive(FromRow)]
pub struct Availability {
    /// No key was presented, or it is a live key of this project.
    pub key_ok: bool,
    /// `None` when there is no such (open) project.
    pub time_zone: Option<String>,
    /// `None` when the service is not an active service of the project.
    pub duration: Option<i32>,
    /// Changes whenever the window's slots may: see `migrations/V9__availability_versions.sql`.
    pub version: Option<Vec<i64>>,
    /// PostgreSQL's clock: slots must start after it.
    pub now: DateTime<Utc>,
    /// `None` when the version is `cached`'s (or there is nothing to compute for).
    pub slots: Option<Vec<DateTime<Utc>>>,
}

/// The version of `service`'s slots in `[from, to)`, and, unless it is `cached`, the slots,
/// in one statement. `availability_slots()` (V9) computes them: the project's open windows in
/// its time zone, stepped by the service's duration from each window's start, minus its live
/// bookings, read merged by day from `project_busy_days`; the free time between bookings is
/// found by a binary search (`width_bucket`), and slots are generated inside it only. Reading
/// the version costs a tenth of computing (bench/count_instructions).
pub async fn availability(
    db: &Db,
    project: Uuid,
    service: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    key: Option<&AgentKey>,
    cached: Option<&[i64]>,
) -> Result<Option<Availability>, DbError> {
    let sql = "WITH p AS (SELECT time_zone, hours_changed FROM projects \
               WHERE id = $1 AND deleted_at IS NULL), \
               s AS (SELECT duration FROM services WHERE id = $2 AND project_id = $1 AND is_active), \
               d AS (SELECT max(changed) AS changed, count(*) AS days FROM project_busy_days \
               WHERE project_id = $1 AND day BETWEEN busy_day($3) - 1 AND busy_day($4)), \
               v AS (SELECT p.time_zone, s.duration, \
               CASE WHEN p.time_zone IS NOT NULL AND s.duration IS NOT NULL \
               THEN ARRAY[greatest(p.hours_changed, d.changed), d.days, s.duration] END AS version \
               FROM d LEFT JOIN p ON true LEFT JOIN s ON true) \
               SELECT ($5::bytea IS NULL OR use_agent_key($5, $1) IS NOT NULL) AS key_ok, \
               v.time_zone, v.duration, v.version, now() AS now, \
               CASE WHEN v.version IS NOT NULL AND v.version IS DISTINCT FROM $6::bigint[] \
               THEN availability_slots($1, $2, $3, $4) END AS slots FROM v";
    let key = key.map(AgentKey::digest);
    let params: Params = &[&project, &service, &from, &to, &key, &cached];
    db.row(sql, params, "project availability").await
}

/// The project's calendar, soonest first, for its owner or an administrator.
pub async fn calendar(
    db: &Db,
    caller: &Caller,
    project: Uuid,
    filter: &ListFilter,
) -> Result<Vec<Owned<Booking>>, DbError> {
    let sql = concat!(
        "SELECT a.caller_role, a.owner_id, ",
        with_service!(
            "project_access($1, $2, $3) a LEFT JOIN (bookings b JOIN services s ON s.id = b.service_id) "
        ),
        "ON b.project_id = $3 AND (a.owner_id = a.caller_id OR a.caller_role = 'ADMIN') ",
        "AND ($4::text IS NULL OR b.status = $4) ",
        "AND ($5::timestamptz IS NULL OR b.scheduled_at >= $5) ",
        "AND ($6::timestamptz IS NULL OR b.scheduled_at <= $6) ",
        "ORDER BY b.scheduled_at, b.id"
    );
    let params: Params = &[
        &caller.session_id,
        &caller.user_id,
        &project,
        &filter.status,
        &filter.start,
        &filter.end,
    ];
    db.rows(sql, params, "project calendar").await
}

pub struct CustomerBooking<'a> {
    pub project: Uuid,
    pub service: Uuid,
    pub scheduled_at: DateTime<Utc>,
    pub customer_name: &'a str,
    pub customer_phone: Option<&'a str>,
    pub notes: Option<&'a str>,
}

/// What a customer booking was decided on, and the booking when it was made.
#[derive(FromRow)]
pub struct Booked {
    /// A live session, or a live key of this project.
    pub authenticated: bool,
    pub project_found: bool,
    /// The signed-in caller owns the project (always, for a key).
    pub allowed: bool,
    pub service_found: bool,
    pub in_future: bool,
    pub within_hours: bool,
    #[from_row(flatten)]
    pub booking: Found<Booking>,
}

/// Books a project's service for a customer, with the service's duration, inside the
/// project's hours; one statement. The booking is the customer's, not the owner's or the
/// agent's: it has no user (so an owner's bookings for customers of two projects never
/// collide under the per-user rule). The booker is the project's owner (signed in) or its
/// agent (a key).
pub async fn book(
    db: &Db,
    booker: &Principal,
    new: &CustomerBooking<'_>,
) -> Result<Option<Booked>, DbError> {
    // `book_for_customer()` (migrations/V12) decides and books in one call: the key's lookup,
    // the calendar lock and the insert share this statement.
    let sql = concat!(
        "SELECT r.authenticated, r.project_found, r.allowed, r.service_found, r.in_future, ",
        "r.within_hours, (r.booking).*, r.service_ref, r.service_name, r.service_description, ",
        "r.service_duration, r.service_price ",
        "FROM book_for_customer($1, $2, $3, $4, $5, $6, $7, $8, $9) r"
    );
    let (session, user, key) = match booker {
        Principal::User(c) => (Some(c.session_id), Some(c.user_id), None),
        Principal::Agent(k) => (None, None, Some(k.digest())),
    };
    let params: Params = &[
        &session,
        &user,
        &new.project,
        &key,
        &new.service,
        &new.scheduled_at,
        &new.notes,
        &new.customer_name,
        &new.customer_phone,
    ];
    db.row(sql, params, "book for a customer").await
}

/// A key as listed: never the key itself.
#[derive(Debug, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    pub id: Uuid,
    pub name: String,
    #[serde(serialize_with = "common::time::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "common::time::serialize_opt")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Stores a new key's hash, for the project's owner only.
pub async fn create_key(
    db: &Db,
    caller: &Caller,
    project: Uuid,
    name: &str,
    key: &AgentKey,
) -> Result<Option<Owned<KeyInfo>>, DbError> {
    let sql = "WITH a AS (SELECT * FROM project_access($1, $2, $3)), \
               k AS (INSERT INTO agent_keys (project_id, name, key_hash) SELECT $3, $4, $5 \
               FROM a WHERE a.owner_id = a.caller_id RETURNING *) \
               SELECT a.caller_role, a.owner_id, k.* FROM a LEFT JOIN k ON true";
    let params: Params = &[
        &caller.session_id,
        &caller.user_id,
        &project,
        &name,
        &key.digest(),
    ];
    db.row(sql, params, "create agent key").await
}

/// The project's live keys, newest first, for its owner only.
pub async fn keys(db: &Db, caller: &Caller, project: Uuid) -> Result<Vec<Owned<KeyInfo>>, DbError> {
    let sql = "SELECT a.caller_role, a.owner_id, k.* FROM project_access($1, $2, $3) a \
               LEFT JOIN agent_keys k ON k.project_id = $3 AND a.owner_id = a.caller_id \
               AND k.revoked_at IS NULL ORDER BY k.created_at DESC, k.id";
    let params: Params = &[&caller.session_id, &caller.user_id, &project];
    db.rows(sql, params, "list agent keys").await
}

#[derive(FromRow)]
pub struct Revoked {
    pub id: Uuid,
}

/// Revokes one live key of the project, for its owner only.
pub async fn revoke_key(
    db: &Db,
    caller: &Caller,
    project: Uuid,
    key: Uuid,
) -> Result<Option<Owned<Revoked>>, DbError> {
    let sql = "WITH a AS (SELECT * FROM project_access($1, $2, $3)), \
               k AS (UPDATE agent_keys SET revoked_at = now() WHERE id = $4 AND project_id = $3 \
               AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM a WHERE a.owner_id = a.caller_id) \
               RETURNING id) \
               SELECT a.caller_role, a.owner_id, k.id FROM a LEFT JOIN k ON true";
    let params: Params = &[&caller.session_id, &caller.user_id, &project, &key];
    db.row(sql, params, "revoke agent key").await
}
