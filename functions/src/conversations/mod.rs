//! `/api/conversations`: voice-agent conversation logs. Anyone may save one (linked to the
//! caller when signed in); each user lists only their own, newest first, a page at a time.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use common::auth::Caller;
use common::error::FieldError;
use common::extract::{Authed, ClientAddress, FromQuery, Query, RawBody};
use common::{ApiError, AppState, HandlerResult, body, request, response, session};
use http::{HeaderMap, StatusCode, Uri};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;
use validator::Validate;

use crate::auth::rate_limit::{retry_after, sweep_old_windows, window_start};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/conversations", get(list).post(save))
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

/// `limit` 1..=100 (default 50) and `offset` >= 0 (default 0); anything else is a 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl FromQuery for Page {
    fn from_query(uri: &Uri) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let mut number =
            |name: &str, default: i64, min: i64, max: i64, message: &str| match request::query(
                uri, name,
            ) {
                None => default,
                Some(raw) => match raw.parse::<i64>() {
                    Ok(n) if (min..=max).contains(&n) => n,
                    _ => {
                        errors.push(FieldError::new(name, message));
                        default
                    }
                },
            };
        let limit = number(
            "limit",
            DEFAULT_LIMIT,
            1,
            MAX_LIMIT,
            "Must be an integer from 1 to 100",
        );
        let offset = number("offset", 0, 0, i64::MAX, "Must be an integer of at least 0");
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(Self { limit, offset })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListItem {
    id: Uuid,
    summary: Option<String>,
    #[serde(serialize_with = "common::time::serialize")]
    created_at: DateTime<Utc>,
    metadata: Option<Box<RawValue>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    total: i64,
    limit: i64,
    offset: i64,
    has_more: bool,
}

#[derive(Serialize)]
struct ListPage {
    conversations: Vec<ListItem>,
    pagination: Pagination,
}

const LIST: &str = concat!(
    "WITH caller AS (SELECT * FROM live_caller($1, $2)), page AS (SELECT cv.id, cv.summary, cv.created_at, cv.metadata::text AS metadata FROM conversations cv ",
    "JOIN caller c ON cv.user_id = c.id ORDER BY cv.created_at DESC, cv.id DESC LIMIT $3 OFFSET $4) ",
    "SELECT c.id AS caller_id, ",
    "(SELECT count(*) FROM conversations WHERE user_id = c.id) AS total, ",
    "p.id, p.summary, p.created_at, p.metadata ",
    "FROM caller c LEFT JOIN page p ON true ORDER BY p.created_at DESC, p.id DESC"
);

async fn list(
    State(state): State<AppState>,
    Authed(caller, Query(page)): Authed<Query<Page>>,
) -> HandlerResult {
    let db = state.db().await?;
    let rows = db
        .query(
            LIST,
            &[
                &caller.session_id,
                &caller.user_id,
                &page.limit,
                &page.offset,
            ],
            "list conversations",
        )
        .await?;
    let total: i64 = rows.first().ok_or_else(session::gone)?.get("total");
    let mut conversations = Vec::with_capacity(rows.len());
    for row in &rows {
        // The caller row alone (no conversations on this page) has no id.
        let Some(id) = row.get::<_, Option<Uuid>>("id") else {
            continue;
        };
        conversations.push(ListItem {
            id,
            summary: row.get("summary"),
            created_at: row.get("created_at"),
            metadata: stored_json(row, "metadata")?,
        });
    }
    let seen = page.offset.saturating_add(conversations.len() as i64);
    let body = ListPage {
        conversations,
        pagination: Pagination {
            total,
            limit: page.limit,
            offset: page.offset,
            has_more: seen < total,
        },
    };
    Ok(response::success(StatusCode::OK, &body))
}

#[derive(Debug, Deserialize, Validate)]
pub struct SaveConversationBody {
    pub transcript: Map<String, Value>,
    #[validate(length(max = 10000, message = "Summary must be at most 10000 characters"))]
    pub summary: Option<String>,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

impl common::body::JsonBody for SaveConversationBody {
    const REQUIRED: &'static [&'static str] = &["transcript"];
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Saved {
    id: Uuid,
    user_id: Option<Uuid>,
    transcript: Box<RawValue>,
    summary: Option<String>,
    metadata: Option<Box<RawValue>>,
    #[serde(serialize_with = "common::time::serialize")]
    created_at: DateTime<Utc>,
}

/// Counts one post against the caller's address in the current window and returns the new
/// count with the seconds left in the window; `$b` is the bucket, `$w` the window in seconds.
macro_rules! count_address {
    ($b:literal, $w:literal) => {
        concat!(
            sweep_old_windows!(),
            ", hit AS (INSERT INTO rate_limits AS r (bucket, window_start, hits) VALUES (",
            $b,
            ", ",
            window_start!($w),
            ", 1) ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1 ",
            "RETURNING hits, ",
            retry_after!($w),
            ")"
        )
    };
}

/// Inserts the conversation only while `hit` is within the limit `$l`, and answers one row: the
/// count, and the saved conversation's columns (null when over the limit). `$values` is the
/// `SELECT` list of the new row.
macro_rules! save_within_limit {
    ($values:literal, $l:literal) => {
        concat!(
            ", saved AS (INSERT INTO conversations (user_id, transcript, summary, metadata) SELECT ",
            $values,
            " FROM hit WHERE hit.hits <= ",
            $l,
            " RETURNING id, user_id, transcript::text AS transcript, summary, ",
            "metadata::text AS metadata, created_at) ",
            "SELECT h.hits, h.retry_after, s.* FROM hit h LEFT JOIN saved s ON true"
        )
    };
}

/// Counted and saved in one statement, so the limit costs no round trip of its own. `$4` is
/// the address's bucket, `$5` the window in seconds, `$6` the limit.
const SAVE_ANONYMOUS: &str = concat!(
    "WITH ",
    count_address!("$4", "$5"),
    save_within_limit!("NULL::uuid, $1::jsonb, $2::text, $3::jsonb", "$6")
);

/// Linked to the caller only if the session is live; otherwise saved unlinked, like any
/// anonymous log. Counted against the address all the same: `$6` bucket, `$7` window, `$8`
/// limit.
const SAVE_FOR_CALLER: &str = concat!(
    "WITH caller AS (SELECT * FROM live_caller($1, $2)), ",
    count_address!("$6", "$7"),
    save_within_limit!(
        "(SELECT id FROM caller), $3::jsonb, $4::text, $5::jsonb",
        "$8"
    )
);

/// A jsonb column selected as text, passed on verbatim. Parsing it back into numbers could fail
/// or round: PostgreSQL keeps `-1.7976931348623157e308` as a 309-digit numeric, beyond what a
/// JSON parser into f64 accepts.
fn stored_json(row: &Row, column: &str) -> Result<Option<Box<RawValue>>, ApiError> {
    row.try_get::<_, Option<String>>(column)
        .map_err(ApiError::internal)?
        .map(|text| RawValue::from_string(text).map_err(ApiError::internal))
        .transpose()
}

/// The rate-limit bucket of posts from one source address.
pub fn address_bucket(address: &str) -> String {
    format!("conversations-address:{address}")
}

/// Bodies larger than this are parsed on a blocking thread: up to 1 MiB of JSON is tens of
/// milliseconds of CPU, and the local server's one runtime thread must keep serving other
/// requests meanwhile. Smaller bodies are not worth the hand-over.
const PARSE_ASIDE_BYTES: usize = 64 * 1024;

async fn parse(
    headers: HeaderMap,
    raw: Bytes,
    limit: usize,
) -> Result<SaveConversationBody, ApiError> {
    if raw.len() <= PARSE_ASIDE_BYTES {
        return body::json(&headers, &raw, limit);
    }
    tokio::task::spawn_blocking(move || body::json(&headers, &raw, limit))
        .await
        .map_err(ApiError::internal)?
}

async fn save(
    State(state): State<AppState>,
    caller: Option<Caller>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    RawBody(raw): RawBody,
) -> HandlerResult {
    let bucket = address_bucket(&address);
    let input = parse(headers, raw, state.config.http.max_transcript_bytes).await?;
    let transcript = Value::Object(input.transcript);
    let metadata = input.metadata.map(Value::Object);
    let limits = &state.config.auth.rate_limits;
    let window = limits.window.as_secs_f64();
    let limit = limits.conversations_per_address;
    // SAVE_FOR_CALLER takes the caller's session and user first, then what both statements take.
    let shared: [&(dyn ToSql + Sync); 6] = [
        &transcript,
        &input.summary,
        &metadata,
        &bucket,
        &window,
        &limit,
    ];
    let db = state.db().await?;
    let row = match caller {
        Some(caller) => {
            let params: Vec<&(dyn ToSql + Sync)> =
                [&caller.session_id as &(dyn ToSql + Sync), &caller.user_id]
                    .into_iter()
                    .chain(shared)
                    .collect();
            db.query_opt(SAVE_FOR_CALLER, &params, "save conversation")
                .await?
        }
        None => {
            db.query_opt(SAVE_ANONYMOUS, &shared, "save conversation")
                .await?
        }
    }
    .ok_or_else(|| ApiError::internal("conversation insert returned no row"))?;
    // No id: the address is over its limit and nothing was saved.
    if row.get::<_, Option<Uuid>>("id").is_none() {
        return Err(ApiError::RateLimited {
            retry_after_secs: u64::try_from(row.get::<_, i64>("retry_after")).unwrap_or(1),
        });
    }
    let saved = Saved {
        id: row.get("id"),
        user_id: row.get("user_id"),
        transcript: stored_json(&row, "transcript")?
            .ok_or_else(|| ApiError::internal("conversation without a transcript"))?,
        summary: row.get("summary"),
        metadata: stored_json(&row, "metadata")?,
        created_at: row.get("created_at"),
    };
    Ok(response::success_with_message(
        StatusCode::CREATED,
        &saved,
        "Conversation saved successfully",
    ))
}
