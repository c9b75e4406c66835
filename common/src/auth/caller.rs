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
use super::jwt::JwtKeys;
use crate::error::ApiError;

/// Keys of the context the authorizer hands to API Gateway, which passes it on to the function
/// as `requestContext.authorizer.lambda`.
const AUTHENTICATED: &str = "authenticated";
const USER_ID: &str = "userId";
const SESSION_ID: &str = "sessionId";
const REASON: &str = "reason";
const AGENT_KEY: &str = "agentKey";

/// A caller whose token verified. Its session may still have been revoked: handlers confirm
/// it against the database (and read the current role there) in their first statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub session_id: Uuid,
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
    /// Verifies the token these headers carry: the authorizer's verification.
    pub fn of_token(headers: &http::HeaderMap, keys: &JwtKeys) -> Self {
        match token_from_headers(headers) {
            Ok(None) => Identity::Anonymous,
            Ok(Some(token)) => match AgentKey::of_token(token) {
                Some(key) => Identity::Agent(key),
                None => match keys.verify(token) {
                    Ok(claims) => Identity::Caller(Caller {
                        user_id: claims.user_id,
                        session_id: claims.sid,
                    }),
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
