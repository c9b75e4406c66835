//! The booking API as Lambda functions: one per API path, each serving its resource's router
//! (see [`FUNCTIONS`]), plus the authorizer and the migration runner. The local server merges
//! the same routers ([`routes`]), and tests call them in-process.

pub mod auth;
pub mod authorizer;
pub mod bookings;
pub mod conversations;
pub mod migrate;
pub mod projects;
pub mod services;
pub mod users;

use axum::Router;
use common::AppState;
use common::config::{AuthConfig, Config, DbConfig, Environment};
use common::secrets::WithSecrets;
use futures_util::future::LocalBoxFuture;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

/// A resource's routes.
pub type Routes = fn() -> Router<AppState>;

/// Every API function: its binary (and SAM function), and the routes it serves.
pub const FUNCTIONS: [(&str, Routes); 16] = [
    ("auth-register", auth::register::router),
    ("auth-login", auth::login::router),
    ("auth-logout", auth::logout::router),
    ("auth-me", auth::me::router),
    ("auth-password", auth::password::router),
    ("bookings", bookings::collection::router),
    ("booking", bookings::item::router),
    ("services", services::router),
    ("user", users::router),
    ("conversations", conversations::router),
    ("projects", projects::collection_router),
    ("project", projects::item_router),
    ("project-availability", projects::availability::router),
    ("project-bookings", projects::calendar::router),
    ("project-keys", projects::keys::router),
    ("project-key", projects::keys::key_router),
];

/// Every route of the API, as the local server serves them.
pub fn routes() -> Router<AppState> {
    FUNCTIONS
        .iter()
        .fold(Router::new(), |all, (_, routes)| all.merge(routes()))
}

/// Prints a start-up failure the way an operator will read it in the logs, then exits.
fn fail_init(err: impl std::fmt::Display) -> ! {
    tracing::error!(error = %err, "initialisation failed");
    eprintln!("{err}");
    std::process::exit(1)
}

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

/// The whole `main` of an API function: logs, configuration, state, runtime. `routes` are the
/// function's own (e.g. [`services::router`]), so its binary carries no other route. Not
/// generic, so the binaries compile none of this: a generic `main` made every binary
/// re-instantiate the runtime, hyper and tokio, 30-47 s of release compilation per function.
pub fn main_api(routes: Routes) -> Result<(), lambda_http::Error> {
    block_on(Box::pin(run_api(routes)))
}

/// Logs, then the environment. Secrets named by *_SECRET_ID come from Secrets Manager, through
/// the extension.
async fn init() -> WithSecrets<'static> {
    common::telemetry::init_lambda();
    common::secrets::resolve(&Environment)
        .await
        .unwrap_or_else(|e| fail_init(e))
}

async fn run_api(routes: Routes) -> Result<(), lambda_http::Error> {
    let state = Config::from_source(&init().await)
        .and_then(AppState::new)
        .unwrap_or_else(|e| fail_init(e));
    lambda_http::run(common::lambda::app(routes(), state)).await
}

/// The whole `main` of the authorizer: it needs only the JWT settings, no database.
pub fn main_authorizer() -> Result<(), lambda_runtime::Error> {
    block_on(Box::pin(run_authorizer()))
}

async fn run_authorizer() -> Result<(), lambda_runtime::Error> {
    let auth = AuthConfig::from_source(&init().await).unwrap_or_else(|e| fail_init(e));
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
    lambda_http::run(lambda_http::service_fn(|_| async {
        Ok::<_, std::convert::Infallible>(not_found())
    }))
    .await
}

/// The `$default` route's answer: API Gateway sends it every request whose path no function
/// serves (each function's own router answers the methods its path does not serve).
pub fn not_found() -> axum::response::Response {
    common::response::route_not_found()
}

/// The whole `main` of the migration runner.
pub fn main_migrate() -> Result<(), lambda_runtime::Error> {
    block_on(Box::pin(run_migrate()))
}

async fn run_migrate() -> Result<(), lambda_runtime::Error> {
    let db: &'static DbConfig = Box::leak(Box::new(
        DbConfig::from_source(&init().await).unwrap_or_else(|e| fail_init(e)),
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
