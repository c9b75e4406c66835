//! What a handler takes from a request: its caller, its address, and its input (path id, query,
//! JSON body), each refused with the contract's 4xx before the handler runs.

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use bytes::Bytes;
use http::Uri;
use http::request::Parts;
use http_body_util::BodyExt;
use uuid::Uuid;

use crate::auth::caller::agent_refused;
use crate::auth::{Caller, Identity, Principal};
use crate::body::{self, JsonBody};
use crate::error::ApiError;
use crate::state::AppState;

/// A protected route's caller: 401 without credentials that verify.
impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Caller::from_identity(identity(parts, state))
    }
}

/// A public route's caller, if any: an unusable token counts as none; an agent key is refused
/// all the same.
impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match identity(parts, state) {
            Identity::Caller(c) => Ok(Some(c)),
            Identity::Agent(_) => Err(agent_refused()),
            _ => Ok(None),
        }
    }
}

fn identity(parts: &Parts, state: &AppState) -> Identity {
    Identity::of_request(&parts.extensions, &parts.headers, &state.keys)
}

/// A public voice-agent route's caller, if any.
impl OptionalFromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        Option::<Principal>::from_identity(identity(parts, state))
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
        path_uuid(raw, "id").map(Id)
    }
}

/// The `{keyId}` of `/api/projects/{id}/keys/{keyId}`.
#[derive(Debug, Clone, Copy)]
pub struct KeyId(pub Uuid);

impl Input for KeyId {
    fn read(parts: &Parts, _: &[u8], _: &AppState) -> Result<Self, ApiError> {
        let raw = parts.uri.path().split('/').nth(5).unwrap_or_default();
        path_uuid(raw, "keyId").map(KeyId)
    }
}

fn path_uuid(raw: &str, field: &'static str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw)
        .map_err(|_| ApiError::validation(field, format!("Invalid {field}: expected a UUID")))
}

/// The `{id}` of a `/api/projects/{id}/...` route.
#[derive(Debug, Clone, Copy)]
pub struct ProjectId(pub Uuid);

impl Input for ProjectId {
    fn read(parts: &Parts, _: &[u8], _: &AppState) -> Result<Self, ApiError> {
        let raw = parts.uri.path().split('/').nth(3).unwrap_or_default();
        path_uuid(raw, "id").map(ProjectId)
    }
}

/// The JSON body, checked as [`body::json`] does, within the API's body limit.
pub struct Json<T>(pub T);

impl<T: JsonBody> Input for Json<T> {
    fn read(parts: &Parts, body: &[u8], state: &AppState) -> Result<Self, ApiError> {
        body::json(&parts.headers, body, state.config.http.max_body_bytes).map(Json)
    }
}

/// A public route's input, read as [`Authed`] reads it, without a caller.
pub struct Public<T>(pub T);

impl<T: Input + Send> FromRequest<AppState> for Public<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        T::read(&parts, &collect(body).await?, state).map(Public)
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

/// Who a route serves: a signed-in [`Caller`], a [`Principal`] where agent keys are accepted
/// too, or on a public route an optional one.
pub trait Credential: Sized + Send + Sync {
    fn from_identity(identity: Identity) -> Result<Self, ApiError>;

    /// The answer to this caller's refused input: 401 when a user's session is gone or an
    /// agent key is not live (for the project the path names).
    fn refusal(
        &self,
        state: &AppState,
        uri: &Uri,
        refusal: ApiError,
    ) -> impl Future<Output = ApiError> + Send;
}

/// For protected routes: the caller, or the 401 the contract asks for.
impl Credential for Caller {
    fn from_identity(identity: Identity) -> Result<Self, ApiError> {
        match identity {
            Identity::Caller(c) => Ok(c),
            Identity::Anonymous => Err(ApiError::unauthenticated()),
            Identity::Invalid => Err(crate::session::gone()),
            Identity::Agent(_) => Err(agent_refused()),
        }
    }

    async fn refusal(&self, state: &AppState, _: &Uri, refusal: ApiError) -> ApiError {
        crate::session::unless_gone(state, self, refusal).await
    }
}

/// For the routes a voice agent uses: a user or an agent key, else the 401.
impl Credential for Principal {
    fn from_identity(identity: Identity) -> Result<Self, ApiError> {
        match identity {
            Identity::Agent(key) => Ok(Principal::Agent(key)),
            other => Caller::from_identity(other).map(Principal::User),
        }
    }

    async fn refusal(&self, state: &AppState, uri: &Uri, refusal: ApiError) -> ApiError {
        match self {
            Principal::User(caller) => caller.refusal(state, uri, refusal).await,
            Principal::Agent(key) => {
                crate::agent_keys::unless_refused(state, key, named_project(uri), refusal).await
            }
        }
    }
}

/// For public routes a voice agent uses: anyone, but a key that is sent must be live.
impl Credential for Option<Principal> {
    fn from_identity(identity: Identity) -> Result<Self, ApiError> {
        Ok(match identity {
            Identity::Caller(c) => Some(Principal::User(c)),
            Identity::Agent(key) => Some(Principal::Agent(key)),
            Identity::Anonymous | Identity::Invalid => None,
        })
    }

    async fn refusal(&self, state: &AppState, uri: &Uri, refusal: ApiError) -> ApiError {
        match self {
            Some(Principal::Agent(key)) => {
                crate::agent_keys::unless_refused(state, key, named_project(uri), refusal).await
            }
            // A public route serves a user whatever their session: the refusal stands.
            Some(Principal::User(_)) | None => refusal,
        }
    }
}

/// The project a `/api/projects/{id}/...` path names, when its id reads as one: the scope a
/// key is checked in. None elsewhere (a key's own project is then any).
fn named_project(uri: &Uri) -> Option<Uuid> {
    let rest = uri.path().strip_prefix("/api/projects/")?;
    rest.split('/').next()?.parse().ok()
}

/// A route's caller with the request's input. A refused input from a caller whose session is
/// gone, or with a key that is not live, is answered 401, so a revoked token or key is refused
/// the same way whatever it sends; that check costs a round trip on the refusal path only.
pub struct Authed<T, C = Caller>(pub C, pub T);

impl<T: Input + Send, C: Credential> FromRequest<AppState> for Authed<T, C> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let caller = C::from_identity(identity(&parts, state))?;
        let body = collect(body).await?;
        match T::read(&parts, &body, state) {
            Ok(input) => Ok(Self(caller, input)),
            Err(refusal) => Err(caller.refusal(state, &parts.uri, refusal).await),
        }
    }
}
