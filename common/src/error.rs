//! The one error type of the API: a variant per outcome a client can act on. Each maps to its
//! status and envelope in [`ApiError::into_response`]; internal causes are logged, never sent.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::json;
use tokio_postgres::error::SqlState;

use crate::response;

/// One offending field of a request: `field` is the JSON path (`scheduledAt`, `transcript.turns[2]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable(#[source] Cause),
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self::Internal(cause.into())
    }

    pub fn unauthenticated() -> Self {
        Self::Unauthorized("Authentication required")
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    /// The envelope a client sees. Causes of 500/503 are logged here, once, and never sent.
    fn into_response(self) -> Response {
        let status = self.status();
        let (message, details) = match &self {
            ApiError::Validation(fields) => ("Validation failed".to_string(), Some(json!(fields))),
            ApiError::BadRequest(m) | ApiError::Forbidden(m) | ApiError::Conflict(m) => {
                (m.clone(), None)
            }
            ApiError::Unauthorized(m) | ApiError::NotFound(m) => (m.to_string(), None),
            ApiError::PayloadTooLarge { limit } => {
                (format!("Request body is larger than {limit} bytes"), None)
            }
            ApiError::UnsupportedMediaType => {
                ("Content-Type must be application/json".to_string(), None)
            }
            ApiError::RateLimited { .. } => (
                "Too many attempts, please try again later".to_string(),
                None,
            ),
            ApiError::Unavailable(cause) => {
                tracing::warn!(error = %ErrorChain(cause.as_ref()), "service unavailable");
                ("Service temporarily unavailable".to_string(), None)
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %ErrorChain(cause.as_ref()), "internal error");
                ("Internal server error".to_string(), None)
            }
        };
        let mut resp = response::failure(status, &message, details);
        let retry_after = match self {
            ApiError::RateLimited { retry_after_secs } => retry_after_secs.max(1),
            ApiError::Unavailable(_) => 1,
            _ => return resp,
        };
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        resp
    }
}

/// Formats an error with its whole `caused by` chain on one log line.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// A database failure with what we were doing when it happened.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct DbFailure {
    context: &'static str,
    #[source]
    source: tokio_postgres::Error,
}

fn is_unavailable(err: &tokio_postgres::Error) -> bool {
    match err.code() {
        // Server-side: shutting down, too many connections, statement timeout, and the like.
        Some(code) => {
            let class = &code.code()[..2];
            matches!(class, "08" | "53" | "57")
                || *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
        }
        // No SQLSTATE: the connection itself failed or closed.
        None => err.as_db_error().is_none(),
    }
}

/// Adds what we were doing to a database error, and lets a named constraint become a client
/// error instead of a 500 (the constraint names are the migrations' own).
pub trait DbResultExt<T> {
    fn context(self, context: &'static str) -> Result<T, DbError>;
}

/// A database error not yet turned into an [`ApiError`], so constraint names can be matched.
#[derive(Debug)]
pub enum DbError {
    Failed(DbFailure),
    /// No answer in time: the server is frozen or the network gone (a 503).
    NoReply(NoReply),
}

/// The database did not answer a statement within the reply timeout.
#[derive(Debug, thiserror::Error)]
#[error("{context}: no reply from the database within {after:?}")]
pub struct NoReply {
    pub context: &'static str,
    pub after: std::time::Duration,
}

impl<T> DbResultExt<T> for Result<T, tokio_postgres::Error> {
    fn context(self, context: &'static str) -> Result<T, DbError> {
        self.map_err(|source| DbError::Failed(DbFailure { context, source }))
    }
}

impl DbError {
    /// A deadlock or serialization failure: the statement was rolled back whole and may
    /// simply run again (concurrent writes racing for one exclusion-constraint slot do this).
    pub fn is_transient(&self) -> bool {
        match self {
            DbError::Failed(f) => f.source.code().is_some_and(|c| {
                *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
            }),
            DbError::NoReply(_) => false,
        }
    }

    /// The constraint a violation names, if any.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            DbError::Failed(f) => f.source.as_db_error().and_then(|e| e.constraint()),
            DbError::NoReply(_) => None,
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Failed(f) if is_unavailable(&f.source) => ApiError::Unavailable(Box::new(f)),
            DbError::Failed(f) => ApiError::Internal(Box::new(f)),
            DbError::NoReply(n) => ApiError::Unavailable(Box::new(n)),
        }
    }
}

pub trait OnConstraint<T> {
    /// Maps a violation of `name` to `f()`, every other error to its usual [`ApiError`].
    fn on_constraint(self, name: &str, f: impl FnOnce() -> ApiError) -> Result<T, ApiError>;
}

impl<T> OnConstraint<T> for Result<T, DbError> {
    fn on_constraint(self, name: &str, f: impl FnOnce() -> ApiError) -> Result<T, ApiError> {
        self.map_err(|e| {
            if e.constraint() == Some(name) {
                f()
            } else {
                e.into()
            }
        })
    }
}

/// A pooled connection could not be had: the database is down, or every connection is busy.
#[derive(Debug, thiserror::Error)]
#[error("could not get a database connection")]
pub struct PoolUnavailable(#[source] pub Cause);

impl From<PoolUnavailable> for ApiError {
    fn from(e: PoolUnavailable) -> Self {
        ApiError::Unavailable(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(resp: Response) -> serde_json::Value {
        let bytes = futures_util::FutureExt::now_or_never(axum::body::to_bytes(
            resp.into_body(),
            usize::MAX,
        ))
        .expect("a buffered body")
        .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn internal_errors_never_leak_their_cause() {
        let resp = ApiError::internal("relation \"users\" does not exist").into_response();
        assert_eq!(resp.status(), 500);
        let body = body_json(resp);
        assert_eq!(
            body,
            json!({"success": false, "error": "Internal server error"})
        );
    }

    #[test]
    fn validation_errors_carry_details() {
        let resp = ApiError::validation("email", "Invalid email address").into_response();
        assert_eq!(resp.status(), 400);
        assert_eq!(
            body_json(resp),
            json!({"success": false, "error": "Validation failed",
                   "details": [{"field": "email", "message": "Invalid email address"}]})
        );
    }

    #[test]
    fn rate_limited_answers_carry_retry_after() {
        let resp = ApiError::RateLimited {
            retry_after_secs: 42,
        }
        .into_response();
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "42");
    }
}
