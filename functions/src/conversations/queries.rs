//! The statements of `/api/conversations`, and conversations as rows and on the wire.

use std::error::Error;

use chrono::{DateTime, Utc};
use common::auth::{AgentKey, Caller};
use common::config::RateLimits;
use common::db::Db;
use common::db::query::{Found, Params};
use common::error::DbError;
use postgres_from_row::FromRow;
use postgres_types::{FromSql, Type};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::auth::queries::sweeping;

/// A jsonb column selected as text, passed on verbatim. Parsing it back into numbers could fail
/// or round: PostgreSQL keeps `-1.7976931348623157e308` as a 309-digit numeric, beyond what a
/// JSON parser into f64 accepts.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct StoredJson(Option<Box<RawValue>>);

impl<'a> FromSql<'a> for StoredJson {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        let text = String::from_sql(ty, raw)?;
        Ok(Self(Some(RawValue::from_string(text)?)))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Self(None))
    }

    fn accepts(ty: &Type) -> bool {
        <String as FromSql>::accepts(ty)
    }
}

#[derive(Debug, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ListItem {
    pub id: Uuid,
    pub summary: Option<String>,
    #[serde(serialize_with = "common::time::serialize")]
    pub created_at: DateTime<Utc>,
    pub metadata: StoredJson,
}

/// One row of a page: the caller's total, and a conversation unless the page is empty.
#[derive(FromRow)]
pub struct PageRow {
    pub total: i64,
    #[from_row(flatten)]
    pub item: Found<ListItem>,
}

/// The caller's conversations, newest first, and how many there are; `None` when the session
/// is gone.
pub async fn page(
    db: &Db,
    caller: &Caller,
    limit: i64,
    offset: i64,
) -> Result<Option<(i64, Vec<ListItem>)>, DbError> {
    let sql = "\
WITH caller AS (SELECT * FROM live_caller($1, $2)),
page AS (SELECT cv.id, cv.summary, cv.created_at, cv.metadata::text AS metadata
    FROM conversations cv JOIN caller c ON cv.user_id = c.id
    ORDER BY cv.created_at DESC, cv.id DESC LIMIT $3 OFFSET $4)
SELECT (SELECT count(*) FROM conversations WHERE user_id = c.id) AS total, p.*
FROM caller c LEFT JOIN page p ON true ORDER BY p.created_at DESC, p.id DESC";
    let params: Params = &[&caller.session_id, &caller.user_id, &limit, &offset];
    let rows: Vec<PageRow> = db.rows(sql, params, "list conversations").await?;
    let Some(total) = rows.first().map(|r| r.total) else {
        return Ok(None);
    };
    let items = rows.into_iter().filter_map(|r| r.item.0).collect();
    Ok(Some((total, items)))
}

#[derive(Debug, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    /// The project whose agent key saved it.
    pub project_id: Option<Uuid>,
    pub transcript: StoredJson,
    pub summary: Option<String>,
    pub metadata: StoredJson,
    #[serde(serialize_with = "common::time::serialize")]
    pub created_at: DateTime<Utc>,
}

/// The address's count, and the conversation if it was within the limit.
#[derive(FromRow)]
pub struct Save {
    /// No agent key was sent, or a live one.
    pub key_ok: bool,
    pub hits: i32,
    pub retry_after: i64,
    #[from_row(flatten)]
    pub saved: Found<Saved>,
}

pub struct NewConversation<'a> {
    pub transcript: &'a Value,
    pub summary: Option<&'a str>,
    pub metadata: Option<&'a Value>,
}

/// Counts the post against its address and saves it while the address is within its limit,
/// in one statement. Linked to the caller only if there is one and the session is live;
/// otherwise saved unlinked, like any anonymous log. Saved with an agent key, it is linked to
/// the key's project, and refused (`key_ok` false) when the key is not live; a live key is not
/// held to the address's limit (an agent's backend posts every call from one address).
pub async fn save(
    db: &Db,
    caller: Option<&Caller>,
    key: Option<&AgentKey>,
    new: &NewConversation<'_>,
    address_bucket: &str,
    limits: &RateLimits,
) -> Result<Option<Save>, DbError> {
    let sql = sweeping!(
        "hit AS (INSERT INTO rate_limits AS r (bucket, window_start, hits) ",
        "VALUES ($6, rate_window($7), 1) ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1 ",
        "RETURNING hits, rate_retry_after(window_start, $7) AS retry_after), ",
        "agent AS (SELECT CASE WHEN $9::bytea IS NOT NULL THEN use_agent_key($9, NULL) END AS project), ",
        "saved AS (INSERT INTO conversations (user_id, project_id, transcript, summary, metadata) ",
        "SELECT (SELECT id FROM live_caller($1, $2)), agent.project, $3::jsonb, $4::text, $5::jsonb ",
        "FROM hit, agent WHERE CASE WHEN $9::bytea IS NULL THEN hit.hits <= $8 ",
        "ELSE agent.project IS NOT NULL END ",
        "RETURNING id, user_id, project_id, transcript::text AS transcript, summary, ",
        "metadata::text AS metadata, created_at) ",
        "SELECT ($9::bytea IS NULL OR a.project IS NOT NULL) AS key_ok, h.hits, h.retry_after, s.* ",
        "FROM hit h CROSS JOIN agent a LEFT JOIN saved s ON true"
    );
    let (session, user) = (caller.map(|c| c.session_id), caller.map(|c| c.user_id));
    let params: Params = &[
        &session,
        &user,
        &new.transcript,
        &new.summary,
        &new.metadata,
        &address_bucket,
        &limits.window.as_secs_f64(),
        &limits.conversations_per_address,
        &key.map(AgentKey::digest),
    ];
    db.row(sql, params, "save conversation").await
}
