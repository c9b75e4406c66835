//! Database access: the connection pool (password or RDS IAM auth, TLS), migrations, and the
//! statement helpers every handler uses.

pub mod iam;
pub mod migrate;
pub mod pool;
pub mod query;
pub mod shared;
mod tls;

pub use pool::{Conn, Pool, build_pool};
pub use query::Db;
pub use shared::Connections;
