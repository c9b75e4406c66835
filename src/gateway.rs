//! What API Gateway does in front of the functions, done in-process: match the route, run the
//! authorizer on protected routes and pass its verdict on, and hand the function the same
//! payload-2.0 event API Gateway would, read by lambda_http's own deserializer.

use std::net::IpAddr;

use base64::Engine;
use common::AppState;
use functions::{Access, Function};
use http::{HeaderMap, Method, header};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// What arrived on the wire, before any routing.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub method: Method,
    /// Path and query, as in the request line (`/api/bookings?status=PENDING`).
    pub uri: http::Uri,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub source_ip: IpAddr,
}

/// Headers as API Gateway passes them: lower-case names, repeated values joined by commas,
/// cookies moved out into their own array.
fn event_headers(headers: &HeaderMap) -> (Map<String, Value>, Vec<Value>) {
    let mut out: Map<String, Value> = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in headers {
        let Ok(value) = value.to_str() else { continue };
        if name == header::COOKIE {
            cookies.extend(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(|c| Value::String(c.to_string())),
            );
            continue;
        }
        match out.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(value);
            }
            _ => {
                out.insert(name.as_str().to_string(), Value::String(value.to_string()));
            }
        }
    }
    (out, cookies)
}

fn query_parameters(query: &str) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for (k, v) in url_decoded_pairs(query) {
        match out.get_mut(&k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

fn url_decoded_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The `requestContext` API Gateway would send for this request.
fn request_context(incoming: &Incoming, route_key: &str) -> Value {
    let now = chrono::Utc::now();
    json!({
        "accountId": "local",
        "apiId": "local",
        "domainName": incoming.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost"),
        "domainPrefix": "local",
        "http": {
            "method": incoming.method.as_str(),
            "path": incoming.uri.path(),
            "protocol": "HTTP/1.1",
            "sourceIp": incoming.source_ip.to_string(),
            "userAgent": incoming.headers.get(header::USER_AGENT).and_then(|h| h.to_str().ok()).unwrap_or(""),
        },
        "requestId": Uuid::new_v4().to_string(),
        "routeKey": route_key,
        "stage": "$default",
        "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": now.timestamp_millis(),
    })
}

/// The payload-2.0 event for `function`, optionally with the authorizer's context.
pub fn http_event(
    incoming: &Incoming,
    function: Function,
    id: Option<&str>,
    authorizer: Option<Map<String, Value>>,
) -> Value {
    let route_key = format!("{} {}", incoming.method, function.path());
    let (headers, cookies) = event_headers(&incoming.headers);
    let query = incoming.uri.query().unwrap_or("");
    let mut context = request_context(incoming, &route_key);
    if let Some(fields) = authorizer {
        context["authorizer"] = json!({ "lambda": fields });
    }
    let (body, base64) = match std::str::from_utf8(&incoming.body) {
        _ if incoming.body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::String(text.to_string()), false),
        Err(_) => (
            Value::String(base64::engine::general_purpose::STANDARD.encode(&incoming.body)),
            true,
        ),
    };
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": incoming.uri.path(),
        "rawQueryString": query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": base64,
    });
    if !cookies.is_empty() {
        event["cookies"] = Value::Array(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query_parameters(query));
    }
    if let Some(id) = id {
        event["pathParameters"] = json!({ "id": id });
    }
    if !body.is_null() {
        event["body"] = body;
    }
    event
}

/// The authorizer's payload-2.0 request event for this request.
pub fn authorizer_event(incoming: &Incoming, function: Function) -> Value {
    let route_key = format!("{} {}", incoming.method, function.path());
    let (headers, cookies) = event_headers(&incoming.headers);
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": format!("arn:aws:execute-api:local:local:local/$default/{}{}", incoming.method, function.path()),
        "identitySource": [],
        "routeKey": route_key,
        "rawPath": incoming.uri.path(),
        "rawQueryString": incoming.uri.query().unwrap_or(""),
        "cookies": cookies,
        "headers": headers,
        "requestContext": request_context(incoming, &route_key),
    })
}

/// The gateway's own answer when the authorizer denies a request (as API Gateway answers it).
fn gateway_forbidden() -> Response<Body> {
    common::response::failure(http::StatusCode::FORBIDDEN, "Forbidden", None)
}

/// Turns an event into the request a function sees, exactly as the Lambda runtime would.
pub fn into_request(event: Value) -> Result<Request, serde_json::Error> {
    let lambda: LambdaRequest = serde_json::from_value(event)?;
    Ok(lambda.into())
}

/// Routes one request to its function, with the authorizer in front where API Gateway has it.
pub async fn dispatch(state: &AppState, incoming: Incoming) -> Response<Body> {
    let Some((function, id)) = Function::route(incoming.uri.path()) else {
        return common::response::route_not_found();
    };
    let authorizer = match function.access(&incoming.method) {
        Access::Public => None,
        Access::Protected => {
            let answer = functions::authorizer::authorize(
                &authorizer_event(&incoming, function),
                &state.keys,
            );
            if answer["isAuthorized"] != Value::Bool(true) {
                return gateway_forbidden();
            }
            answer["context"].as_object().cloned()
        }
    };
    let event = http_event(&incoming, function, id, authorizer);
    match into_request(event) {
        Ok(req) => function.handle(state, req).await,
        Err(err) => common::ApiError::internal(err).into_response(),
    }
}
