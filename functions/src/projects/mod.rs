//! `/api/projects`: a voice agent for one business (its hours in its own time zone, its
//! services), the project's calendar, its public availability, and the keys its agent calls
//! with. Each path is its own function; see [`crate::FUNCTIONS`].

pub mod availability;
pub mod calendar;
pub mod keys;
pub mod model;
pub mod queries;
pub mod recent_slots;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use common::auth::{Caller, Role};
use common::error::OnConstraint;
use common::extract::{Authed, Id, Json};
use common::{ApiError, AppState, HandlerResult, response, session};
use http::StatusCode;
use postgres_from_row::FromRow;

use model::{NewProject, ProjectFields};
use queries::{Access, Owned};

pub fn collection_router() -> Router<AppState> {
    Router::new().route("/api/projects", get(list).post(create))
}

pub fn item_router() -> Router<AppState> {
    Router::new().route("/api/projects/{id}", get(read).put(update).delete(close))
}

pub const NOT_FOUND: ApiError = ApiError::NotFound("Project not found");

impl Access {
    /// 404 without the (open) project; 403 unless the caller owns it or, where `admins`, is
    /// an administrator.
    pub fn check(&self, caller: &Caller, admins: bool) -> Result<(), ApiError> {
        match self.owner_id {
            None => Err(NOT_FOUND),
            Some(owner) if owner == caller.user_id => Ok(()),
            Some(_) if admins && self.caller_role == Role::Admin => Ok(()),
            Some(_) => Err(ApiError::Forbidden(
                "You do not have access to this project".into(),
            )),
        }
    }
}

/// The items of a project's rows once the caller may see them ([`Access::check`]); no row at
/// all means the session is gone.
fn visible<T: FromRow>(
    rows: Vec<Owned<T>>,
    caller: &Caller,
    admins: bool,
) -> Result<Vec<T>, ApiError> {
    let first = rows.first().ok_or_else(session::gone)?;
    first.access.check(caller, admins)?;
    Ok(rows.into_iter().filter_map(|r| r.item.0).collect())
}

/// Raised by `projects_time_zone_check`: PostgreSQL's time-zone database does not know it.
const TIME_ZONE_CHECK: &str = "projects_time_zone_check";

fn unknown_time_zone() -> ApiError {
    ApiError::validation(
        "timeZone",
        "Unknown time zone: expected an IANA name such as Europe/Berlin",
    )
}

async fn list(State(state): State<AppState>, Authed(caller, ()): Authed<()>) -> HandlerResult {
    let projects = queries::list(&state.db().await?, &caller)
        .await?
        .ok_or_else(session::gone)?;
    Ok(response::success(StatusCode::OK, &projects))
}

async fn create(
    State(state): State<AppState>,
    Authed(caller, Json(input)): Authed<Json<NewProject>>,
) -> HandlerResult {
    let created = queries::insert(&state.db().await?, &caller, &input.fields)
        .await
        .on_constraint(TIME_ZONE_CHECK, unknown_time_zone)?
        .ok_or_else(session::gone)?;
    let project = created.item.0.ok_or_else(session::gone)?;
    Ok(response::created(&project, "Project created successfully"))
}

async fn read(State(state): State<AppState>, Authed(caller, Id(id)): Authed<Id>) -> HandlerResult {
    let found = queries::read(&state.db().await?, &caller, id)
        .await?
        .ok_or_else(session::gone)?;
    found.access.check(&caller, true)?;
    let project = found.item.0.ok_or(NOT_FOUND)?;
    Ok(response::success(StatusCode::OK, &project))
}

async fn update(
    State(state): State<AppState>,
    Authed(caller, (Id(id), Json(change))): Authed<(Id, Json<ProjectFields>)>,
) -> HandlerResult {
    let db = state.db().await?;
    let outcome = queries::update(&db, &caller, id, &change)
        .await
        .on_constraint(TIME_ZONE_CHECK, unknown_time_zone)?
        .ok_or_else(session::gone)?;
    outcome.access.check(&caller, true)?;
    if !outcome.changed {
        return Err(ApiError::validation(
            "services",
            "A service id is not one of this project's services",
        ));
    }
    let project = queries::read(&db, &caller, id)
        .await?
        .and_then(|found| found.item.0)
        .ok_or(NOT_FOUND)?;
    Ok(response::updated(&project, "Project updated successfully"))
}

async fn close(State(state): State<AppState>, Authed(caller, Id(id)): Authed<Id>) -> HandlerResult {
    let outcome = queries::close(&state.db().await?, &caller, id)
        .await?
        .ok_or_else(session::gone)?;
    outcome.access.check(&caller, true)?;
    Ok(response::message("Project deleted successfully"))
}
