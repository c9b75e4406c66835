//! What the routers serve, found by asking them: each function's router declares its paths and
//! methods once, and the template and the OpenAPI document are held to what they answer.

use tower::ServiceExt;

use super::TestApp;
use super::http::read;

/// Methods a route may serve.
pub const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/// A stand-in for the `{id}` of a path.
const SOME_ID: &str = "00000000-0000-4000-8000-00000000abcd";

/// How a router answers one method on one path from a caller without credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// No such path.
    NoPath,
    /// The path, but not this method.
    NotServed,
    /// Served, to anyone.
    Public,
    /// Served to signed-in callers only: 401 "Authentication required".
    Protected,
}

/// How `routes` (one function's, or all of them) answer `method path`.
pub async fn probe(
    app: &TestApp,
    routes: axum::Router<common::AppState>,
    method: &str,
    path: &str,
) -> Answer {
    let req = http::Request::builder()
        .method(method)
        .uri(path.replace("{id}", SOME_ID))
        .body(axum::body::Body::empty())
        .unwrap();
    let router = common::lambda::app(routes, app.state.clone());
    let (parts, body) = read(router.oneshot(req).await.unwrap_or_else(|e| match e {})).await;
    let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON body");
    match (parts.status.as_u16(), body["error"].as_str()) {
        (404, Some("Route not found")) => Answer::NoPath,
        (405, _) => Answer::NotServed,
        (401, Some("Authentication required")) => Answer::Protected,
        _ => Answer::Public,
    }
}
