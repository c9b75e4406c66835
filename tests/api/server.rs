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
