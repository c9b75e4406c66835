//! The API Gateway (HTTP API, payload 2.0, simple responses) Lambda authorizer. It verifies the
//! token from the `cookies` array, a `Cookie` header or `Authorization: Bearer`, and passes its
//! verdict to the function in the request context.
//!
//! A request without a valid token is still let through, marked `authenticated: false`: HTTP
//! APIs cannot customise the body or status of an authorizer denial (it is always a bare
//! `403 {"message":"Forbidden"}`), while the contract promises the front end a `401` in our
//! envelope. The function answers that 401 from the context alone, before touching PostgreSQL.
//! Only an event that is not an API Gateway request at all is denied outright.

use common::auth::JwtKeys;
use common::auth::caller::{Identity, anonymous_context, identify_token};
use http::{HeaderMap, HeaderName, HeaderValue, header};
use serde_json::{Map, Value, json};

/// Header names API Gateway hands us (lower-case) that may carry credentials.
const CREDENTIAL_HEADERS: [HeaderName; 2] = [header::AUTHORIZATION, header::COOKIE];

/// The credential-bearing headers of an authorizer event, with the `cookies` array folded in
/// as `Cookie` headers. `None` when the event does not have the shape of a request.
fn credential_headers(event: &Value) -> Option<HeaderMap> {
    let event = event.as_object()?;
    let mut headers = HeaderMap::new();
    if let Some(map) = event.get("headers").and_then(Value::as_object) {
        for (name, value) in map {
            let Ok(name) = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()) else {
                continue;
            };
            if !CREDENTIAL_HEADERS.contains(&name) {
                continue;
            }
            // API Gateway joins repeated headers with commas; cookies are `;`-separated anyway.
            if let Some(Ok(value)) = value.as_str().map(HeaderValue::from_str) {
                headers.append(name, value);
            }
        }
    } else if !event.contains_key("requestContext") {
        return None;
    }
    if let Some(cookies) = event.get("cookies").and_then(Value::as_array) {
        for cookie in cookies.iter().filter_map(Value::as_str) {
            if let Ok(value) = HeaderValue::from_str(cookie) {
                headers.append(header::COOKIE, value);
            }
        }
    }
    Some(headers)
}

/// The simple response for one authorizer event.
pub fn authorize(event: &Value, keys: &JwtKeys) -> Value {
    let Some(headers) = credential_headers(event) else {
        return json!({"isAuthorized": false, "context": {}});
    };
    let context: Map<String, Value> = match identify_token(&headers, keys) {
        Identity::Caller(caller) => caller.to_context(),
        Identity::Anonymous => anonymous_context("missing"),
        Identity::Invalid => anonymous_context("invalid"),
    };
    json!({"isAuthorized": true, "context": context})
}
