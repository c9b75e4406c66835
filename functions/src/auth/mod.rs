//! `/api/auth/*`: register, login, logout, me.

pub mod login;
pub mod logout;
pub mod me;
pub mod rate_limit;
pub mod register;
mod sign_in;
