//! The HTTP server of `cargo run`: plain HTTP/1.1 on a local port, in front of the gateway.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::AppState;
use http::StatusCode;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming as HyperBody;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use lambda_http::Body;
use tokio::net::TcpListener;

use crate::gateway::{self, Incoming};
use crate::{cors, host};

/// API Gateway refuses payloads over 10 MB before any function runs; so do we.
pub const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

fn to_hyper(resp: lambda_http::Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

/// The answer to a `Host` this server does not serve (see [`host`]): 421 Misdirected Request,
/// "not an authoritative server for this host", in the contract's envelope.
fn misdirected() -> lambda_http::Response<Body> {
    common::response::failure(StatusCode::MISDIRECTED_REQUEST, "Unknown host", None)
}

/// Serves one request end to end.
pub async fn handle(
    state: &AppState,
    peer: SocketAddr,
    req: hyper::Request<HyperBody>,
) -> lambda_http::Response<Body> {
    let (parts, body) = req.into_parts();
    // An absolute-form request target names the host itself, and then `Host` is ignored
    // (RFC 9112, 3.2.2); a request naming neither is refused too.
    let authority = match parts.uri.authority() {
        Some(authority) => Some(authority.as_str()),
        None => parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok()),
    };
    if !authority.is_some_and(|a| host::allowed(a, &state.config.http.allowed_hosts)) {
        return misdirected();
    }
    if cors::is_preflight(&parts.method, &parts.headers) {
        return cors::preflight(&parts.headers, &state.config.http);
    }
    let body = match Limited::new(body, GATEWAY_MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => {
            return common::ApiError::PayloadTooLarge {
                limit: GATEWAY_MAX_BODY,
            }
            .into_response();
        }
    };
    let incoming = Incoming {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
        source_ip: peer.ip(),
    };
    let origin = cors::allowed_origin(&incoming.headers, &state.config.http).cloned();
    let mut resp = gateway::dispatch(state, incoming).await;
    cors::decorate(origin, &mut resp);
    resp
}

/// Accepts connections until `shutdown` resolves, then lets open requests finish (bounded).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let state = Arc::new(state);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let state = Arc::clone(&state);
        let service = service_fn(move |req: hyper::Request<HyperBody>| {
            let state = Arc::clone(&state);
            async move {
                let started = Instant::now();
                let method = req.method().clone();
                let path = req.uri().path().to_string();
                let resp = handle(&state, peer, req).await;
                let status: StatusCode = resp.status();
                tracing::info!(%method, %path, status = status.as_u16(),
                    ms = started.elapsed().as_secs_f64() * 1000.0, "request");
                Ok::<_, Infallible>(to_hyper(resp))
            }
        });
        let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(err) = conn.await {
                tracing::debug!(error = %err, "connection closed with an error");
            }
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(10)) => {
            tracing::warn!("requests still running after 10 s; stopping anyway");
        }
    }
    Ok(())
}
