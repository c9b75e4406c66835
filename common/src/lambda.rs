//! The router every function serves, on Lambda and in the local server alike: the contract's
//! envelope for unknown paths (404) and unserved methods (405 with `Allow`), the origin check
//! and the agent-key fence on every served route, and a panic answered as a 500 in the envelope, never an unwinding
//! task (API Gateway would turn a failed invocation into a bare 500).

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use tower_http::catch_panic::CatchPanicLayer;

use crate::auth::agent_key;
use crate::auth::caller::{agent_refused, presents_agent_key};
use crate::error::ApiError;
use crate::response;
use crate::state::AppState;

/// `routes` (one resource's, or all of them merged) as a service.
pub fn app(routes: Router<AppState>, state: AppState) -> Router {
    let routes = routes
        .route_layer(middleware::from_fn_with_state(state.clone(), route_guard))
        .method_not_allowed_fallback(|| async { response::method_not_allowed() })
        .fallback(|| async { response::route_not_found() })
        .with_state(state);
    // Around the whole router: the router sets `Allow` outside any layer of its own routes.
    Router::new()
        .fallback_service(routes)
        .layer(middleware::map_response(allow_as_listed))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::internal("handler panicked"))
        }))
}

/// The origin check, then agent keys kept to the routes they reach ([`agent_key::ROUTES`]).
async fn route_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Err(refusal) =
        crate::request::check_origin(req.method(), req.headers(), &state.config.http)
    {
        return refusal.into_response();
    }
    if presents_agent_key(req.extensions(), req.headers()) {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        let reached =
            agent_key::ROUTES.contains(&(req.method().as_str(), route.unwrap_or_default()));
        if !reached {
            return agent_refused().into_response();
        }
    }
    next.run(req).await
}

/// The router lists `GET,HEAD,POST`; the contract's `Allow` is the documented methods, as
/// `GET, POST`. (HEAD is answered as GET without a body, as HTTP asks.)
async fn allow_as_listed(mut resp: Response) -> Response {
    if resp.status() != StatusCode::METHOD_NOT_ALLOWED {
        return resp;
    }
    let listed = resp
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .map(|allow| {
            allow
                .split(',')
                .map(str::trim)
                .filter(|m| *m != "HEAD")
                .collect::<Vec<_>>()
                .join(", ")
        });
    if let Some(value) = listed.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(header::ALLOW, value);
    }
    resp
}
