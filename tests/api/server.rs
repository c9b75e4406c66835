//! The local server over real HTTP/1.1 on a loopback port: CORS as API Gateway answers it,
//! the cookie round trip a browser makes, and the envelope for unknown routes.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::TestApp;

struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve(app: &TestApp) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = app.state.clone();
    tokio::spawn(booking_api::server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
    }
}

/// Sends one request and returns (status, head with lower-cased header names, body).
async fn exchange(addr: SocketAddr, request: String) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let head: Vec<String> = head
        .lines()
        .map(|line| match line.split_once(':') {
            Some((name, value)) => format!("{}:{value}", name.to_ascii_lowercase()),
            None => line.to_string(),
        })
        .collect();
    (status, head.join("\n"), body.to_string())
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut out = format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    out
}

#[tokio::test]
async fn preflight_allows_configured_origins_with_credentials() {
    let app = TestApp::spawn().await;
    let server = serve(&app).await;
    let preflight = |origin: &'static str| {
        request(
            "OPTIONS",
            "/api/bookings",
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
            ],
            "",
        )
    };
    let (status, head, _) = exchange(server.addr, preflight("https://app.example.com")).await;
    assert_eq!(status, 204);
    assert!(
        head.contains("access-control-allow-origin: https://app.example.com"),
        "{head}"
    );
    assert!(
        head.contains("access-control-allow-credentials: true"),
        "{head}"
    );
    let (status, head, _) = exchange(server.addr, preflight("https://evil.example.net")).await;
    assert_eq!(status, 204);
    assert!(!head.contains("access-control-allow-origin"), "{head}");
}

#[tokio::test]
async fn a_browser_logs_in_and_lists_its_bookings_over_http() {
    let app = TestApp::builder().seeded().spawn().await;
    let server = serve(&app).await;
    let origin = ("origin", "https://app.example.com");
    let login = request(
        "POST",
        "/api/auth/login",
        &[origin, ("content-type", "application/json")],
        r#"{"email":"user@example.com","password":"password123"}"#,
    );
    let (status, head, _) = exchange(server.addr, login).await;
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("access-control-allow-origin: https://app.example.com"));
    let cookie_line = head
        .lines()
        .find(|l| l.starts_with("set-cookie: token="))
        .expect("session cookie");
    let token = cookie_line["set-cookie: ".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (status, _, body) = exchange(
        server.addr,
        request("GET", "/api/bookings", &[origin, ("cookie", &token)], ""),
    )
    .await;
    assert_eq!(status, 200);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 2, "{body}");
}

#[tokio::test]
async fn a_front_end_on_another_origin_may_read_retry_after() {
    let app = TestApp::builder()
        .env("LOGIN_FAILURES_PER_ACCOUNT", "1")
        .spawn()
        .await;
    app.register("locked@example.com", "password123").await;
    let server = serve(&app).await;
    let attempt = || {
        request(
            "POST",
            "/api/auth/login",
            &[
                ("origin", "https://app.example.com"),
                ("content-type", "application/json"),
            ],
            r#"{"email":"locked@example.com","password":"wrong-password"}"#,
        )
    };
    // A rate-limit window may end between two attempts; three always reach a 429.
    let mut locked = None;
    for _ in 0..3 {
        let (status, head, _) = exchange(server.addr, attempt()).await;
        if status == 429 {
            locked = Some(head);
            break;
        }
        assert_eq!(status, 401, "{head}");
    }
    let head = locked.expect("a 429 within three failed logins");
    assert!(head.contains("retry-after: "), "{head}");
    assert!(
        head.contains("access-control-allow-origin: https://app.example.com"),
        "{head}"
    );
    // Without this, the page's fetch sees no Retry-After at all.
    assert!(
        head.contains("access-control-expose-headers: retry-after"),
        "{head}"
    );
}

#[tokio::test]
async fn unknown_routes_get_the_envelope() {
    let app = TestApp::spawn().await;
    let server = serve(&app).await;
    let (status, head, body) = exchange(server.addr, request("GET", "/nope", &[], "")).await;
    assert_eq!(status, 404);
    assert!(head.contains("content-type: application/json"));
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"success": false, "error": "Route not found"})
    );
}

/// A request with the given `Host` line (or none) instead of `localhost`.
fn request_to(host: Option<&str>, target: &str) -> String {
    let host = host.map(|h| format!("host: {h}\r\n")).unwrap_or_default();
    format!("GET {target} HTTP/1.1\r\n{host}connection: close\r\n\r\n")
}

#[tokio::test]
async fn only_loopback_host_names_are_served() {
    let app = TestApp::builder().seeded().spawn().await;
    let server = serve(&app).await;
    let port = server.addr.port();
    for host in [
        "localhost".to_string(),
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        // Any port: a forwarded one (a container, a tunnel) names the same server.
        "127.0.0.1:8080".to_string(),
    ] {
        let (status, _, _) = exchange(server.addr, request_to(Some(&host), "/api/services")).await;
        assert_eq!(status, 200, "{host}");
    }
    // A DNS-rebinding page sends its own name, with the seed logins.
    let rebound = format!("rebind.evil.example:{port}");
    let login = request(
        "POST",
        "/api/auth/login",
        &[("content-type", "application/json")],
        r#"{"email":"user@example.com","password":"password123"}"#,
    )
    .replace("host: localhost", &format!("host: {rebound}"));
    let (status, head, body) = exchange(server.addr, login).await;
    assert_eq!(status, 421, "{head}");
    assert!(!head.contains("set-cookie"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"success": false, "error": "Unknown host"})
    );
    for (host, target) in [
        (Some(rebound.as_str()), "/api/services"),
        (Some("localhost.evil.example"), "/api/services"),
        (Some("127.0.0.2"), "/api/services"),
        (Some("api.example.com"), "/api/services"),
        (None, "/api/services"),
        // An absolute-form target names the host; `Host` is then ignored.
        (Some("localhost"), "http://rebind.evil.example/api/services"),
    ] {
        let (status, head, _) = exchange(server.addr, request_to(host, target)).await;
        assert!(
            status == 421 || (host.is_none() && status == 400),
            "{host:?} {target}: {head}"
        );
    }
    // Preflights too: a rebinding page must not learn what the API allows.
    let preflight = request(
        "OPTIONS",
        "/api/bookings",
        &[
            ("origin", "http://rebind.evil.example"),
            ("access-control-request-method", "POST"),
        ],
        "",
    )
    .replace("host: localhost", "host: rebind.evil.example");
    assert_eq!(exchange(server.addr, preflight).await.0, 421);
}

#[tokio::test]
async fn allowed_hosts_adds_host_names_on_any_port() {
    let app = TestApp::builder()
        .env("ALLOWED_HOSTS", " api.example.com, Other.Example ")
        .spawn()
        .await;
    let server = serve(&app).await;
    for (host, expected) in [
        ("api.example.com", 200),
        ("API.example.com:8443", 200),
        ("other.example:3000", 200),
        ("localhost:3000", 200),
        ("example.com", 421),
        ("api.example.com.evil.example", 421),
    ] {
        let (status, head, _) =
            exchange(server.addr, request_to(Some(host), "/api/services")).await;
        assert_eq!(status, expected, "{host}: {head}");
    }
}

#[tokio::test]
async fn no_log_level_of_the_local_server_prints_a_secret() {
    const PASSWORD: &str = "pw-Secret-4711-local-logs";
    const OTHER_COOKIE: &str = "cookie-secret-0815-local-logs";
    const AGENT_KEY: &str = "bk_agentkey0815localsecret";
    let app = TestApp::spawn().await;
    for level in ["error", "warn", "info", "debug", "trace"] {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_booking-api"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PORT", port.to_string())
            .env("RUST_LOG", level)
            .env("DATABASE_URL", &app.database_url)
            .env("DB_SSLMODE", "disable")
            .env("JWT_SECRET", crate::support::TEST_SECRET)
            .env("BCRYPT_COST", "4")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = std::time::Instant::now();
        while TcpStream::connect(addr).await.is_err() {
            assert!(
                started.elapsed().as_secs() < 60,
                "{level}: server did not start"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let json = ("content-type", "application/json");
        let credentials =
            format!(r#"{{"email":"logs-{level}@example.com","password":"{PASSWORD}"}}"#);
        let (status, _, body) = exchange(
            addr,
            request("POST", "/api/auth/register", &[json], &credentials),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        let bearer = body["data"]["token"].as_str().unwrap().to_string();
        let (status, head, _) = exchange(
            addr,
            request("POST", "/api/auth/login", &[json], &credentials),
        )
        .await;
        assert_eq!(status, 200, "{head}");
        let cookie_token = head
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: token="))
            .and_then(|v| v.split(';').next())
            .unwrap()
            .to_string();
        let cookie = format!("token={cookie_token}; other={OTHER_COOKIE}");
        let authorization = format!("Bearer {bearer}");
        let (status, _, _) = exchange(
            addr,
            request(
                "GET",
                "/api/auth/me",
                &[("authorization", &authorization), ("cookie", &cookie)],
                "",
            ),
        )
        .await;
        assert_eq!(status, 200);
        let agent = format!("Bearer {AGENT_KEY}");
        let (status, _, _) = exchange(
            addr,
            request(
                "POST",
                "/api/conversations",
                &[json, ("authorization", &agent), ("cookie", &cookie)],
                r#"{"transcript":{}}"#,
            ),
        )
        .await;
        assert!(status < 500, "{status}");

        let mut child = child;
        child.start_kill().unwrap();
        let output = child.wait_with_output().await.unwrap();
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        // The output was captured, and at info and below it holds the request lines.
        assert!(output.contains("Booking API on"), "{level}: {output}");
        if !matches!(level, "error" | "warn") {
            assert!(output.contains("/api/auth/me"), "{level}: {output}");
        }
        let mut secrets = vec![PASSWORD, OTHER_COOKIE, AGENT_KEY];
        for token in [&bearer, &cookie_token] {
            secrets.push(token);
            secrets.push(token.rsplit('.').next().unwrap());
        }
        for secret in secrets {
            assert!(
                !output.contains(secret),
                "{level}: printed {secret:?}:\n{output}"
            );
        }
        println!("{level}: {} bytes of logs searched", output.len());
    }
}
