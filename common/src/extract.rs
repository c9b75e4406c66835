//! What a handler takes from a request: its caller, its address, and its input (path id, query,
//! JSON body), each refused with the contract's 4xx before the handler runs.

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use bytes::Bytes;
use http::Uri;
use http::request::Parts;
use http_body_util::BodyExt;
use uuid::Uuid;

use crate::auth::{Caller, Identity};
use crate::body::{self, JsonBody};
use crate::error::ApiError;
use crate::state::AppState;

/// A protected route's caller: 401 without credentials that verify.
impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Identity::of_request(&parts.extensions, &parts.headers, &state.keys).required()
    }
}

/// A public route's caller, if any: an unusable token counts as none.
impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        Ok(Identity::of_request(&parts.extensions, &parts.headers, &state.keys).optional())
    }
}

/// The caller's address, as API Gateway or the local server saw it.
pub struct ClientAddress(pub String);

impl<S: Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Self(crate::request::source_ip(&parts.extensions)))
    }
}

/// One piece of a request's input, read without I/O.
pub trait Input: Sized {
    fn read(parts: &Parts, body: &[u8], state: &AppState) -> Result<Self, ApiError>;
}

impl Input for () {
    fn read(_: &Parts, _: &[u8], _: &AppState) -> Result<Self, ApiError> {
        Ok(())
    }
}

/// Both pieces; the first refusal wins.
impl<A: Input, B: Input> Input for (A, B) {
    fn read(parts: &Parts, body: &[u8], state: &AppState) -> Result<Self, ApiError> {
        Ok((A::read(parts, body, state)?, B::read(parts, body, state)?))
    }
}

/// The `{id}` of a `/api/<resource>/{id}` route: the router matched it as the last segment.
#[derive(Debug, Clone, Copy)]
pub struct Id(pub Uuid);

impl Input for Id {
    fn read(parts: &Parts, _: &[u8], _: &AppState) -> Result<Self, ApiError> {
        let raw = parts.uri.path().rsplit('/').next().unwrap_or_default();
        Uuid::parse_str(raw)
            .map(Id)
            .map_err(|_| ApiError::validation("id", "Invalid id: expected a UUID"))
    }
}

/// The JSON body, checked as [`body::json`] does, within the API's body limit.
pub struct Json<T>(pub T);

impl<T: JsonBody> Input for Json<T> {
    fn read(parts: &Parts, body: &[u8], state: &AppState) -> Result<Self, ApiError> {
        body::json(&parts.headers, body, state.config.http.max_body_bytes).map(Json)
    }
}

/// A public route's JSON body.
impl<T: JsonBody + Send> FromRequest<AppState> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let body = collect(body).await?;
        <Self as Input>::read(&parts, &body, state)
    }
}

/// The body as sent, whatever it is (API Gateway bounds its size, and so does the local server).
pub struct RawBody(pub Bytes);

impl<S: Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        collect(req.into_body()).await.map(RawBody)
    }
}

async fn collect(body: axum::body::Body) -> Result<Bytes, ApiError> {
    Ok(body
        .collect()
        .await
        .map_err(|_| ApiError::BadRequest("Request body could not be read".into()))?
        .to_bytes())
}

/// Query parameters that read themselves.
pub trait FromQuery: Sized {
    fn from_query(uri: &Uri) -> Result<Self, ApiError>;
}

pub struct Query<T>(pub T);

impl<T: FromQuery> Input for Query<T> {
    fn read(parts: &Parts, _: &[u8], _: &AppState) -> Result<Self, ApiError> {
        T::from_query(&parts.uri).map(Query)
    }
}

/// A protected route's caller with the request's input. A refused input from a caller whose
/// session is gone is answered 401, so a revoked token is refused the same way whatever it
/// sends; that check costs a round trip on the refusal path only.
pub struct Authed<T>(pub Caller, pub T);

impl<T: Input + Send> FromRequest<AppState> for Authed<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let caller =
            Identity::of_request(&parts.extensions, &parts.headers, &state.keys).required()?;
        let body = collect(body).await?;
        match T::read(&parts, &body, state) {
            Ok(input) => Ok(Self(caller, input)),
            Err(refusal) => Err(crate::session::unless_gone(state, &caller, refusal).await),
        }
    }
}
