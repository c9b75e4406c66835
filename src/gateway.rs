//! What API Gateway does in front of the functions, done in-process: match the route, run the
//! authorizer on protected routes and pass its verdict on, and hand the function the same
//! payload-2.0 event API Gateway would, turned into a request by lambda_http's own conversion.
//! The event is built typed rather than as JSON text: reading JSON events is the runtime's job,
//! and the sample events in events/ exercise it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use common::AppState;
use common::auth::JwtKeys;
use functions::{Access, Function, authorizer};
use http::{HeaderMap, HeaderValue, Method, header};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};

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
fn event_headers(headers: &HeaderMap) -> (HeaderMap, Vec<String>) {
    let mut out = HeaderMap::with_capacity(headers.keys_len());
    let mut cookies = Vec::new();
    for name in headers.keys() {
        let mut values = headers.get_all(name).iter().filter_map(|v| v.to_str().ok());
        if name == header::COOKIE {
            cookies.extend(
                values
                    .flat_map(|v| v.split(';'))
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string),
            );
            continue;
        }
        let Some(first) = values.next() else { continue };
        let joined = values.fold(first.to_string(), |mut all, v| {
            all.push(',');
            all.push_str(v);
            all
        });
        if let Ok(value) = HeaderValue::from_str(&joined) {
            out.insert(name.clone(), value);
        }
    }
    (out, cookies)
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|h| h.to_str().ok())
}

/// A request id unique within this process: API Gateway's are opaque strings, and counting
/// costs no system call (a random UUID reads the kernel's RNG on every request).
fn next_request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("local-{:012}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The `requestContext` API Gateway sends for this request, to the authorizer and then to the
/// function (one request id for both, as there).
fn request_context(incoming: &Incoming, route_key: &str) -> ApiGatewayV2httpRequestContext {
    let now = chrono::Utc::now();
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = incoming.method.clone();
    http.path = Some(incoming.uri.path().to_string());
    http.protocol = Some("HTTP/1.1".to_string());
    http.source_ip = Some(incoming.source_ip.to_string());
    http.user_agent = Some(
        header_text(&incoming.headers, header::USER_AGENT)
            .unwrap_or("")
            .to_string(),
    );
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(route_key.to_string());
    context.account_id = Some("local".to_string());
    context.stage = Some("$default".to_string());
    context.request_id = Some(next_request_id());
    context.apiid = Some("local".to_string());
    context.domain_name = Some(
        header_text(&incoming.headers, header::HOST)
            .unwrap_or("localhost")
            .to_string(),
    );
    context.domain_prefix = Some("local".to_string());
    context.time = Some(now.format("%d/%b/%Y:%H:%M:%S %z").to_string());
    context.time_epoch = now.timestamp_millis();
    context.http = http;
    context
}

/// What API Gateway knows about one request once it has matched a route.
struct Routed {
    route_key: String,
    headers: HeaderMap,
    cookies: Vec<String>,
    context: ApiGatewayV2httpRequestContext,
}

impl Routed {
    fn new(incoming: &Incoming, function: Function) -> Self {
        let route_key = format!("{} {}", incoming.method, function.path());
        let (headers, cookies) = event_headers(&incoming.headers);
        let context = request_context(incoming, &route_key);
        Self {
            route_key,
            headers,
            cookies,
            context,
        }
    }

    /// What the authorizer hands on for this request, from the headers and cookies API Gateway
    /// passes it (reading them out of the JSON event is the authorizer binary's only other step).
    fn authorizer_context(&self, keys: &JwtKeys) -> Map<String, Value> {
        let headers = self
            .headers
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
        let credentials = authorizer::credentials(headers, self.cookies.iter().map(String::as_str));
        authorizer::context_for(&credentials, keys)
    }

    /// The payload-2.0 event for the function, with the authorizer's context when it ran.
    fn http_event(
        self,
        incoming: Incoming,
        id: Option<String>,
        authorizer: Option<Map<String, Value>>,
    ) -> ApiGatewayV2httpRequest {
        let mut context = self.context;
        if let Some(fields) = authorizer {
            let mut described = ApiGatewayRequestAuthorizer::default();
            described.fields = fields.into_iter().collect();
            context.authorizer = Some(described);
        }
        let (body, base64) = match String::from_utf8(incoming.body) {
            Ok(text) if text.is_empty() => (None, false),
            Ok(text) => (Some(text), false),
            Err(err) => (
                Some(base64::engine::general_purpose::STANDARD.encode(err.as_bytes())),
                true,
            ),
        };
        let mut event = ApiGatewayV2httpRequest::default();
        event.version = Some("2.0".to_string());
        event.route_key = Some(self.route_key);
        event.raw_path = Some(incoming.uri.path().to_string());
        event.raw_query_string = Some(incoming.uri.query().unwrap_or("").to_string());
        event.cookies = (!self.cookies.is_empty()).then_some(self.cookies);
        event.headers = self.headers;
        event.path_parameters = id
            .map(|id| HashMap::from([("id".to_string(), id)]))
            .unwrap_or_default();
        event.request_context = context;
        event.body = body;
        event.is_base64_encoded = base64;
        event
    }
}

/// The request a function sees for this event, converted by lambda_http as the runtime does
/// once it has read the event's JSON.
fn into_request(event: ApiGatewayV2httpRequest) -> Request {
    LambdaRequest::ApiGatewayV2(event).into()
}

/// Routes one request to its function, with the authorizer in front where API Gateway has it.
pub async fn dispatch(state: &AppState, incoming: Incoming) -> Response<Body> {
    let Some((function, id)) = Function::route(incoming.uri.path()) else {
        return common::response::route_not_found();
    };
    let routed = Routed::new(&incoming, function);
    let authorizer = match function.access(&incoming.method) {
        Access::Public => None,
        Access::Protected => Some(routed.authorizer_context(&state.keys)),
    };
    // The id borrows from the path, and the event takes the request whole.
    let id = id.map(str::to_string);
    let event = routed.http_event(incoming, id, authorizer);
    function.handle(state, into_request(event)).await
}
