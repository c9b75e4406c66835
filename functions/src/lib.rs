//! The booking API as Lambda functions: one per API path (see [`routes::Function`]), the
//! authorizer, and the migration runner. Handlers are plain async functions of a request and
//! the shared state, so tests and the local server call them in-process.

/// Gives a handler module its `handler()`: the module's `handle` as its Lambda binary runs it
/// ([`main_function`]), boxed here in the library and never inlined, so the binary compiles
/// none of it.
macro_rules! lambda_handler {
    () => {
        #[inline(never)]
        pub fn handler() -> crate::Handler {
            |state, req| Box::pin(handle(state, req))
        }
    };
}
pub(crate) use lambda_handler;

pub mod auth;
pub mod authorizer;
pub mod bookings;
pub mod conversations;
pub mod migrate;
pub mod routes;
pub mod services;
mod session;
pub mod users;

pub use routes::{Access, Function};

use common::AppState;
use common::config::{AuthConfig, Config, DbConfig, Environment};
use futures_util::future::{BoxFuture, LocalBoxFuture};
use lambda_http::Request;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

/// Prints a start-up failure the way an operator will read it in the logs, then exits.
fn fail_init(err: impl std::fmt::Display) -> ! {
    tracing::error!(error = %err, "initialisation failed");
    eprintln!("{err}");
    std::process::exit(1)
}

/// An API function's handler, boxed so that [`main_function`] is compiled once, here, and not
/// again in each binary: a generic `main` made every binary re-instantiate the runtime, hyper
/// and tokio, 30-47 s of release compilation per function in `sam build`.
pub type Handler = for<'a> fn(&'a AppState, Request) -> BoxFuture<'a, common::HandlerResult>;

/// A current-thread runtime running `run`: Lambda hands an instance one event at a time, so
/// worker threads would only cost memory (bcrypt has tokio's blocking threads). The `main_*`
/// functions box their future and call this here, so the binaries compile none of it.
fn block_on(
    run: LocalBoxFuture<'static, Result<(), lambda_runtime::Error>>,
) -> Result<(), lambda_runtime::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail_init(e))
        .block_on(run)
}

/// The whole `main` of an API function: logs, configuration, state, runtime. `handler` is the
/// function's own (e.g. [`services::handler`]), so its binary carries no other route.
pub fn main_function(handler: Handler) -> Result<(), lambda_http::Error> {
    block_on(Box::pin(run_function(handler)))
}

async fn run_function(handler: Handler) -> Result<(), lambda_http::Error> {
    common::telemetry::init_lambda();
    // Secrets named by *_SECRET_ID come from Secrets Manager, through the extension.
    let env = common::secrets::resolve(&Environment)
        .await
        .unwrap_or_else(|e| fail_init(e));
    let state = Config::from_source(&env)
        .and_then(AppState::new)
        .unwrap_or_else(|e| fail_init(e));
    common::lambda::serve(state, move |state: &'static AppState, req| {
        routes::respond(state, req, handler)
    })
    .await
}

/// The whole `main` of the authorizer: it needs only the JWT settings, no database.
pub fn main_authorizer() -> Result<(), lambda_runtime::Error> {
    block_on(Box::pin(run_authorizer()))
}

async fn run_authorizer() -> Result<(), lambda_runtime::Error> {
    common::telemetry::init_lambda();
    let env = common::secrets::resolve(&Environment)
        .await
        .unwrap_or_else(|e| fail_init(e));
    let auth = AuthConfig::from_source(&env).unwrap_or_else(|e| fail_init(e));
    let keys: &'static common::auth::JwtKeys =
        Box::leak(Box::new(common::auth::JwtKeys::new(&auth)));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<Value, std::convert::Infallible>(authorizer::authorize(&event.payload, keys))
    }))
    .await
}

/// The whole `main` of the `$default` route's function: no database, no settings.
pub fn main_not_found() -> Result<(), lambda_http::Error> {
    block_on(Box::pin(run_not_found()))
}

async fn run_not_found() -> Result<(), lambda_http::Error> {
    common::telemetry::init_lambda();
    lambda_http::run(lambda_http::service_fn(|req: Request| async move {
        Ok::<_, std::convert::Infallible>(routes::unmatched(req.method(), req.uri().path()))
    }))
    .await
}

/// The whole `main` of the migration runner.
pub fn main_migrate() -> Result<(), lambda_runtime::Error> {
    block_on(Box::pin(run_migrate()))
}

async fn run_migrate() -> Result<(), lambda_runtime::Error> {
    common::telemetry::init_lambda();
    let env = common::secrets::resolve(&Environment)
        .await
        .unwrap_or_else(|e| fail_init(e));
    let db: &'static DbConfig = Box::leak(Box::new(
        DbConfig::from_source(&env).unwrap_or_else(|e| fail_init(e)),
    ));
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| async move {
        migrate::run(db).await.map_err(|e| {
            let message = common::error::ErrorChain(&e).to_string();
            tracing::error!(error = %message, "migration failed");
            lambda_runtime::Error::from(message)
        })
    }))
    .await
}
