//! Reading what a request carries besides its body: query parameters, the source address, and
//! whether a write comes from an origin we trust.

use std::net::IpAddr;

use http::{Extensions, HeaderMap, Method, Uri, header};
use lambda_http::request::RequestContext;

use crate::config::HttpConfig;
use crate::error::ApiError;

/// A query parameter (its first value), or `None` when absent or empty.
pub fn query(uri: &Uri, name: &str) -> Option<String> {
    form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .filter(|v| !v.is_empty())
}

/// The peer address of a request the local server accepted (API Gateway's is in its context).
#[derive(Debug, Clone, Copy)]
pub struct SourceIp(pub IpAddr);

/// The caller's address as API Gateway saw it, or the local server's peer address.
pub fn source_ip(extensions: &Extensions) -> String {
    if let Some(SourceIp(ip)) = extensions.get::<SourceIp>() {
        return ip.to_string();
    }
    match extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    }
    .unwrap_or_else(|| "unknown".to_string())
}

/// Refuses a write whose `Origin` is neither ours nor a configured front end: with cookies as
/// credentials, this is the CSRF defence that does not depend on the browser's SameSite rules.
/// Requests without `Origin` (servers, curl, the voice agent backend) are not browsers' and pass.
pub fn check_origin(
    method: &Method,
    headers: &HeaderMap,
    http: &HttpConfig,
) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("").trim_end_matches('/');
    if http.allows_origin(origin) {
        return Ok(());
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let same_origin = origin.split_once("://").is_some_and(|(_, authority)| {
        host.is_some_and(|host| !host.is_empty() && authority.eq_ignore_ascii_case(host))
    });
    if same_origin {
        return Ok(());
    }
    Err(ApiError::Forbidden("Origin not allowed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: Method, headers: &[(&str, &str)]) -> (Method, HeaderMap) {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        (method, map)
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
    fn query_parameters_are_decoded_and_the_first_one_counts() {
        let uri: Uri = "/x?status=PENDING&note=a%20b&status=DONE&empty="
            .parse()
            .unwrap();
        assert_eq!(query(&uri, "status").as_deref(), Some("PENDING"));
        assert_eq!(query(&uri, "note").as_deref(), Some("a b"));
        assert_eq!(query(&uri, "empty"), None);
        assert_eq!(query(&uri, "missing"), None);
    }

    #[test]
    fn foreign_origins_cannot_write() {
        let cfg = http_cfg(&["https://app.example.com", "http://localhost:*"]);
        let ok = [
            req(Method::POST, &[]),
            req(Method::POST, &[("origin", "https://app.example.com")]),
            req(
                Method::POST,
                &[
                    ("origin", "http://api.local:3000"),
                    ("host", "api.local:3000"),
                ],
            ),
            req(Method::POST, &[("origin", "http://localhost:5173")]),
            req(Method::GET, &[("origin", "https://evil.example")]),
        ];
        for r in &ok {
            assert!(check_origin(&r.0, &r.1, &cfg).is_ok(), "{:?}", r.1);
        }
        let bad = [
            req(Method::POST, &[("origin", "https://evil.example")]),
            req(Method::DELETE, &[("origin", "null")]),
            req(Method::PUT, &[("origin", "https://app.example.com.evil")]),
            req(Method::POST, &[("origin", "http://localhost.evil:80")]),
            req(Method::POST, &[("origin", "http://localhost:80/x")]),
        ];
        for r in &bad {
            assert_eq!(
                check_origin(&r.0, &r.1, &cfg).unwrap_err().status(),
                403,
                "{:?}",
                r.1
            );
        }
    }
}
