//! The API Gateway (HTTP API, payload 2.0, simple responses) Lambda authorizer. It verifies the
//! token from the `cookies` array, a `Cookie` header or `Authorization: Bearer`, and passes its
//! verdict to the function in the request context.
//!
//! A request without a valid token is still let through, marked `authenticated: false`: HTTP
//! APIs cannot customise the body or status of an authorizer denial (it is always a bare
//! `403 {"message":"Forbidden"}`), while the contract promises the front end a `401` in our
//! envelope. The function answers that 401 from the context alone, before touching PostgreSQL.
//! Only an event that is not an API Gateway request at all is denied outright.

use common::auth::Identity;
use common::auth::JwtKeys;
use http::{HeaderMap, HeaderName, HeaderValue, header};
use serde_json::{Value, json};

/// Header names API Gateway hands us (lower-case) that may carry credentials.
const CREDENTIAL_HEADERS: [HeaderName; 2] = [header::AUTHORIZATION, header::COOKIE];

/// The headers of a request that may carry credentials, with API Gateway's `cookies` array
/// folded back in as `Cookie` headers.
pub fn credentials<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    cookies: impl IntoIterator<Item = &'a str>,
) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        let Ok(name) = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()) else {
            continue;
        };
        if !CREDENTIAL_HEADERS.contains(&name) {
            continue;
        }
        // API Gateway joins repeated headers with commas; cookies are `;`-separated anyway.
        if let Ok(value) = HeaderValue::from_str(value) {
            out.append(name, value);
        }
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            out.append(header::COOKIE, value);
        }
    }
    out
}

/// The credential-bearing headers of an authorizer event. `None` when the event does not have
/// the shape of a request.
fn credential_headers(event: &Value) -> Option<HeaderMap> {
    let event = event.as_object()?;
    let headers = event.get("headers").and_then(Value::as_object);
    if headers.is_none() && !event.contains_key("requestContext") {
        return None;
    }
    let headers = headers
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| Some((name.as_str(), value.as_str()?)));
    let cookies = event
        .get("cookies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    Some(credentials(headers, cookies))
}

/// The simple response for one authorizer event; its context says who the caller is, or why
/// nobody is.
pub fn authorize(event: &Value, keys: &JwtKeys) -> Value {
    let Some(headers) = credential_headers(event) else {
        return json!({"isAuthorized": false, "context": {}});
    };
    json!({"isAuthorized": true, "context": Identity::of_token(&headers, keys).to_context()})
}
