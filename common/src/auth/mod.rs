//! Who is calling: tokens, passwords, cookies, and the caller extracted from a request.

pub mod agent_key;
pub mod caller;
pub mod cookie;
pub mod hmac_provider;
pub mod jwt;
pub mod password;
pub mod role;

pub use agent_key::AgentKey;
pub use caller::{Caller, Identity, Principal};
pub use jwt::{Claims, JwtKeys};
pub use role::Role;
