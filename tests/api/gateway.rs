//! What API Gateway and the local server answer around the functions: unknown routes, methods
//! a route does not serve, foreign origins, and body limits.

use serde_json::json;

use tower::ServiceExt;

use crate::support::TestApp;
use crate::support::http::read;

/// The answer of the function whose router serves `path`, else of the `$default` function.
async fn deployed(
    app: &TestApp,
    method: http::Method,
    path: &str,
) -> (http::response::Parts, Vec<u8>) {
    for (_, routes) in functions::FUNCTIONS {
        let req = http::Request::builder()
            .method(method.clone())
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap();
        let router = common::lambda::app(routes(), app.state.clone());
        let (parts, body) = read(router.oneshot(req).await.unwrap_or_else(|e| match e {})).await;
        if parts.status != http::StatusCode::NOT_FOUND {
            return (parts, body);
        }
    }
    read(functions::not_found()).await
}

#[tokio::test]
async fn unknown_routes_are_404_in_the_envelope() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/api",
        "/api/nothing",
        "/api/bookings/1/extra",
        "/api/bookings/",
    ] {
        let resp = app.get(path).send().await;
        assert_eq!(resp.status, 404, "{path}");
        assert_eq!(resp.error(), "Route not found");
    }
}

#[tokio::test]
async fn methods_a_route_does_not_serve_are_405_with_allow() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    for (method, path, allow) in [
        (http::Method::GET, "/api/auth/login", "POST"),
        (http::Method::DELETE, "/api/services", "GET, POST"),
        (http::Method::PATCH, "/api/bookings", "GET, POST"),
        (
            http::Method::POST,
            "/api/users/00000000-0000-4000-8000-000000000002",
            "GET, PUT",
        ),
    ] {
        let resp = app.request(method.clone(), path).as_(&user).send().await;
        assert_eq!(resp.status, 405, "{method} {path}");
        assert_eq!(resp.header("allow"), Some(allow), "{method} {path}");
    }
}

/// What API Gateway answers as deployed: each function's path is an `ANY` route to it, so the
/// function's own router answers the methods it does not serve, and every other path goes to
/// the `$default` route's function. Its answers must be the local server's, status, `Allow`
/// and body alike.
#[tokio::test]
async fn the_default_route_answers_as_the_local_server_does() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (http::Method::GET, "/"),
        (http::Method::GET, "/api"),
        (http::Method::POST, "/api/nothing"),
        (http::Method::GET, "/api/bookings/1/extra"),
        (http::Method::GET, "/api/auth/login"),
        (http::Method::DELETE, "/api/services"),
        (http::Method::PATCH, "/api/bookings"),
        (
            http::Method::POST,
            "/api/users/00000000-0000-4000-8000-000000000002",
        ),
    ] {
        let local = app.request(method.clone(), path).send().await;
        let default =
            crate::support::TestResponse::from(deployed(&app, method.clone(), path).await);
        assert_eq!(
            (default.status, default.header("allow"), &default.body),
            (local.status, local.header("allow"), &local.body),
            "{method} {path}: the $default function vs the local server"
        );
    }
}

#[tokio::test]
async fn writes_from_a_foreign_origin_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let body =
        json!({"serviceId": service, "scheduledAt": crate::support::future(2, 10), "duration": 30});
    let resp = app
        .post("/api/bookings")
        .as_(&user)
        .header("origin", "https://evil.example.net")
        .json(body.clone())
        .send()
        .await;
    resp.expect(403);
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 0);
    app.post("/api/bookings")
        .as_(&user)
        .header("origin", "https://app.example.com")
        .json(body)
        .send()
        .await
        .expect(201);
}

#[tokio::test]
async fn bodies_must_be_json_and_bounded() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("/api/auth/login")
        .header("content-type", "text/plain")
        .raw("email=a&password=b")
        .send()
        .await;
    resp.expect(415);
    let huge = json!({"transcript": {"text": "a".repeat(2 * 1024 * 1024)}});
    app.post("/api/conversations")
        .json(huge)
        .send()
        .await
        .expect(413);
    let resp = app
        .post("/api/auth/register")
        .header("content-type", "application/json")
        .raw("{\"email\": ")
        .send()
        .await;
    resp.expect(400);
    for body in ["[]", "42", "\"text\"", "null"] {
        let resp = app
            .post("/api/auth/register")
            .header("content-type", "application/json; charset=utf-8")
            .raw(body)
            .send()
            .await;
        assert_eq!(resp.status, 400, "body {body}: {}", resp.body);
    }
    assert_eq!(app.count("SELECT count(*) FROM users", &[]).await, 0);
}

#[tokio::test]
async fn answers_are_never_cached() {
    let app = TestApp::spawn().await;
    let resp = app.get("/api/services").send().await;
    assert_eq!(resp.header("cache-control"), Some("no-store"));
}
