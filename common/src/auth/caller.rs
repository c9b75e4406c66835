//! The caller of a request, from the authorizer's context when API Gateway ran it, otherwise
//! from the authorizer's own verification of the token, done here (the local server, `cargo
//! lambda watch`, public routes). The session itself is checked later, in the same statement as
//! the handler's own query.

use std::collections::HashMap;

use http::Extensions;
use lambda_http::request::RequestContext;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::cookie::token_from_headers;
use super::jwt::{Claims, JwtKeys};
use crate::error::ApiError;

/// Keys of the context the authorizer hands to API Gateway, which passes it on to the function
/// as `requestContext.authorizer.lambda`.
mod context_keys {
    pub const AUTHENTICATED: &str = "authenticated";
    pub const USER_ID: &str = "userId";
    pub const SESSION_ID: &str = "sessionId";
    pub const REASON: &str = "reason";
}
use context_keys::*;

/// A caller whose token verified. Its session may still have been revoked: handlers confirm
/// it against the database (and read the current role there) in their first statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub session_id: Uuid,
}

impl From<Claims> for Caller {
    fn from(c: Claims) -> Self {
        Self {
            user_id: c.user_id,
            session_id: c.sid,
        }
    }
}

/// What a request says about its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// No credentials at all.
    Anonymous,
    /// Credentials that did not verify (bad signature, expired, ambiguous...).
    Invalid,
    Caller(Caller),
}

impl Identity {
    /// For protected routes: the caller, or the 401 the contract asks for.
    pub fn required(self) -> Result<Caller, ApiError> {
        match self {
            Identity::Caller(c) => Ok(c),
            Identity::Anonymous => Err(ApiError::unauthenticated()),
            Identity::Invalid => Err(ApiError::Unauthorized("Invalid or expired token")),
        }
    }

    /// For routes open to everyone: an unusable token is treated as no token.
    pub fn optional(self) -> Option<Caller> {
        match self {
            Identity::Caller(c) => Some(c),
            _ => None,
        }
    }

    /// Verifies the token these headers carry: the authorizer's verification.
    pub fn of_token(headers: &http::HeaderMap, keys: &JwtKeys) -> Self {
        match token_from_headers(headers) {
            Ok(None) => Identity::Anonymous,
            Ok(Some(token)) => match keys.verify(token) {
                Ok(claims) => Identity::Caller(claims.into()),
                Err(_) => Identity::Invalid,
            },
            Err(_) => Identity::Invalid,
        }
    }

    /// The request's identity: the authorizer's verdict when API Gateway passed one on (nobody
    /// else can set it), otherwise the token verified here.
    pub fn of_request(extensions: &Extensions, headers: &http::HeaderMap, keys: &JwtKeys) -> Self {
        match authorizer_fields(extensions) {
            Some(fields) => Self::from_context(fields),
            None => Self::of_token(headers, keys),
        }
    }

    /// The context the authorizer hands on for this identity.
    pub fn to_context(self) -> Map<String, Value> {
        let mut m = Map::new();
        let reason = match self {
            Identity::Caller(caller) => {
                m.insert(AUTHENTICATED.into(), Value::Bool(true));
                m.insert(USER_ID.into(), caller.user_id.to_string().into());
                m.insert(SESSION_ID.into(), caller.session_id.to_string().into());
                return m;
            }
            Identity::Anonymous => "missing",
            Identity::Invalid => "invalid",
        };
        m.insert(AUTHENTICATED.into(), Value::Bool(false));
        m.insert(REASON.into(), reason.into());
        m
    }

    fn from_context(fields: &HashMap<String, Value>) -> Self {
        let text = |k: &str| fields.get(k).and_then(Value::as_str);
        let authenticated = match fields.get(AUTHENTICATED) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
        if !authenticated {
            return match text(REASON) {
                Some("missing") => Identity::Anonymous,
                _ => Identity::Invalid,
            };
        }
        let id = |k: &str| text(k).and_then(|v| v.parse().ok());
        match (id(USER_ID), id(SESSION_ID)) {
            (Some(user_id), Some(session_id)) => Identity::Caller(Caller {
                user_id,
                session_id,
            }),
            _ => Identity::Invalid,
        }
    }
}

fn authorizer_fields(extensions: &Extensions) -> Option<&HashMap<String, Value>> {
    match extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(ctx) => ctx
            .authorizer
            .as_ref()
            .map(|a| &a.fields)
            .filter(|f| !f.is_empty()),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}
