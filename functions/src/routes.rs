//! The route table: which function serves which path, for which methods, behind the authorizer
//! or not. The local server routes with it, and a test holds template.yaml to it.

use std::future::Future;

use common::AppState;
use http::Method;
use lambda_http::{Body, Request, Response};

use crate::{auth, bookings, conversations, services, users};

/// Whether API Gateway runs the authorizer before the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Open to everyone; the function reads a token itself when one is sent.
    Public,
    /// The authorizer runs first and passes its verdict on in the request context.
    Protected,
}

/// One Lambda function per API path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    AuthRegister,
    AuthLogin,
    AuthLogout,
    AuthMe,
    AuthPassword,
    Bookings,
    Booking,
    Services,
    User,
    Conversations,
}

use Access::{Protected, Public};

impl Function {
    pub const ALL: [Function; 10] = [
        Function::AuthRegister,
        Function::AuthLogin,
        Function::AuthLogout,
        Function::AuthMe,
        Function::AuthPassword,
        Function::Bookings,
        Function::Booking,
        Function::Services,
        Function::User,
        Function::Conversations,
    ];

    /// The cargo binary (and SAM function) that serves this path.
    pub fn binary(self) -> &'static str {
        match self {
            Function::AuthRegister => "auth-register",
            Function::AuthLogin => "auth-login",
            Function::AuthLogout => "auth-logout",
            Function::AuthMe => "auth-me",
            Function::AuthPassword => "auth-password",
            Function::Bookings => "bookings",
            Function::Booking => "booking",
            Function::Services => "services",
            Function::User => "user",
            Function::Conversations => "conversations",
        }
    }

    /// The API Gateway route path; `{id}` matches one path segment.
    pub fn path(self) -> &'static str {
        match self {
            Function::AuthRegister => "/api/auth/register",
            Function::AuthLogin => "/api/auth/login",
            Function::AuthLogout => "/api/auth/logout",
            Function::AuthMe => "/api/auth/me",
            Function::AuthPassword => "/api/auth/password",
            Function::Bookings => "/api/bookings",
            Function::Booking => "/api/bookings/{id}",
            Function::Services => "/api/services",
            Function::User => "/api/users/{id}",
            Function::Conversations => "/api/conversations",
        }
    }

    /// The methods this path serves and whether each is behind the authorizer. Any other
    /// method reaches the function unauthenticated and is answered 405.
    pub fn methods(self) -> &'static [(Method, Access)] {
        match self {
            Function::AuthRegister => &[(Method::POST, Public)],
            Function::AuthLogin => &[(Method::POST, Public)],
            Function::AuthLogout => &[(Method::POST, Public)],
            Function::AuthMe => &[(Method::GET, Protected)],
            Function::AuthPassword => &[(Method::PUT, Protected)],
            Function::Bookings => &[(Method::GET, Protected), (Method::POST, Protected)],
            Function::Booking => &[
                (Method::GET, Protected),
                (Method::PUT, Protected),
                (Method::DELETE, Protected),
            ],
            Function::Services => &[(Method::GET, Public), (Method::POST, Protected)],
            Function::User => &[(Method::GET, Protected), (Method::PUT, Protected)],
            Function::Conversations => &[(Method::GET, Protected), (Method::POST, Public)],
        }
    }

    /// Whether `method` on this path is behind the authorizer.
    pub fn access(self, method: &Method) -> Access {
        self.methods()
            .iter()
            .find(|(m, _)| m == method)
            .map_or(Public, |(_, access)| *access)
    }

    /// The function whose path matches `path`, with the `{id}` segment if the path has one.
    pub fn route(path: &str) -> Option<(Function, Option<&str>)> {
        Function::ALL.into_iter().find_map(|f| {
            let pattern = f.path();
            match pattern.strip_suffix("{id}") {
                None => (path == pattern).then_some((f, None)),
                Some(prefix) => {
                    let id = path.strip_prefix(prefix)?;
                    (!id.is_empty() && !id.contains('/')).then_some((f, Some(id)))
                }
            }
        })
    }

    /// Serves one request. Every outcome, errors and panics included, is an envelope response.
    pub async fn handle(self, state: &AppState, req: Request) -> Response<Body> {
        respond(state, req, |state, req| self.dispatch(state, req)).await
    }

    async fn dispatch(self, state: &AppState, req: Request) -> common::HandlerResult {
        match self {
            Function::AuthRegister => auth::register::handle(state, req).await,
            Function::AuthLogin => auth::login::handle(state, req).await,
            Function::AuthLogout => auth::logout::handle(state, req).await,
            Function::AuthMe => auth::me::handle(state, req).await,
            Function::AuthPassword => auth::password::handle(state, req).await,
            Function::Bookings => bookings::collection::handle(state, req).await,
            Function::Booking => bookings::item::handle(state, req).await,
            Function::Services => services::handle(state, req).await,
            Function::User => users::handle(state, req).await,
            Function::Conversations => conversations::handle(state, req).await,
        }
    }
}

/// Runs `handler` the way every function runs: the origin check first, then the handler, with
/// errors and panics turned into envelope responses. Generic, so that a function's binary holds
/// its own handler only.
pub async fn respond<'a, F, Fut>(state: &'a AppState, req: Request, handler: F) -> Response<Body>
where
    F: FnOnce(&'a AppState, Request) -> Fut,
    Fut: Future<Output = common::HandlerResult>,
{
    common::lambda::contain_panics(async move {
        let result = match common::request::check_origin(&req, &state.config.http) {
            Err(e) => Err(e),
            Ok(()) => handler(state, req).await,
        };
        result.unwrap_or_else(common::ApiError::into_response)
    })
    .await
}

/// The 405 for a method `function` does not serve.
pub fn method_not_allowed(function: Function) -> common::ApiError {
    common::ApiError::MethodNotAllowed(function.methods().iter().map(|(m, _)| m.clone()).collect())
}

/// The answer of the HTTP API's `$default` route, which API Gateway takes for every request no
/// other route matches: an unknown path is the local server's 404, and a known path with a
/// method its function does not serve (API Gateway matches method and path together) is the
/// same 405 with `Allow` that the function itself would give. Without this route API Gateway
/// would answer a bare `{"message":"Not Found"}`, outside the envelope.
pub fn unmatched(method: &Method, path: &str) -> Response<Body> {
    match Function::route(path) {
        Some((function, _)) if !function.methods().iter().any(|(m, _)| m == method) => {
            method_not_allowed(function).into_response()
        }
        Some((function, _)) => {
            // API Gateway serves this route itself; reaching here means template.yaml and the
            // route table disagree, which tests/api/template_routes.rs forbids.
            tracing::error!(%method, path, function = function.binary(), "a served route reached $default");
            common::response::route_not_found()
        }
        None => common::response::route_not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_to_their_function() {
        assert_eq!(
            Function::route("/api/bookings"),
            Some((Function::Bookings, None))
        );
        assert_eq!(
            Function::route("/api/bookings/abc"),
            Some((Function::Booking, Some("abc")))
        );
        assert_eq!(Function::route("/api/bookings/abc/x"), None);
        assert_eq!(Function::route("/api/bookings/"), None);
        assert_eq!(Function::route("/api/nope"), None);
        for f in Function::ALL {
            let sample = f.path().replace("{id}", "x");
            assert_eq!(Function::route(&sample).map(|(g, _)| g), Some(f));
        }
    }
}
