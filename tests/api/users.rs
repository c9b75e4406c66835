//! `/api/users/{id}`: a profile for its owner and admins, never for anyone else.

use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn get_shows_the_profile_with_counts_to_self_and_admin() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let admin = app.admin().await;
    let service = app.service("Haircut", 30, true).await;
    app.book(&user, service, crate::support::future(2, 10), 30)
        .await
        .expect(201);
    app.post("/api/conversations")
        .as_(&user)
        .json(json!({"transcript": {"turns": []}}))
        .send()
        .await
        .expect(201);
    for who in [&user, &admin] {
        let resp = app
            .get(&format!("/api/users/{}", user.user_id))
            .as_(who)
            .send()
            .await;
        resp.expect(200);
        let profile = resp.data();
        assert_eq!(profile["id"], user.user_id.to_string());
        assert_eq!(profile["email"], user.email);
        assert_eq!(
            profile["_count"],
            json!({"bookings": 1, "conversations": 1})
        );
        assert!(profile.get("passwordHash").is_none());
        for field in ["name", "phone", "role", "createdAt"] {
            assert!(profile.get(field).is_some(), "{field}");
        }
    }
}

#[tokio::test]
async fn another_user_cannot_read_or_change_a_profile() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let other = app.user().await;
    let path = format!("/api/users/{}", user.user_id);
    app.get(&path).as_(&other).send().await.expect(403);
    app.put(&path)
        .as_(&other)
        .json(json!({"name": "Hijacked"}))
        .send()
        .await
        .expect(403);
    app.get(&path).send().await.expect(401);
    let resp = app
        .get(&format!("/api/users/{}", user.user_id))
        .as_(&user)
        .send()
        .await;
    assert_ne!(resp.data()["name"], "Hijacked");
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let unknown = uuid::Uuid::new_v4();
    app.get(&format!("/api/users/{unknown}"))
        .as_(&admin)
        .send()
        .await
        .expect(404);
    app.put(&format!("/api/users/{unknown}"))
        .as_(&admin)
        .json(json!({"name": "Nobody"}))
        .send()
        .await
        .expect(404);
    app.get("/api/users/42")
        .as_(&admin)
        .send()
        .await
        .expect(400);
    // A plain user learns nothing about which ids exist.
    app.get(&format!("/api/users/{unknown}"))
        .as_(&user)
        .send()
        .await
        .expect(403);
}

#[tokio::test]
async fn put_updates_name_phone_and_email() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let resp = app
        .put(&format!("/api/users/{}", user.user_id))
        .as_(&user)
        .json(json!({"name": "Grace Hopper", "phone": "555-0100", "email": "grace@example.com", "currentPassword": "password123"}))
        .send()
        .await;
    resp.expect(200);
    let u = resp.data();
    assert_eq!(u["name"], "Grace Hopper");
    assert_eq!(u["phone"], "555-0100");
    assert_eq!(u["email"], "grace@example.com");
    assert_eq!(u["role"], "USER");
    assert!(u["updatedAt"].is_string());
    // The session survives an email change, and login takes the new address.
    app.get("/api/auth/me").as_(&user).send().await.expect(200);
    app.login("grace@example.com", "password123")
        .await
        .expect(200);
    // null clears the optional fields.
    let resp = app
        .put(&format!("/api/users/{}", user.user_id))
        .as_(&user)
        .json(json!({"phone": null}))
        .send()
        .await;
    resp.expect(200);
    assert!(resp.data()["phone"].is_null());
    assert_eq!(resp.data()["name"], "Grace Hopper");
}

#[tokio::test]
async fn put_cannot_change_the_role() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let resp = app
        .put(&format!("/api/users/{}", user.user_id))
        .as_(&user)
        .json(json!({"role": "ADMIN", "name": "Still User"}))
        .send()
        .await;
    resp.expect(200);
    assert_eq!(resp.data()["role"], "USER");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE role = 'ADMIN'", &[])
            .await,
        0
    );
}

#[tokio::test]
async fn put_refuses_a_taken_email() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let other = app.user().await;
    let resp = app
        .put(&format!("/api/users/{}", user.user_id))
        .as_(&user)
        .json(json!({"email": other.email.to_uppercase(), "currentPassword": "password123"}))
        .send()
        .await;
    resp.expect(409);
    let stored = app
        .count(
            "SELECT count(*) FROM users WHERE email = $1",
            &[&user.email],
        )
        .await;
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn put_validates_its_body() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let path = format!("/api/users/{}", user.user_id);
    for (body, field) in [
        (json!({"email": "nope"}), "email"),
        (json!({"name": "x"}), "name"),
        (json!({"phone": "call me"}), "phone"),
        (json!({"email": null}), "email"),
    ] {
        let resp = app.put(&path).as_(&user).json(body.clone()).send().await;
        resp.expect(400);
        assert_eq!(resp.invalid_fields(), [field], "{body}");
    }
}

#[tokio::test]
async fn an_admin_edits_any_profile_but_not_its_role() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let admin = app.admin().await;
    let resp = app
        .put(&format!("/api/users/{}", user.user_id))
        .as_(&admin)
        .json(json!({"name": "Renamed", "role": "ADMIN"}))
        .send()
        .await;
    resp.expect(200);
    assert_eq!(resp.data()["name"], "Renamed");
    assert_eq!(resp.data()["role"], "USER");
}

#[tokio::test]
async fn a_malformed_current_password_is_refused_even_without_an_email_change() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let path = format!("/api/users/{}", user.user_id);
    for password in [String::new(), "x".repeat(1025)] {
        let resp = app
            .put(&path)
            .as_(&user)
            .json(json!({"name": "Renamed", "currentPassword": password}))
            .send()
            .await;
        resp.expect(400);
        assert_eq!(
            resp.invalid_fields(),
            ["currentPassword"],
            "{} chars",
            password.len()
        );
    }
    let name = app
        .count("SELECT count(*) FROM users WHERE name = 'Renamed'", &[])
        .await;
    assert_eq!(name, 0, "a refused body changed the profile");
}

#[tokio::test]
async fn changing_ones_own_email_needs_the_current_password() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let path = format!("/api/users/{}", user.user_id);
    let put = |body: serde_json::Value| app.put(&path).as_(&user).json(body).send();
    let resp = put(json!({"email": "taken-over@example.com"})).await;
    resp.expect(400);
    assert_eq!(resp.error(), "Validation failed");
    assert_eq!(resp.invalid_fields(), ["currentPassword"]);
    let resp = put(json!({"email": "taken-over@example.com", "currentPassword": ""})).await;
    resp.expect(400);
    assert_eq!(resp.invalid_fields(), ["currentPassword"]);
    put(json!({"email": "taken-over@example.com", "currentPassword": "wrong-password"}))
        .await
        .expect(401);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM users WHERE email = $1",
            &[&user.email]
        )
        .await,
        1,
        "the email did not change"
    );
    // The email it already has, with other fields, is no change: no password needed.
    put(json!({"email": user.email, "name": "Same Mail"}))
        .await
        .expect(200);
    let resp = put(json!({"email": "mine@example.com", "currentPassword": "password123"})).await;
    resp.expect(200);
    assert_eq!(resp.data()["email"], "mine@example.com");
}

/// The contract asks the password of the account's owner: an administrator changes another
/// user's email without one, but their own like anybody else.
#[tokio::test]
async fn an_admin_changes_another_users_email_without_their_password() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let admin = app.admin().await;
    let resp = app
        .put(&format!("/api/users/{}", user.user_id))
        .as_(&admin)
        .json(json!({"email": "moved@example.com"}))
        .send()
        .await;
    resp.expect(200);
    assert_eq!(resp.data()["email"], "moved@example.com");
    let own = format!("/api/users/{}", admin.user_id);
    app.put(&own)
        .as_(&admin)
        .json(json!({"email": "boss@example.com"}))
        .send()
        .await
        .expect(400);
    app.put(&own)
        .as_(&admin)
        .json(json!({"email": "boss@example.com", "currentPassword": "password123"}))
        .send()
        .await
        .expect(200);
}

/// A wrong password here is a failed login too.
#[tokio::test]
async fn wrong_passwords_for_an_email_change_count_as_failed_logins() {
    let app = TestApp::builder()
        .env("LOGIN_FAILURES_PER_ACCOUNT", "1")
        .spawn()
        .await;
    let user = app.user().await;
    let path = format!("/api/users/{}", user.user_id);
    app.put(&path)
        .as_(&user)
        .json(json!({"email": "x@example.com", "currentPassword": "guess"}))
        .send()
        .await
        .expect(401);
    app.put(&path)
        .as_(&user)
        .json(json!({"email": "x@example.com", "currentPassword": "password123"}))
        .send()
        .await
        .expect(429);
    app.login(user.email, "password123").await.expect(429);
}
