//! `GET /api/auth/me`: the signed-in user's profile.

use common::auth::caller::identify;
use common::{AppState, HandlerResult, response};
use http::{Method, StatusCode};
use lambda_http::Request;

use crate::routes::{Function, method_not_allowed};
use crate::session::{session_gone, with_caller};
use crate::users::model::Profile;

const ME: &str = with_caller!(
    "SELECT u.id, u.email, u.name, u.phone, u.role, u.created_at, u.updated_at ",
    "FROM caller c JOIN users u ON u.id = c.id"
);

pub async fn handle(state: &AppState, req: Request) -> HandlerResult {
    if req.method() != Method::GET {
        return Err(method_not_allowed(Function::AuthMe));
    }
    let caller = identify(&req, &state.keys).required()?;
    let db = state.db().await?;
    let row = db
        .query_opt(ME, &[&caller.session_id, &caller.user_id], "load profile")
        .await?
        .ok_or_else(session_gone)?;
    Ok(response::success(StatusCode::OK, &Profile::from_row(&row)?))
}

crate::lambda_handler!();
