//! Hostile tokens (RFC 8725, OWASP ASVS V3): each is refused with a 401 by every protected
//! route, sent as a cookie or as a Bearer header, and the authorizer marks it unauthenticated.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::projects::{project_with, week};
use crate::support::{Session, TEST_SECRET, TestApp, protected_routes};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sign(alg: Algorithm, secret: &str, claims: &Value) -> String {
    common::auth::hmac_provider::install();
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

fn unsigned(header: Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    )
}

fn claims_of(session: &Session) -> Value {
    let token = &session.token;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap()
}

/// Every hostile variant of `session`'s token, by name.
fn hostile_tokens(session: &Session) -> Vec<(&'static str, String)> {
    let good = claims_of(session);
    let with = |changes: Value| {
        let mut c = good.clone();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let parts: Vec<&str> = session.token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(with(json!({"role": "ADMIN"})).to_string()),
        parts[2]
    );
    vec![
        (
            "alg none",
            unsigned(json!({"alg": "none", "typ": "JWT"}), &good, ""),
        ),
        ("alg None", unsigned(json!({"alg": "None"}), &good, "")),
        ("HS512", sign(Algorithm::HS512, TEST_SECRET, &good)),
        ("HS384", sign(Algorithm::HS384, TEST_SECRET, &good)),
        (
            "RS256 header",
            unsigned(json!({"alg": "RS256", "typ": "JWT"}), &good, parts[2]),
        ),
        ("tampered payload", tampered),
        (
            "wrong secret",
            sign(
                Algorithm::HS256,
                "another-secret-that-is-also-long-enough",
                &good,
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &with(json!({"exp": now() - 10, "iat": now() - 100})),
            ),
        ),
        (
            "nbf in the future",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &with(json!({"nbf": now() + 3600})),
            ),
        ),
        (
            "no exp",
            sign(Algorithm::HS256, TEST_SECRET, &with(json!({"exp": null}))),
        ),
        (
            "exp as text",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &with(json!({"exp": "never"})),
            ),
        ),
        (
            "no session id",
            sign(Algorithm::HS256, TEST_SECRET, &with(json!({"sid": null}))),
        ),
        (
            "unknown session id",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &with(json!({"sid": uuid::Uuid::new_v4()})),
            ),
        ),
        (
            "other user's id",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &with(json!({"userId": uuid::Uuid::new_v4()})),
            ),
        ),
        ("malformed base64", format!("{}.@@@.{}", parts[0], parts[2])),
        ("two segments", format!("{}.{}", parts[0], parts[1])),
        ("empty", String::new()),
        (
            "20 KB",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &with(json!({"pad": "x".repeat(20 * 1024)})),
            ),
        ),
        ("kid injection", {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("../../dev/null".into());
            common::auth::hmac_provider::install();
            jsonwebtoken::encode(&header, &good, &EncodingKey::from_secret(b"")).unwrap()
        }),
    ]
}

#[tokio::test]
async fn hostile_tokens_are_refused_everywhere() {
    let app = TestApp::spawn().await;
    let session = app.admin().await;
    let service = app.service("Haircut", 30, true).await;
    let booking = app
        .book(&session, service, crate::support::future(2, 10), 30)
        .await;
    let booking = booking.data()["id"].as_str().unwrap().to_string();
    let (project, _) = project_with(&app, &session, "UTC", week(&[]), 30).await;
    let routes = protected_routes(&session, &booking, &project);
    let mut cases = 0;
    for (name, token) in hostile_tokens(&session) {
        for (method, path) in &routes {
            let body = json!({"serviceId": service, "scheduledAt": crate::support::future(3, 10), "duration": 30, "name": "Valid Name"});
            for how in ["cookie", "bearer"] {
                let req = app.request(method.clone(), path).json(body.clone());
                let req = match how {
                    "cookie" => req.header("cookie", &format!("token={token}")),
                    _ => req.header("authorization", &format!("Bearer {token}")),
                };
                let resp = req.send().await;
                assert_eq!(
                    resp.status, 401,
                    "{name} by {how} on {method} {path}: {}",
                    resp.body
                );
                cases += 1;
            }
        }
        let event = json!({
            "version": "2.0", "type": "REQUEST", "routeKey": "GET /api/auth/me",
            "rawPath": "/api/auth/me", "headers": {"authorization": format!("Bearer {token}")},
            "requestContext": {"http": {"method": "GET", "path": "/api/auth/me"}},
        });
        let verdict = functions::authorizer::authorize(&event, &app.state.keys);
        assert_eq!(verdict["isAuthorized"], true, "{name}");
        // Properly signed tokens naming a dead session pass the authorizer, which has no
        // database; the function refuses them (asserted above).
        let signed_by_us = ["unknown session id", "other user's id"].contains(&name);
        assert_eq!(
            verdict["context"]["authenticated"], signed_by_us,
            "{name}: {verdict}"
        );
        cases += 1;
    }
    assert!(cases >= 19 * (2 * 21 + 1), "{cases} cases");
    // Nothing was written: the one booking, the catalogue's service and the project's.
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 1);
    assert_eq!(app.count("SELECT count(*) FROM services", &[]).await, 2);
    let live = "SELECT count(*) FROM projects WHERE deleted_at IS NULL";
    assert_eq!(app.count(live, &[]).await, 1);
    assert_eq!(app.count("SELECT count(*) FROM agent_keys", &[]).await, 0);
}

#[tokio::test]
async fn several_token_cookies_are_refused_unless_they_agree() {
    let app = TestApp::spawn().await;
    let a = app.user().await;
    let b = app.user().await;
    let both = format!("token={}; token={}", a.token, b.token);
    app.get("/api/auth/me")
        .header("cookie", &both)
        .send()
        .await
        .expect(401);
    let same = format!("token={}; theme=dark; token={}", a.token, a.token);
    let resp = app.get("/api/auth/me").header("cookie", &same).send().await;
    resp.expect(200);
    assert_eq!(resp.data()["id"], a.user_id.to_string());
}

#[tokio::test]
async fn bearer_wins_over_cookie() {
    let app = TestApp::spawn().await;
    let a = app.user().await;
    let b = app.user().await;
    let resp = app
        .get("/api/auth/me")
        .cookie(&a)
        .bearer(&b.token)
        .send()
        .await;
    resp.expect(200);
    assert_eq!(resp.data()["id"], b.user_id.to_string());
    // A bad Bearer is not rescued by a good cookie: the caller said who it is.
    app.get("/api/auth/me")
        .cookie(&a)
        .bearer("nonsense")
        .send()
        .await
        .expect(401);
}

#[tokio::test]
async fn a_token_of_a_deleted_user_is_refused() {
    let app = TestApp::spawn().await;
    let session = app.user().await;
    app.sql()
        .await
        .execute("DELETE FROM users WHERE id = $1", &[&session.user_id])
        .await
        .unwrap();
    for path in ["/api/auth/me", "/api/bookings", "/api/conversations"] {
        app.get(path).as_(&session).send().await.expect(401);
    }
}

#[tokio::test]
async fn the_authorizer_never_panics_on_garbage_events() {
    let app = TestApp::spawn().await;
    for event in [
        json!(null),
        json!(42),
        json!("text"),
        json!([]),
        json!({}),
        json!({"headers": 5}),
        json!({"headers": {"authorization": 5}, "cookies": "token=x"}),
        json!({"headers": {"cookie": "token=\u{0}"}, "cookies": [1, null, {}]}),
        json!({"requestContext": {}, "cookies": ["token=", "token"]}),
    ] {
        let verdict = functions::authorizer::authorize(&event, &app.state.keys);
        assert!(verdict["isAuthorized"].is_boolean(), "{event}: {verdict}");
        if verdict["isAuthorized"] == true {
            assert_eq!(verdict["context"]["authenticated"], false, "{event}");
        }
    }
}
