//! Which `Host` the local server answers. It listens on loopback only, but a web page can still
//! reach it by DNS rebinding: its own host name made to resolve to 127.0.0.1, so the browser
//! sends that name as `Host` and treats the answers as same-origin, seed logins included. Only
//! loopback names (and those in `ALLOWED_HOSTS`) are served; a rebinding page never sends them.

/// Loopback names, always allowed, on any port.
const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The host of an authority (`host`, `host:port`, `[v6]`, `[v6]:port`), lower-cased; `None` when
/// it is malformed (an empty host, a non-numeric port).
pub fn host_of(authority: &str) -> Option<String> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let end = rest.find(']')?;
            (&authority[..end + 2], &rest[end + 1..])
        }
        None => authority.split_at(authority.find(':').unwrap_or(authority.len())),
    };
    let port_ok = match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
    };
    (!host.is_empty() && port_ok).then(|| host.to_ascii_lowercase())
}

/// Whether `authority` names this server: a loopback name or one of `extra` (lower-case host
/// names), with any port. The port is not checked: a rebinding page's host name is its own,
/// whatever the port, and a forwarded port (a container, an SSH tunnel) should still work.
pub fn allowed(authority: &str, extra: &[String]) -> bool {
    host_of(authority)
        .is_some_and(|host| LOOPBACK.contains(&host.as_str()) || extra.contains(&host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_pass_with_any_port_and_others_do_not() {
        let extra = vec!["api.example.com".to_string()];
        for ok in [
            "localhost",
            "localhost:3000",
            "LOCALHOST:3000",
            "127.0.0.1:8080",
            "127.0.0.1",
            "[::1]:3000",
            "[::1]",
            "api.example.com",
            "API.example.com:443",
        ] {
            assert!(allowed(ok, &extra), "{ok}");
        }
        for bad in [
            "",
            "evil.example:3000",
            "localhost.evil.example",
            "localhost.:3000",
            "127.0.0.1.nip.io:3000",
            "127.0.0.2:3000",
            "[::2]:3000",
            "localhost:",
            "localhost:3000x",
            "localhost:3000:1",
            "[::1",
            "[::1]x",
            ":3000",
            "example.com",
            "sub.api.example.com",
        ] {
            assert!(!allowed(bad, &extra), "{bad}");
        }
    }
}
