//! Who is calling: tokens, passwords, cookies, and the caller extracted from a request.

pub mod caller;
pub mod cookie;
pub mod hmac_provider;
pub mod jwt;
pub mod password;
pub mod role;

pub use caller::{Caller, Identity};
pub use jwt::{Claims, JwtKeys};
pub use role::Role;
