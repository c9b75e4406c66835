//! Where a token travels: the `token` cookie (browsers) or `Authorization: Bearer` (servers such
//! as the voice agent backend), and the `Set-Cookie` values that carry it.

use http::{HeaderMap, HeaderValue, header};

use crate::config::CookieConfig;

pub const COOKIE_NAME: &str = "token";

/// The request carried credentials we refuse to guess between.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("ambiguous or malformed credentials")]
pub struct AmbiguousToken;

/// The bearer token, if an `Authorization: Bearer` header is present. It wins over the cookie:
/// a caller that sets the header explicitly means that credential.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, AmbiguousToken> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AmbiguousToken);
    }
    let value = value.to_str().map_err(|_| AmbiguousToken)?.trim();
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Another scheme (e.g. Basic from a proxy) is not ours to judge: fall back to the cookie.
        return Ok(None);
    }
    match token.trim() {
        "" => Err(AmbiguousToken),
        token => Ok(Some(token)),
    }
}

/// The `token` cookie across every `Cookie` header. Several different `token` values are
/// refused rather than picking one (a sibling subdomain could have planted the other).
fn cookie(headers: &HeaderMap) -> Result<Option<&str>, AmbiguousToken> {
    let mut found: Option<&str> = None;
    for value in headers.get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';') {
            let Some((name, v)) = pair.split_once('=') else {
                continue;
            };
            if name.trim() != COOKIE_NAME {
                continue;
            }
            let v = v.trim().trim_matches('"');
            match found {
                Some(previous) if previous != v => return Err(AmbiguousToken),
                _ => found = Some(v),
            }
        }
    }
    // A cleared cookie (`token=`) is no credential at all.
    Ok(found.filter(|v| !v.is_empty()))
}

/// The token a request carries, if any.
pub fn token_from_headers(headers: &HeaderMap) -> Result<Option<&str>, AmbiguousToken> {
    match bearer(headers)? {
        Some(token) => Ok(Some(token)),
        None => cookie(headers),
    }
}

fn attributes(cfg: &CookieConfig, max_age: u64) -> String {
    let mut attrs = format!(
        "HttpOnly; Path=/; Max-Age={max_age}; SameSite={}",
        cfg.same_site.as_str()
    );
    if cfg.secure {
        attrs.push_str("; Secure");
    }
    if let Some(domain) = &cfg.domain {
        attrs.push_str("; Domain=");
        attrs.push_str(domain);
    }
    attrs
}

/// `Set-Cookie` for a freshly issued token, living as long as the token.
pub fn session_cookie(cfg: &CookieConfig, token: &str, max_age: u64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; {}",
        attributes(cfg, max_age)
    ))
    .ok()
}

/// `Set-Cookie` that makes the browser forget the token.
pub fn cleared_cookie(cfg: &CookieConfig) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}=; {}; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        attributes(cfg, 0)
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SameSite;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    #[test]
    fn cookie_token_is_found_among_others() {
        let h = headers(&[("cookie", "theme=dark; token=abc.def.ghi; lang=en")]);
        assert_eq!(token_from_headers(&h), Ok(Some("abc.def.ghi")));
    }

    #[test]
    fn bearer_wins_over_cookie() {
        let h = headers(&[
            ("cookie", "token=from-cookie"),
            ("authorization", "Bearer from-header"),
        ]);
        assert_eq!(token_from_headers(&h), Ok(Some("from-header")));
    }

    #[test]
    fn other_authorization_schemes_fall_back_to_the_cookie() {
        let h = headers(&[
            ("cookie", "token=c"),
            ("authorization", "Basic dXNlcjpwYXNz"),
        ]);
        assert_eq!(token_from_headers(&h), Ok(Some("c")));
    }

    #[test]
    fn conflicting_token_cookies_are_refused() {
        let h = headers(&[("cookie", "token=a; token=b")]);
        assert_eq!(token_from_headers(&h), Err(AmbiguousToken));
        let h = headers(&[("cookie", "token=a"), ("cookie", "token=b")]);
        assert_eq!(token_from_headers(&h), Err(AmbiguousToken));
        let h = headers(&[("cookie", "token=a; token=a")]);
        assert_eq!(token_from_headers(&h), Ok(Some("a")));
    }

    #[test]
    fn empty_credentials() {
        assert_eq!(token_from_headers(&headers(&[])), Ok(None));
        assert_eq!(
            token_from_headers(&headers(&[("cookie", "token=")])),
            Ok(None)
        );
        assert_eq!(
            token_from_headers(&headers(&[("authorization", "Bearer ")])),
            Err(AmbiguousToken)
        );
    }

    #[test]
    fn cookies_carry_the_contract_attributes() {
        let cfg = CookieConfig {
            secure: true,
            same_site: SameSite::Lax,
            domain: None,
        };
        let set = session_cookie(&cfg, "t", 604_800).unwrap();
        assert_eq!(
            set,
            "token=t; HttpOnly; Path=/; Max-Age=604800; SameSite=Lax; Secure"
        );
        let cleared = cleared_cookie(&cfg).unwrap();
        assert!(
            cleared
                .to_str()
                .unwrap()
                .starts_with("token=; HttpOnly; Path=/; Max-Age=0;")
        );
    }
}
