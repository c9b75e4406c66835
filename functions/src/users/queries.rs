//! The statements of `/api/users/{id}`.

use common::auth::Caller;
use common::db::Db;
use common::db::query::{ForCaller, Params};
use common::error::DbError;
use uuid::Uuid;

use super::model::{ProfileWithCounts, UpdatedUser};
use crate::auth::queries::{ACCOUNT_COLUMNS, Account};

/// The profile `id` with its counts, found only when the caller may see it (self or admin);
/// `None` when the session is gone.
pub async fn read(
    db: &Db,
    caller: &Caller,
    id: Uuid,
) -> Result<Option<ForCaller<ProfileWithCounts>>, DbError> {
    let sql = "\
SELECT c.role AS caller_role, u.*,
    (SELECT count(*) FROM bookings WHERE user_id = u.id) AS booking_count,
    (SELECT count(*) FROM conversations WHERE user_id = u.id) AS conversation_count
FROM live_caller($1, $2) c LEFT JOIN users u ON u.id = $3 AND (c.id = $3 OR c.role = 'ADMIN')";
    let params: Params = &[&caller.session_id, &caller.user_id, &id];
    db.row(sql, params, "read user").await
}

/// The caller, with the account re-authentication needs when the caller edits their own
/// profile (`id`); `None` when the session is gone.
pub async fn editor(
    db: &Db,
    caller: &Caller,
    window_secs: f64,
    id: Uuid,
) -> Result<Option<ForCaller<Account>>, DbError> {
    let sql = format!(
        "SELECT c.role AS caller_role, {ACCOUNT_COLUMNS} \
         FROM live_caller($1, $2) c LEFT JOIN users u ON u.id = c.id AND u.id = $4"
    );
    let params: Params = &[&caller.session_id, &caller.user_id, &window_secs, &id];
    db.row(&sql, params, "check caller").await
}

/// A profile edit: each `Some` column takes its value (`None` inside clears it).
pub struct Edit<'a> {
    pub name: Option<Option<&'a str>>,
    pub phone: Option<Option<&'a str>>,
    pub email: Option<&'a str>,
}

/// `None` when there is no user `id`.
pub async fn update(db: &Db, id: Uuid, edit: &Edit<'_>) -> Result<Option<UpdatedUser>, DbError> {
    let sql = "\
UPDATE users SET
    name = CASE WHEN $2 THEN $3 ELSE name END,
    phone = CASE WHEN $4 THEN $5 ELSE phone END,
    email = COALESCE($6, email),
    updated_at = now()
WHERE id = $1
RETURNING *";
    let (name, phone) = (edit.name.flatten(), edit.phone.flatten());
    let params: Params = &[
        &id,
        &edit.name.is_some(),
        &name,
        &edit.phone.is_some(),
        &phone,
        &edit.email,
    ];
    db.row(sql, params, "update user").await
}
