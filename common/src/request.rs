//! Reading what a request carries besides its body: path ids, query parameters, the source
//! address, and whether a write comes from an origin we trust.

use http::{Method, header};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use uuid::Uuid;

use crate::config::HttpConfig;
use crate::error::ApiError;

/// The `{id}` of a `/api/<resource>/{id}` route: API Gateway passes it as a path parameter;
/// under `cargo lambda watch` and in raw events it is the last path segment.
pub fn path_id(req: &Request) -> Result<Uuid, ApiError> {
    let params = req.path_parameters();
    let raw = match params.first("id") {
        Some(id) => id.to_string(),
        None => req
            .uri()
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    Uuid::parse_str(&raw).map_err(|_| ApiError::validation("id", "Invalid id: expected a UUID"))
}

/// A query parameter, or `None` when absent or empty.
pub fn query(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters()
        .first(name)
        .map(str::to_string)
        .filter(|v| !v.is_empty())
}

/// The caller's address as API Gateway saw it (or the local server's peer address).
pub fn source_ip(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    }
    .unwrap_or_else(|| "unknown".to_string())
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses a write whose `Origin` is neither ours nor a configured front end: with cookies as
/// credentials, this is the CSRF defence that does not depend on the browser's SameSite rules.
/// Requests without `Origin` (servers, curl, the voice agent backend) are not browsers' and pass.
pub fn check_origin(req: &Request, http: &HttpConfig) -> Result<(), ApiError> {
    if !is_write(req.method()) {
        return Ok(());
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("").trim_end_matches('/');
    if http.allows_origin(origin) {
        return Ok(());
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let same_origin = origin
        .split_once("://")
        .is_some_and(|(_, authority)| !host.is_empty() && authority.eq_ignore_ascii_case(host));
    if same_origin {
        return Ok(());
    }
    Err(ApiError::Forbidden("Origin not allowed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;

    fn req(method: Method, uri: &str, headers: &[(&str, &str)]) -> Request {
        let mut b = http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::Empty).unwrap()
    }

    fn http_cfg(origins: &[&str]) -> HttpConfig {
        HttpConfig {
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
            max_body_bytes: 1024,
            max_transcript_bytes: 1024,
            allowed_hosts: Vec::new(),
        }
    }

    #[test]
    fn path_id_comes_from_the_last_segment_without_path_parameters() {
        let id = Uuid::new_v4();
        let r = req(Method::GET, &format!("/api/bookings/{id}"), &[]);
        assert_eq!(path_id(&r).unwrap(), id);
        let r = req(Method::GET, "/api/bookings/not-a-uuid", &[]);
        assert_eq!(path_id(&r).unwrap_err().status(), 400);
    }

    #[test]
    fn foreign_origins_cannot_write() {
        let cfg = http_cfg(&["https://app.example.com", "http://localhost:*"]);
        let ok = [
            req(Method::POST, "/x", &[]),
            req(Method::POST, "/x", &[("origin", "https://app.example.com")]),
            req(
                Method::POST,
                "/x",
                &[
                    ("origin", "http://api.local:3000"),
                    ("host", "api.local:3000"),
                ],
            ),
            req(Method::POST, "/x", &[("origin", "http://localhost:5173")]),
            req(Method::GET, "/x", &[("origin", "https://evil.example")]),
        ];
        for r in &ok {
            assert!(check_origin(r, &cfg).is_ok(), "{:?}", r.headers());
        }
        let bad = [
            req(Method::POST, "/x", &[("origin", "https://evil.example")]),
            req(Method::DELETE, "/x", &[("origin", "null")]),
            req(
                Method::PUT,
                "/x",
                &[("origin", "https://app.example.com.evil")],
            ),
            req(
                Method::POST,
                "/x",
                &[("origin", "http://localhost.evil:80")],
            ),
            req(Method::POST, "/x", &[("origin", "http://localhost:80/x")]),
        ];
        for r in &bad {
            assert_eq!(
                check_origin(r, &cfg).unwrap_err().status(),
                403,
                "{:?}",
                r.headers()
            );
        }
    }
}
