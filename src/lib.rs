//! The local server: every route of the booking API on one port, routed exactly as API
//! Gateway routes them to the Lambda functions, authorizer included.

pub mod cors;
pub mod gateway;
pub mod host;
pub mod local;
pub mod server;
