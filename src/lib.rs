//! The local server: every function's routes on one port, behind what API Gateway does in
//! front of them.

pub mod host;
pub mod local;
pub mod server;
pub mod shared;
