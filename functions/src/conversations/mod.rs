//! `/api/conversations`: voice-agent conversation logs. Anyone may save one (linked to the
//! caller when signed in); each user lists only their own, newest first, a page at a time.

pub mod queries;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use bytes::Bytes;
use common::auth::Principal;
use common::error::FieldError;
use common::extract::{Authed, ClientAddress, Credential, FromQuery, Query, RawBody};
use common::{ApiError, AppState, HandlerResult, agent_keys, body, request, response, session};
use http::{HeaderMap, StatusCode, Uri};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use validator::Validate;

use crate::auth::rate_limit::limited;
use queries::{ListItem, NewConversation};

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
        let mut number = |name: &str, default: i64, min: i64, max: i64, message: &str| {
            let Some(raw) = request::query(uri, name) else {
                return default;
            };
            match raw.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(name, message));
                    default
                }
            }
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

async fn list(
    State(state): State<AppState>,
    Authed(caller, Query(page)): Authed<Query<Page>>,
) -> HandlerResult {
    let (total, conversations) =
        queries::page(&state.db().await?, &caller, page.limit, page.offset)
            .await?
            .ok_or_else(session::gone)?;
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
    principal: Option<Principal>,
    ClientAddress(address): ClientAddress,
    uri: Uri,
    headers: HeaderMap,
    RawBody(raw): RawBody,
) -> HandlerResult {
    let bucket = address_bucket(&address);
    let input = match parse(headers, raw, state.config.http.max_transcript_bytes).await {
        Ok(input) => input,
        // A key that is not live is refused the same way whatever it sends.
        Err(refusal) => return Err(principal.refusal(&state, &uri, refusal).await),
    };
    let transcript = Value::Object(input.transcript);
    let metadata = input.metadata.map(Value::Object);
    let new = NewConversation {
        transcript: &transcript,
        summary: input.summary.as_deref(),
        metadata: metadata.as_ref(),
    };
    let (caller, key) = match &principal {
        Some(Principal::User(caller)) => (Some(caller), None),
        Some(Principal::Agent(key)) => (None, Some(key)),
        None => (None, None),
    };
    let limits = &state.config.auth.rate_limits;
    let save = queries::save(&state.db().await?, caller, key, &new, &bucket, limits)
        .await?
        .ok_or_else(|| ApiError::internal("conversation insert returned no row"))?;
    if !save.key_ok {
        return Err(agent_keys::refused());
    }
    // Nothing saved: the address is over its limit.
    let saved = save.saved.0.ok_or_else(|| limited(save.retry_after))?;
    Ok(response::created(&saved, "Conversation saved successfully"))
}
