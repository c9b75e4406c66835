//! `/api/projects/{id}/keys` and `/api/projects/{id}/keys/{keyId}`: the keys a project's voice
//! agent calls with, managed by the project's owner. A key is shown once, when created.

use axum::Router;
use axum::extract::State;
use axum::routing::{delete, get};
use chrono::{DateTime, Utc};
use common::auth::AgentKey;
use common::domain::{Label, Text};
use common::extract::{Authed, Json, KeyId, ProjectId};
use common::{ApiError, AppState, HandlerResult, response, session};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use super::queries;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/projects/{id}/keys", get(list).post(create))
}

pub fn key_router() -> Router<AppState> {
    Router::new().route("/api/projects/{id}/keys/{key_id}", delete(revoke))
}

#[derive(Debug, Deserialize, Validate)]
pub struct NewKeyBody {
    #[validate(custom(function = Text::rule))]
    pub name: Label,
}

impl common::body::JsonBody for NewKeyBody {
    const REQUIRED: &'static [&'static str] = &["name"];
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewKey {
    id: Uuid,
    name: String,
    key: String,
    #[serde(serialize_with = "common::time::serialize")]
    created_at: DateTime<Utc>,
}

async fn create(
    State(state): State<AppState>,
    Authed(caller, (ProjectId(project), Json(input))): Authed<(ProjectId, Json<NewKeyBody>)>,
) -> HandlerResult {
    let (key, hash) = AgentKey::generate().map_err(ApiError::internal)?;
    let created = queries::create_key(
        &state.db().await?,
        &caller,
        project,
        input.name.as_str(),
        &hash,
    )
    .await?
    .ok_or_else(session::gone)?;
    created.access.check(&caller, false)?;
    let info = created
        .item
        .0
        .ok_or_else(|| ApiError::internal("agent key insert returned no row"))?;
    let body = NewKey {
        id: info.id,
        name: info.name,
        key,
        created_at: info.created_at,
    };
    Ok(response::created(
        &body,
        "Agent key created: it is shown this once",
    ))
}

async fn list(
    State(state): State<AppState>,
    Authed(caller, ProjectId(project)): Authed<ProjectId>,
) -> HandlerResult {
    let rows = queries::keys(&state.db().await?, &caller, project).await?;
    let keys = super::visible(rows, &caller, false)?;
    Ok(response::success(StatusCode::OK, &keys))
}

async fn revoke(
    State(state): State<AppState>,
    Authed(caller, (ProjectId(project), KeyId(key))): Authed<(ProjectId, KeyId)>,
) -> HandlerResult {
    let revoked = queries::revoke_key(&state.db().await?, &caller, project, key)
        .await?
        .ok_or_else(session::gone)?;
    revoked.access.check(&caller, false)?;
    revoked
        .item
        .0
        .ok_or(ApiError::NotFound("Agent key not found"))?;
    Ok(response::message("Agent key revoked"))
}
