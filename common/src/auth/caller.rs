//! The caller of a request, from the authorizer's context when API Gateway ran it, otherwise
//! from verifying the token here (under `cargo lambda watch`, on public routes, in tests). The
//! session itself is checked later, in the same statement as the handler's own query.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::cookie::token_from_headers;
use super::jwt::{Claims, JwtKeys};
use super::role::Role;
use crate::error::ApiError;

/// Keys of the context the authorizer hands to API Gateway, which passes it on to the function
/// as `requestContext.authorizer.lambda`.
pub mod context_keys {
    pub const AUTHENTICATED: &str = "authenticated";
    pub const USER_ID: &str = "userId";
    pub const EMAIL: &str = "email";
    pub const ROLE: &str = "role";
    pub const SESSION_ID: &str = "sessionId";
}

/// A caller whose token verified. Its session may still have been revoked: handlers confirm
/// it against the database (and read the current role there) in their first statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub email: String,
    pub role: Role,
}

impl From<Claims> for Caller {
    fn from(c: Claims) -> Self {
        Self {
            user_id: c.user_id,
            session_id: c.sid,
            email: c.email,
            role: c.role,
        }
    }
}

impl Caller {
    /// The authorizer context describing this caller.
    pub fn to_context(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(context_keys::AUTHENTICATED.into(), Value::Bool(true));
        m.insert(
            context_keys::USER_ID.into(),
            self.user_id.to_string().into(),
        );
        m.insert(context_keys::EMAIL.into(), self.email.clone().into());
        m.insert(context_keys::ROLE.into(), self.role.as_str().into());
        m.insert(
            context_keys::SESSION_ID.into(),
            self.session_id.to_string().into(),
        );
        m
    }

    fn from_context(ctx: &std::collections::HashMap<String, Value>) -> Option<Self> {
        let text = |k: &str| ctx.get(k).and_then(Value::as_str);
        Some(Self {
            user_id: text(context_keys::USER_ID)?.parse().ok()?,
            session_id: text(context_keys::SESSION_ID)?.parse().ok()?,
            email: text(context_keys::EMAIL)?.to_string(),
            role: text(context_keys::ROLE)?.parse().ok()?,
        })
    }
}

/// The context for a request without a valid token: the function answers 401 itself, so the
/// client gets the contract's envelope rather than API Gateway's bare 403.
pub fn anonymous_context(reason: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(context_keys::AUTHENTICATED.into(), Value::Bool(false));
    m.insert("reason".into(), reason.into());
    m
}

/// What a request says about its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

fn authorizer_fields(req: &Request) -> Option<&std::collections::HashMap<String, Value>> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx
            .authorizer
            .as_ref()
            .map(|a| &a.fields)
            .filter(|f| !f.is_empty()),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Verifies the token carried by these headers.
pub fn identify_token(headers: &http::HeaderMap, keys: &JwtKeys) -> Identity {
    match token_from_headers(headers) {
        Ok(None) => Identity::Anonymous,
        Ok(Some(token)) => match keys.verify(token) {
            Ok(claims) => Identity::Caller(claims.into()),
            Err(_) => Identity::Invalid,
        },
        Err(_) => Identity::Invalid,
    }
}

/// The identity of a request's caller.
pub fn identify(req: &Request, keys: &JwtKeys) -> Identity {
    if let Some(fields) = authorizer_fields(req) {
        // API Gateway ran our authorizer and passed on its verdict; nobody else can set this.
        let authenticated = matches!(
            fields.get(context_keys::AUTHENTICATED),
            Some(Value::Bool(true))
        ) || matches!(fields.get(context_keys::AUTHENTICATED), Some(Value::String(s)) if s == "true");
        if !authenticated {
            return match fields.get("reason").and_then(Value::as_str) {
                Some("missing") => Identity::Anonymous,
                _ => Identity::Invalid,
            };
        }
        return match Caller::from_context(fields) {
            Some(caller) => Identity::Caller(caller),
            None => Identity::Invalid,
        };
    }
    identify_token(req.headers(), keys)
}
