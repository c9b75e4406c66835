//! Hands a handler to the Lambda runtime. Whatever the handler does, the runtime gets a
//! response in the contract's envelope: never an `Err` (API Gateway would turn it into a bare
//! 500) and never an unwinding panic.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use lambda_http::{Body, Request, Response, service_fn};

use crate::error::ApiError;

/// Runs `fut`, turning a panic into a logged 500 envelope.
pub async fn contain_panics(fut: impl Future<Output = Response<Body>>) -> Response<Body> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(resp) => resp,
        Err(_) => ApiError::internal("handler panicked").into_response(),
    }
}

/// Serves `handler` until the runtime stops. `state` lives as long as the process. `handler`
/// answers every outcome itself, panics included (`functions::routes::respond`).
pub async fn serve<S, F, Fut>(state: S, handler: F) -> Result<(), lambda_http::Error>
where
    S: Send + Sync + 'static,
    F: Fn(&'static S, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let state: &'static S = Box::leak(Box::new(state));
    let handler = &*Box::leak(Box::new(handler));
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, Infallible>(handler(state, req).await)
    }))
    .await
}
