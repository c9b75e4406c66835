//! What every function of the booking API shares: configuration, database access, auth,
//! request parsing and validation, responses and errors.

pub mod agent_keys;
pub mod auth;
pub mod body;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod lambda;
pub mod request;
pub mod response;
pub mod secrets;
pub mod session;
pub mod state;
pub mod telemetry;
pub mod time;
pub mod validation;

pub use error::ApiError;
pub use state::AppState;

/// What a handler returns: a response, or an error that becomes the contract's envelope.
pub type HandlerResult = Result<axum::response::Response, ApiError>;
