//! CORS for the local server, as the template's CorsConfiguration makes API Gateway answer it:
//! credentialed requests from configured front-end origins only.

use common::config::HttpConfig;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Response};

const ALLOWED_METHODS: &str = "GET, POST, PUT, DELETE, OPTIONS";
const ALLOWED_HEADERS: &str = "content-type, authorization";
const MAX_AGE_SECS: &str = "600";
/// Answer headers a page on another origin may read beyond the CORS-safelisted ones: without
/// this, a front end cannot tell its user when a 429 or 503 may be retried.
const EXPOSED_HEADERS: &str = "retry-after";

/// The request's `Origin` when it is one the API answers with CORS headers.
pub fn allowed_origin<'a>(headers: &'a HeaderMap, http: &HttpConfig) -> Option<&'a HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    http.allows_origin(origin.to_str().ok()?).then_some(origin)
}

/// Whether this is a preflight the gateway answers itself.
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(header::ORIGIN)
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight: 204, with CORS headers only for an allowed origin.
pub fn preflight(headers: &HeaderMap, http: &HttpConfig) -> Response<Body> {
    let mut resp = Response::new(Body::Empty);
    *resp.status_mut() = StatusCode::NO_CONTENT;
    if let Some(origin) = allowed_origin(headers, http) {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE_SECS),
        );
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    resp
}

/// Adds the CORS headers an actual (non-preflight) response carries for an allowed origin.
pub fn decorate(allowed_origin: Option<HeaderValue>, resp: &mut Response<Body>) {
    if let Some(origin) = allowed_origin {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}
