//! `GET /api/projects/{id}/availability`: a service's free slots, computed in PostgreSQL.
//! Public (it carries no customer data); an agent key, when sent, must be this project's.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Router};
use chrono::{DateTime, Duration, Utc};
use common::auth::Principal;
use common::error::FieldError;
use common::extract::{Authed, FromQuery, ProjectId, Query};
use common::time::query_param;
use common::{ApiError, AppState, HandlerResult, agent_keys, request, response};
use http::{StatusCode, Uri};
use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::recent_slots::{self, RecentSlots, SlotList};
use super::{NOT_FOUND, queries};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/projects/{id}/availability", get(availability))
        .layer(Extension(RecentSlots::default()))
}

/// The longest window one request may ask for.
const MAX_DAYS: i64 = 31;
const DEFAULT_DAYS: i64 = 7;

/// `serviceId`, and the window `[from, to)`: from now for 7 days unless given.
pub struct Window {
    pub service: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl FromQuery for Window {
    fn from_query(uri: &Uri) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let service = match request::query(uri, "serviceId").map(|s| s.parse::<Uuid>()) {
            Some(Ok(id)) => Ok(id),
            Some(Err(_)) => Err("Must be a UUID"),
            None => Err("Required"),
        };
        let service = service
            .map_err(|message| errors.push(FieldError::new("serviceId", message)))
            .ok();
        let from = query_param(uri, "from", &mut errors);
        let to = query_param(uri, "to", &mut errors);
        let from = from.unwrap_or_else(Utc::now);
        let to = to.unwrap_or(from + Duration::days(DEFAULT_DAYS));
        if to <= from {
            errors.push(FieldError::new("to", "Must be after from"));
        } else if to - from > Duration::days(MAX_DAYS) {
            errors.push(FieldError::new(
                "to",
                "The window may be at most 31 days long",
            ));
        }
        match service {
            Some(service) if errors.is_empty() => Ok(Self { service, from, to }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Slots {
    project_id: Uuid,
    service_id: Uuid,
    time_zone: String,
    duration: i32,
    slots: Box<RawValue>,
}

async fn availability(
    State(state): State<AppState>,
    Extension(recent): Extension<RecentSlots>,
    Authed(principal, (ProjectId(project), Query(window))): Authed<
        (ProjectId, Query<Window>),
        Option<Principal>,
    >,
) -> HandlerResult {
    let key = match &principal {
        Some(Principal::Agent(key)) => Some(key),
        _ => None,
    };
    let days = recent_slots::Key::around(project, window.service, window.from, window.to);
    let cached = recent.get(&days);
    let found = queries::availability(
        &state.db().await?,
        project,
        window.service,
        days.from,
        days.to,
        key,
        cached.as_ref().map(|entry| entry.version.as_slice()),
    )
    .await?
    .ok_or_else(|| ApiError::internal("availability returned no row"))?;
    if !found.key_ok {
        return Err(agent_keys::refused());
    }
    let time_zone = found.time_zone.ok_or(NOT_FOUND)?;
    let duration = found.duration.ok_or_else(|| {
        ApiError::validation("serviceId", "Not an active service of this project")
    })?;
    let slots = match (found.slots, found.version, cached) {
        (Some(fresh), Some(version), _) => {
            let slots = Arc::new(SlotList::new(fresh));
            let entry = recent_slots::Entry {
                version,
                slots: Arc::clone(&slots),
            };
            recent.put(days, entry);
            slots
        }
        (None, _, Some(entry)) => entry.slots,
        _ => return Err(ApiError::internal("availability returned no slots")),
    };
    let body = Slots {
        project_id: project,
        service_id: window.service,
        time_zone,
        duration,
        slots: slots
            .json_between(window.from, window.to, found.now)
            .map_err(|e| ApiError::internal(format!("slots as JSON: {e}")))?,
    };
    Ok(response::success(StatusCode::OK, &body))
}
