//! The caller of a request, from the authorizer's context when API Gateway ran it, otherwise
//! from the authorizer's own verification of the token, done here (the local server, `cargo
//! lambda watch`, public routes). The session itself is checked later, in the same statement as
//! the handler's own query.

use std::collections::HashMap;

use http::Extensions;
use lambda_http::request::RequestContext;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::agent_key::AgentKey;
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
    pub const AGENT_KEY: &str = "agentKey";
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
    /// A project's agent key, to be checked against the database with the route's own work.
    Agent(AgentKey),
}

/// Whoever may call the routes a voice agent uses: a signed-in user, or an agent key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    User(Caller),
    Agent(AgentKey),
}

/// The 401 of every route that agent keys do not reach.
pub fn agent_refused() -> ApiError {
    ApiError::Unauthorized("Agent keys are not accepted on this route")
}

impl Identity {
    /// For protected routes: the caller, or the 401 the contract asks for.
    pub fn required(self) -> Result<Caller, ApiError> {
        match self {
            Identity::Caller(c) => Ok(c),
            Identity::Anonymous => Err(ApiError::unauthenticated()),
            Identity::Invalid => Err(crate::session::gone()),
            Identity::Agent(_) => Err(agent_refused()),
        }
    }

    /// For routes open to everyone: an unusable token is treated as no token; an agent key is
    /// refused all the same.
    pub fn optional(self) -> Result<Option<Caller>, ApiError> {
        match self {
            Identity::Caller(c) => Ok(Some(c)),
            Identity::Agent(_) => Err(agent_refused()),
            _ => Ok(None),
        }
    }

    /// For the routes a voice agent uses: a user or an agent key, else the 401.
    pub fn principal(self) -> Result<Principal, ApiError> {
        match self {
            Identity::Agent(key) => Ok(Principal::Agent(key)),
            other => other.required().map(Principal::User),
        }
    }

    /// For the public routes a voice agent uses.
    pub fn optional_principal(self) -> Option<Principal> {
        match self {
            Identity::Caller(c) => Some(Principal::User(c)),
            Identity::Agent(key) => Some(Principal::Agent(key)),
            _ => None,
        }
    }

    /// Verifies the token these headers carry: the authorizer's verification.
    pub fn of_token(headers: &http::HeaderMap, keys: &JwtKeys) -> Self {
        match token_from_headers(headers) {
            Ok(None) => Identity::Anonymous,
            Ok(Some(token)) => match AgentKey::of_token(token) {
                Some(key) => Identity::Agent(key),
                None => match keys.verify(token) {
                    Ok(claims) => Identity::Caller(claims.into()),
                    Err(_) => Identity::Invalid,
                },
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
            Identity::Agent(key) => {
                m.insert(AGENT_KEY.into(), key.to_hex().into());
                "agent"
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
                Some("agent") => text(AGENT_KEY)
                    .and_then(AgentKey::from_hex)
                    .map_or(Identity::Invalid, Identity::Agent),
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

/// Whether a request presents an agent key, without verifying anything: enough for routes
/// that agent keys do not reach to refuse it first.
pub fn presents_agent_key(extensions: &Extensions, headers: &http::HeaderMap) -> bool {
    match authorizer_fields(extensions) {
        Some(fields) => fields.get(REASON).and_then(Value::as_str) == Some("agent"),
        None => {
            matches!(token_from_headers(headers), Ok(Some(t)) if AgentKey::of_token(t).is_some())
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
