//! `GET /api/auth/me`: the signed-in user's profile.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use common::auth::Caller;
use common::{AppState, HandlerResult, response, session};
use http::StatusCode;

use crate::users::model::Profile;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/auth/me", get(me))
}

async fn me(State(state): State<AppState>, caller: Caller) -> HandlerResult {
    let sql = "SELECT u.* FROM live_caller($1, $2) c JOIN users u ON u.id = c.id";
    let profile: Profile = state
        .db()
        .await?
        .row(sql, &[&caller.session_id, &caller.user_id], "load profile")
        .await?
        .ok_or_else(session::gone)?;
    Ok(response::success(StatusCode::OK, &profile))
}
