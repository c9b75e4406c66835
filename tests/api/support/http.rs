//! Requests as a browser or the voice agent sends them, through the same gateway as `cargo run`.

use std::net::{IpAddr, Ipv4Addr};

use booking_api::gateway::{self, Incoming};
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use lambda_http::Body;
use serde_json::Value;

use super::{Session, TestApp, assert_envelope};

pub struct RequestBuilder<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
    source_ip: IpAddr,
}

impl<'a> RequestBuilder<'a> {
    pub(super) fn new(app: &'a TestApp, method: Method, path: &str) -> Self {
        Self {
            app,
            method,
            path: path.to_string(),
            headers: HeaderMap::new(),
            body: Vec::new(),
            source_ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
        }
    }

    /// A JSON body with its content type.
    pub fn json(self, value: Value) -> Self {
        let body = serde_json::to_vec(&value).expect("serialize body");
        self.header("content-type", "application/json").raw(body)
    }

    /// Any bytes as the body, content type left to the caller.
    pub fn raw(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("header name");
        let value = HeaderValue::from_str(value).expect("header value");
        self.headers.append(name, value);
        self
    }

    /// The session's token as the browser sends it.
    pub fn cookie(self, session: &Session) -> Self {
        let cookie = format!("token={}", session.token);
        self.header("cookie", &cookie)
    }

    /// The session's token as a server-to-server caller sends it.
    pub fn bearer(self, token: &str) -> Self {
        let value = format!("Bearer {token}");
        self.header("authorization", &value)
    }

    /// Signed in as `session`, the browser way.
    pub fn as_(self, session: &Session) -> Self {
        self.cookie(session)
    }

    pub fn source_ip(mut self, ip: IpAddr) -> Self {
        self.source_ip = ip;
        self
    }

    async fn dispatch(self) -> lambda_http::Response<Body> {
        let incoming = Incoming {
            method: self.method,
            uri: self.path.parse().expect("request path"),
            headers: self.headers,
            body: self.body,
            source_ip: self.source_ip,
        };
        gateway::dispatch(&self.app.state, incoming).await
    }

    pub async fn send(self) -> TestResponse {
        TestResponse::from(self.dispatch().await)
    }

    /// Status and body text, for bodies serde_json cannot read back (numbers beyond f64's
    /// range, which JSON allows and browsers read).
    pub async fn send_for_text(self) -> (u16, String) {
        let resp = self.dispatch().await;
        let status = resp.status().as_u16();
        let text = match resp.into_body() {
            Body::Text(t) => t,
            Body::Binary(b) => String::from_utf8(b).expect("UTF-8 body"),
            _ => String::new(),
        };
        (status, text)
    }
}

/// A response, its body already parsed and checked to be the envelope.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl From<lambda_http::Response<Body>> for TestResponse {
    fn from(resp: lambda_http::Response<Body>) -> Self {
        let status = resp.status().as_u16();
        let (parts, body) = resp.into_parts();
        let bytes: &[u8] = match &body {
            Body::Text(t) => t.as_bytes(),
            Body::Binary(b) => b,
            _ => &[],
        };
        let body: Value = serde_json::from_slice(bytes).unwrap_or_else(|e| {
            panic!(
                "status {status}: body is not JSON ({e}): {}",
                String::from_utf8_lossy(bytes)
            )
        });
        assert_eq!(
            parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "content type of {body}"
        );
        assert_envelope(status, &body);
        Self {
            status,
            headers: parts.headers,
            body,
        }
    }
}

impl TestResponse {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    /// The `field`s named in a validation failure's details.
    pub fn invalid_fields(&self) -> Vec<String> {
        self.body["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every Set-Cookie header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }
}
