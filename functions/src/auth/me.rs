//! `GET /api/auth/me`: the signed-in user's profile.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use common::auth::Caller;
use common::{AppState, HandlerResult, response, session};
use http::StatusCode;

use super::queries;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/auth/me", get(me))
}

async fn me(State(state): State<AppState>, caller: Caller) -> HandlerResult {
    let profile = queries::me(&state.db().await?, &caller)
        .await?
        .ok_or_else(session::gone)?;
    Ok(response::success(StatusCode::OK, &profile))
}
