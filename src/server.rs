//! The HTTP server of `cargo run`: every function's routes on one local port, with what API
//! Gateway does in front of them (CORS as the template configures it, a 10 MB body limit) and
//! the local server's own guard against DNS rebinding ([`host`]).

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use common::AppState;
use common::request::SourceIp;
use http::{HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::host;

/// API Gateway refuses payloads over 10 MB before any function runs; so do we.
pub const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

/// The whole API as the local server serves it.
pub fn app(state: AppState) -> Router {
    let http = state.config.http.clone();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            origin.to_str().is_ok_and(|o| http.allows_origin(o))
        }))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        // Without this a front end cannot tell its user when a 429 or 503 may be retried.
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    common::lambda::app(functions::routes(), state.clone())
        .layer(middleware::from_fn(bounded_body))
        .layer(cors)
        .layer(middleware::from_fn_with_state(state, gateway))
}

/// Refuses hosts this server does not serve, notes the peer's address for the functions (API
/// Gateway's `sourceIp`), answers a CORS preflight 204 as API Gateway does (tower-http's answer
/// is a 200), and logs each request.
async fn gateway(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // An absolute-form request target names the host itself, and then `Host` is ignored
    // (RFC 9112, 3.2.2); a request naming neither is refused too.
    let authority = match req.uri().authority() {
        Some(authority) => Some(authority.as_str()),
        None => req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok()),
    };
    if !authority.is_some_and(|a| host::allowed(a, &state.config.http.allowed_hosts)) {
        // 421 Misdirected Request: "not an authoritative server for this host" (host.rs).
        return common::response::failure(StatusCode::MISDIRECTED_REQUEST, "Unknown host", None);
    }
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        req.extensions_mut().insert(SourceIp(peer.ip()));
    }
    let started = Instant::now();
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let preflight = method == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut resp = next.run(req).await;
    if preflight && resp.status() == StatusCode::OK {
        *resp.status_mut() = StatusCode::NO_CONTENT;
    }
    tracing::info!(%method, %path, status = resp.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0, "request");
    resp
}

/// Reads the body whole, as API Gateway does before invoking a function: 413 over its limit.
async fn bounded_body(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match Limited::new(body, GATEWAY_MAX_BODY).collect().await {
        Ok(collected) => {
            next.run(Request::from_parts(parts, Body::from(collected.to_bytes())))
                .await
        }
        Err(_) => common::ApiError::PayloadTooLarge {
            limit: GATEWAY_MAX_BODY,
        }
        .into_response(),
    }
}

/// Accepts connections until `shutdown` resolves, then lets open requests finish (bounded).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
    let stop = stopping.clone();
    let server = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        stop.notify_one();
    });
    tokio::select! {
        served = server => served?,
        () = async {
            stopping.notified().await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        } => tracing::warn!("requests still running after 10 s; stopping anyway"),
    }
    Ok(())
}
