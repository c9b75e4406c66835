//! Register, login, logout, me: cookies, tokens, revocation, and the stricter login rules.

use serde_json::json;

use crate::support::{Session, TestApp, protected_routes};

fn cookie_attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .map(|p| p.trim().to_string())
        .collect()
}

#[tokio::test]
async fn register_returns_user_token_and_session_cookie() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("/api/auth/register")
        .json(json!({"email": "New@Example.com", "password": "password123", "name": "Ada", "phone": "+44 20 7946 0000"}))
        .send()
        .await;
    resp.expect(201);
    let user = &resp.data()["user"];
    assert_eq!(user["email"], "New@Example.com");
    assert_eq!(user["name"], "Ada");
    assert_eq!(user["phone"], "+44 20 7946 0000");
    assert_eq!(user["role"], "USER");
    assert!(user.get("passwordHash").is_none() && user.get("password").is_none());
    for field in ["id", "createdAt"] {
        assert!(user[field].is_string(), "{field} in {user}");
    }
    let token = resp.data()["token"].as_str().unwrap();
    let cookies = resp.set_cookies();
    assert_eq!(cookies.len(), 1);
    let attrs = cookie_attributes(&cookies[0]);
    assert_eq!(attrs[0], format!("token={token}"));
    for expected in [
        "HttpOnly",
        "Path=/",
        "Max-Age=604800",
        "SameSite=Lax",
        "Secure",
    ] {
        assert!(
            attrs.iter().any(|a| a == expected),
            "{expected} missing in {attrs:?}"
        );
    }
}

#[tokio::test]
async fn register_ignores_a_role_in_the_body() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("/api/auth/register")
        .json(json!({"email": "mallory@example.com", "password": "password123", "role": "ADMIN"}))
        .send()
        .await;
    resp.expect(201);
    assert_eq!(resp.data()["user"]["role"], "USER");
    let stored = app
        .count("SELECT count(*) FROM users WHERE role = 'ADMIN'", &[])
        .await;
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn register_rejects_a_taken_email_case_insensitively() {
    let app = TestApp::spawn().await;
    app.register("taken@example.com", "password123").await;
    let resp = app
        .post("/api/auth/register")
        .json(json!({"email": "TAKEN@example.com", "password": "password456"}))
        .send()
        .await;
    resp.expect(409);
    assert_eq!(app.count("SELECT count(*) FROM users", &[]).await, 1);
}

#[tokio::test]
async fn register_reports_each_invalid_field() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("/api/auth/register")
        .json(json!({"email": "not-an-email", "password": "short", "name": "A"}))
        .send()
        .await;
    resp.expect(400);
    assert_eq!(resp.error(), "Validation failed");
    let mut fields = resp.invalid_fields();
    fields.sort();
    assert_eq!(fields, ["email", "name", "password"]);
    assert_eq!(app.count("SELECT count(*) FROM users", &[]).await, 0);
}

#[tokio::test]
async fn register_refuses_passwords_bcrypt_would_truncate() {
    let app = TestApp::spawn().await;
    let long = "p".repeat(73);
    let resp = app
        .post("/api/auth/register")
        .json(json!({"email": "long@example.com", "password": long}))
        .send()
        .await;
    resp.expect(400);
    assert_eq!(resp.invalid_fields(), ["password"]);
    // 71 bytes is still accepted and must be the whole password, not a prefix.
    let exact = "é".repeat(35) + "x"; // 71 bytes
    app.register("exact@example.com", &exact).await;
    let prefix = &exact[..exact.len() - 1];
    app.login("exact@example.com", prefix).await.expect(401);
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_give_one_account() {
    // Above the per-email registration limit, which has its own test.
    let app = TestApp::builder()
        .env("REGISTRATIONS_PER_EMAIL", "100")
        .spawn()
        .await;
    let attempts = (0..20).map(|i| {
        app.post("/api/auth/register")
            .json(json!({"email": "race@example.com", "password": format!("password{i:03}")}))
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT count(*) FROM users", &[]).await, 1);
}

#[tokio::test]
async fn login_sets_the_cookie_and_matches_email_case_insensitively() {
    let app = TestApp::spawn().await;
    let session = app.register("case@example.com", "password123").await;
    let resp = app.login("CASE@Example.COM", "password123").await;
    resp.expect(200);
    assert_eq!(resp.data()["user"]["id"], session.user_id.to_string());
    assert!(resp.data()["user"].get("passwordHash").is_none());
    let token = resp.data()["token"].as_str().unwrap();
    assert!(resp.set_cookies()[0].starts_with(&format!("token={token};")));
}

#[tokio::test]
async fn login_failures_are_indistinguishable() {
    let app = TestApp::spawn().await;
    app.register("known@example.com", "password123").await;
    let wrong_password = app.login("known@example.com", "wrong-password").await;
    let unknown_email = app.login("nobody@example.com", "wrong-password").await;
    wrong_password.expect(401);
    unknown_email.expect(401);
    assert_eq!(wrong_password.body, unknown_email.body);
    assert_eq!(wrong_password.error(), "Invalid email or password");
    assert!(wrong_password.set_cookies().is_empty());
}

#[tokio::test]
async fn login_requires_email_and_password() {
    let app = TestApp::spawn().await;
    let resp = app.post("/api/auth/login").json(json!({})).send().await;
    resp.expect(400);
    let mut fields = resp.invalid_fields();
    fields.sort();
    assert_eq!(fields, ["email", "password"]);
}

#[tokio::test]
async fn me_returns_the_caller_by_cookie_or_bearer() {
    let app = TestApp::spawn().await;
    let session = app.user().await;
    for resp in [
        app.get("/api/auth/me").cookie(&session).send().await,
        app.get("/api/auth/me").bearer(&session.token).send().await,
    ] {
        resp.expect(200);
        let me = resp.data();
        assert_eq!(me["id"], session.user_id.to_string());
        assert_eq!(me["email"], session.email);
        for field in ["name", "phone", "role", "createdAt", "updatedAt"] {
            assert!(me.get(field).is_some(), "{field} in {me}");
        }
    }
}

#[tokio::test]
async fn me_without_a_valid_token_is_401() {
    let app = TestApp::spawn().await;
    app.get("/api/auth/me").send().await.expect(401);
    app.get("/api/auth/me")
        .header("cookie", "token=garbage")
        .send()
        .await
        .expect(401);
    app.get("/api/auth/me")
        .bearer("a.b.c")
        .send()
        .await
        .expect(401);
}

#[tokio::test]
async fn logout_revokes_the_token_on_every_protected_route() {
    let app = TestApp::spawn().await;
    let session = app.admin().await;
    let service = app.service("Haircut", 30, true).await;
    let booking = app
        .book(&session, service, crate::support::future(3, 10), 30)
        .await;
    booking.expect(201);
    let booking_id = booking.data()["id"].as_str().unwrap().to_string();

    let resp = app.post("/api/auth/logout").cookie(&session).send().await;
    resp.expect(200);
    assert!(resp.data().is_null());
    let cleared = resp.set_cookies();
    assert!(cleared[0].starts_with("token=;"), "{cleared:?}");
    assert!(cleared[0].contains("Max-Age=0"), "{cleared:?}");

    let project = uuid::Uuid::new_v4().to_string();
    for (method, path) in protected_routes(&session, &booking_id, &project) {
        for by_bearer in [false, true] {
            let req = app.request(method.clone(), &path).json(json!({}));
            let req = if by_bearer {
                req.bearer(&session.token)
            } else {
                req.cookie(&session)
            };
            let resp = req.send().await;
            assert_eq!(
                resp.status, 401,
                "{method} {path} after logout: {}",
                resp.body
            );
        }
    }
    assert_eq!(
        app.count(
            "SELECT count(*) FROM bookings WHERE status = 'PENDING'",
            &[]
        )
        .await,
        1,
        "nothing changed after logout"
    );
}

#[tokio::test]
async fn logout_without_a_token_still_clears_the_cookie() {
    let app = TestApp::spawn().await;
    let resp = app.post("/api/auth/logout").send().await;
    resp.expect(200);
    assert!(resp.set_cookies()[0].contains("Max-Age=0"));
}

#[tokio::test]
async fn logout_leaves_other_sessions_of_the_user_alone() {
    let app = TestApp::spawn().await;
    let first = app.register("two@example.com", "password123").await;
    let second = app.login("two@example.com", "password123").await;
    second.expect(200);
    let second_token = second.data()["token"].as_str().unwrap().to_string();
    app.post("/api/auth/logout")
        .cookie(&first)
        .send()
        .await
        .expect(200);
    app.get("/api/auth/me")
        .cookie(&first)
        .send()
        .await
        .expect(401);
    app.get("/api/auth/me")
        .bearer(&second_token)
        .send()
        .await
        .expect(200);
}

/// Another session of `email`, by logging in again.
async fn login(app: &TestApp, email: &str, password: &str) -> Session {
    let resp = app.login(email, password).await;
    resp.expect(200);
    Session {
        token: resp.data()["token"].as_str().unwrap().to_string(),
        user_id: resp.data()["user"]["id"].as_str().unwrap().parse().unwrap(),
        email: email.to_string(),
    }
}

async fn me(app: &TestApp, session: &Session) -> u16 {
    app.get("/api/auth/me").as_(session).send().await.status
}

#[tokio::test]
async fn logout_everywhere_ends_every_session_of_the_user() {
    let app = TestApp::spawn().await;
    let first = app.register("many@example.com", "password123").await;
    let second = login(&app, "many@example.com", "password123").await;
    let third = login(&app, "many@example.com", "password123").await;
    let stranger = app.user().await;
    // Any other body is ignored, as before: only the caller's session ends.
    for (content_type, body) in [
        ("application/json", r#"{"everywhere": false}"#),
        ("application/json", r#"{"everywhere": "true"}"#),
        ("application/json", "{not json"),
        ("text/plain", r#"{"everywhere": true}"#),
    ] {
        let session = login(&app, "many@example.com", "password123").await;
        let resp = app
            .post("/api/auth/logout")
            .as_(&session)
            .header("content-type", content_type)
            .raw(body)
            .send()
            .await;
        resp.expect(200);
        assert_eq!(me(&app, &session).await, 401, "{body}");
        assert_eq!(me(&app, &first).await, 200, "{content_type} {body}");
    }
    // A revoked token cannot end the others.
    let revoked = login(&app, "many@example.com", "password123").await;
    app.post("/api/auth/logout")
        .as_(&revoked)
        .send()
        .await
        .expect(200);
    app.post("/api/auth/logout")
        .as_(&revoked)
        .json(json!({"everywhere": true}))
        .send()
        .await
        .expect(200);
    assert_eq!(me(&app, &first).await, 200);
    let resp = app
        .post("/api/auth/logout")
        .as_(&second)
        .json(json!({"everywhere": true}))
        .send()
        .await;
    resp.expect(200);
    assert!(resp.data().is_null());
    assert!(resp.set_cookies()[0].contains("Max-Age=0"));
    for session in [&first, &second, &third] {
        assert_eq!(me(&app, session).await, 401);
    }
    assert_eq!(
        me(&app, &stranger).await,
        200,
        "another user's session stays"
    );
}

#[tokio::test]
async fn password_change_needs_the_current_password_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let caller = app.register("change@example.com", "password123").await;
    let other = login(&app, "change@example.com", "password123").await;
    let stranger = app.user().await;
    let change =
        |body: serde_json::Value| app.put("/api/auth/password").as_(&caller).json(body).send();
    let resp =
        change(json!({"currentPassword": "wrong-password", "newPassword": "new-password-1"})).await;
    resp.expect(401);
    assert_eq!(me(&app, &other).await, 200, "a refused change ends nothing");
    let resp =
        change(json!({"currentPassword": "password123", "newPassword": "new-password-1"})).await;
    resp.expect(200);
    assert!(resp.data().is_null());
    assert_eq!(me(&app, &caller).await, 200, "the caller's session stays");
    assert_eq!(me(&app, &other).await, 401, "every other session ends");
    assert_eq!(me(&app, &stranger).await, 200);
    app.login("change@example.com", "password123")
        .await
        .expect(401);
    login(&app, "change@example.com", "new-password-1").await;
    // Without a token, or with a revoked one: 401.
    app.put("/api/auth/password")
        .json(json!({"currentPassword": "new-password-1", "newPassword": "new-password-2"}))
        .send()
        .await
        .expect(401);
    app.put("/api/auth/password")
        .as_(&other)
        .json(json!({"currentPassword": "new-password-1", "newPassword": "new-password-2"}))
        .send()
        .await
        .expect(401);
}

#[tokio::test]
async fn password_change_validates_like_registration() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    for (body, fields) in [
        (json!({}), vec!["currentPassword", "newPassword"]),
        (
            json!({"currentPassword": "password123"}),
            vec!["newPassword"],
        ),
        (
            json!({"currentPassword": "password123", "newPassword": "short"}),
            vec!["newPassword"],
        ),
        (
            json!({"currentPassword": "password123", "newPassword": "é".repeat(36)}),
            vec!["newPassword"],
        ),
        (
            json!({"currentPassword": "", "newPassword": "long-enough"}),
            vec!["currentPassword"],
        ),
    ] {
        let resp = app
            .put("/api/auth/password")
            .as_(&user)
            .json(body.clone())
            .send()
            .await;
        resp.expect(400);
        assert_eq!(resp.error(), "Validation failed");
        assert_eq!(resp.invalid_fields(), fields, "{body}");
    }
    login(&app, &user.email, "password123").await;
}

/// A wrong current password is a failed login: it counts against the account, and a locked
/// account cannot be guessed at through a session either.
#[tokio::test]
async fn wrong_current_passwords_count_as_failed_logins() {
    let app = TestApp::builder()
        .env("LOGIN_FAILURES_PER_ACCOUNT", "2")
        .spawn()
        .await;
    let user = app.register("Guessed@Example.com", "password123").await;
    let change = |current: &'static str| {
        app.put("/api/auth/password")
            .as_(&user)
            .json(json!({"currentPassword": current, "newPassword": "new-password-1"}))
            .send()
    };
    change("guess-1").await.expect(401);
    change("guess-2").await.expect(401);
    let locked = change("password123").await;
    locked.expect(429);
    assert!(locked.header("retry-after").is_some());
    app.login("guessed@example.com", "password123")
        .await
        .expect(429);
}

/// Which of two concurrent requests finished first, when the second starts once the first is
/// well into its bcrypt hash.
async fn finished_first(
    app: &TestApp,
    bcrypt_request: crate::support::RequestBuilder<'_>,
) -> &'static str {
    let order = std::sync::Mutex::new(Vec::new());
    let hashing = async {
        bcrypt_request.send().await;
        order.lock().unwrap().push("bcrypt request");
    };
    let other = async {
        // Cost 12 takes a quarter of a second; 100 ms in, the hash is running.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        app.get("/api/services").send().await.expect(200);
        order.lock().unwrap().push("services");
    };
    tokio::join!(hashing, other);
    order.into_inner().unwrap()[0]
}

#[tokio::test]
async fn logins_and_registrations_give_their_connection_back_while_bcrypt_runs() {
    // One connection: held through the hash, it would keep every other request waiting.
    let app = TestApp::builder()
        .env("DB_POOL_SIZE", "1")
        .env("BCRYPT_COST", "12")
        .seeded()
        .spawn()
        .await;
    // The seed's hashes are cost 12.
    let login = app
        .post("/api/auth/login")
        .json(json!({"email": "user@example.com", "password": "password123"}));
    assert_eq!(finished_first(&app, login).await, "services");
    let register = app
        .post("/api/auth/register")
        .json(json!({"email": "slow@example.com", "password": "password123"}));
    assert_eq!(finished_first(&app, register).await, "services");
    app.login("slow@example.com", "password123")
        .await
        .expect(200);
}
