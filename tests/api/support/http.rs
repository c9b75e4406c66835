//! Requests as a browser or the voice agent sends them, through the same app as `cargo run`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::Response;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use serde_json::Value;
use tower::ServiceExt;

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

    /// The response with its body read whole.
    async fn dispatch(mut self) -> (http::response::Parts, Vec<u8>) {
        if !self.headers.contains_key(header::HOST) {
            self.headers
                .insert(header::HOST, HeaderValue::from_static("localhost"));
        }
        let mut req = http::Request::new(Body::from(self.body));
        *req.method_mut() = self.method;
        *req.uri_mut() = self.path.parse().expect("request path");
        *req.headers_mut() = self.headers;
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(self.source_ip, 50000)));
        let resp = self
            .app
            .router
            .clone()
            .oneshot(req)
            .await
            .unwrap_or_else(|e| match e {});
        read(resp).await
    }

    pub async fn send(self) -> TestResponse {
        TestResponse::from(self.dispatch().await)
    }

    /// Status and body text, for bodies serde_json cannot read back (numbers beyond f64's
    /// range, which JSON allows and browsers read).
    pub async fn send_for_text(self) -> (u16, String) {
        let (parts, body) = self.dispatch().await;
        (
            parts.status.as_u16(),
            String::from_utf8(body).expect("UTF-8 body"),
        )
    }
}

/// A response, its body already parsed and checked to be the envelope.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A response's head and its body read whole.
pub async fn read(resp: Response) -> (http::response::Parts, Vec<u8>) {
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("response body");
    (parts, bytes.to_vec())
}

impl From<(http::response::Parts, Vec<u8>)> for TestResponse {
    fn from((parts, bytes): (http::response::Parts, Vec<u8>)) -> Self {
        let status = parts.status.as_u16();
        let bytes: &[u8] = &bytes;
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
