//! Brute force: login and register are limited per account and per source address, answer 429
//! with Retry-After, and a lockout ends with its window.

use std::net::{IpAddr, Ipv4Addr};

use serde_json::json;

use crate::support::TestApp;

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, last))
}

/// Waits, by the database's clock, until a window of `seconds` has just begun: windows are
/// fixed, and attempts that straddle a boundary would be counted in two of them.
async fn at_window_start(app: &TestApp, seconds: f64) {
    let now: f64 = app
        .sql()
        .await
        .query_one("SELECT extract(epoch FROM clock_timestamp())::float8", &[])
        .await
        .unwrap()
        .get(0);
    let left = seconds - now.rem_euclid(seconds);
    tokio::time::sleep(std::time::Duration::from_secs_f64(left + 0.05)).await;
}

#[tokio::test]
async fn failed_logins_lock_the_account_until_the_window_ends() {
    let app = TestApp::builder()
        .env("LOGIN_FAILURES_PER_ACCOUNT", "3")
        .env("AUTH_RATE_WINDOW_SECONDS", "2")
        .spawn()
        .await;
    app.register("victim@example.com", "password123").await;
    let attempt = |password: &'static str, from: u8| {
        app.post("/api/auth/login")
            .source_ip(ip(from))
            .json(json!({"email": "victim@example.com", "password": password}))
            .send()
    };
    at_window_start(&app, 2.0).await;
    // Attempts from many addresses still count against the one account.
    for i in 0..3 {
        attempt("wrong-password", i).await.expect(401);
    }
    let locked = attempt("wrong-password", 10).await;
    locked.expect(429);
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // Even the right password waits: the attacker must not learn it during the lockout.
    attempt("password123", 11).await.expect(429);
    // A window later, the owner gets in.
    tokio::time::sleep(std::time::Duration::from_secs(retry + 1)).await;
    attempt("password123", 12).await.expect(200);
}

#[tokio::test]
async fn one_address_is_limited_across_accounts() {
    let app = TestApp::builder()
        .env("AUTH_ATTEMPTS_PER_ADDRESS", "5")
        .spawn()
        .await;
    for i in 0..5 {
        app.post("/api/auth/login")
            .source_ip(ip(1))
            .json(json!({"email": format!("guess{i}@example.com"), "password": "password123"}))
            .send()
            .await
            .expect(401);
    }
    let resp = app
        .post("/api/auth/register")
        .source_ip(ip(1))
        .json(json!({"email": "new@example.com", "password": "password123"}))
        .send()
        .await;
    resp.expect(429);
    assert!(resp.header("retry-after").is_some());
    assert_eq!(app.count("SELECT count(*) FROM users", &[]).await, 0);
    // Another address is not affected.
    app.post("/api/auth/register")
        .source_ip(ip(2))
        .json(json!({"email": "new@example.com", "password": "password123"}))
        .send()
        .await
        .expect(201);
}

#[tokio::test]
async fn registrations_of_one_email_are_limited() {
    let app = TestApp::builder()
        .env("REGISTRATIONS_PER_EMAIL", "2")
        .spawn()
        .await;
    app.register("spam@example.com", "password123").await;
    let again = |from: u8| {
        app.post("/api/auth/register")
            .source_ip(ip(from))
            .json(json!({"email": "SPAM@example.com", "password": "password123"}))
            .send()
    };
    again(1).await.expect(409);
    again(2).await.expect(429);
}
