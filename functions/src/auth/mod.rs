//! `/api/auth/*`: register, login, logout, me, password.

pub mod login;
pub mod logout;
pub mod me;
pub mod password;
pub mod queries;
pub mod rate_limit;
pub mod reauth;
pub mod register;
mod sign_in;
