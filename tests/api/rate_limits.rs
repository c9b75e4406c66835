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

/// On `app`'s database, whether `spelling` finds the account registered as `email`.
async fn finds(app: &TestApp, spelling: &str, email: &str) -> bool {
    app.sql()
        .await
        .query_one("SELECT lower($1) = lower($2)", &[&spelling, &email])
        .await
        .unwrap()
        .get(0)
}

/// Spellings of victim@gmail.com an attacker may send: `İ` (U+0130) is `i` to glibc's
/// `lower()` but `i̇` (i and a combining dot) to Rust's `to_lowercase` and to ICU.
const SPELLINGS: [&str; 4] = [
    "victim@gmail.com",
    "victim@gmaİl.com",
    "VICTIM@GMAİL.COM",
    "Victim@GMAIL.com",
];

/// One normalisation for the lookup and the counter: on UTF-8 databases whose `lower()` folds
/// non-ASCII letters, every spelling that finds an account counts on that account's counter,
/// so no spelling gives an attacker a fresh one.
#[tokio::test]
async fn every_spelling_that_finds_an_account_counts_on_its_counter() {
    let mut databases = 0;
    for locale in crate::support::UTF8_LOCALES {
        let Some(app) = TestApp::builder()
            .env("LOGIN_FAILURES_PER_ACCOUNT", "3")
            .env("AUTH_RATE_WINDOW_SECONDS", "900")
            .spawn_with_locale(locale)
            .await
        else {
            continue;
        };
        databases += 1;
        let folds: bool = app
            .sql()
            .await
            .query_one("SELECT lower('İ') <> 'İ'", &[])
            .await
            .unwrap()
            .get(0);
        assert!(folds, "{locale}: lower() leaves non-ASCII letters alone");
        app.register("victim@gmail.com", "password123").await;
        let mut finding = Vec::new();
        for spelling in SPELLINGS {
            if finds(&app, spelling, "victim@gmail.com").await {
                finding.push(spelling);
            }
        }
        eprintln!("{locale}: spellings that find the account: {finding:?}");
        let login = |email: &'static str, password: &'static str| {
            app.post("/api/auth/login")
                .json(json!({"email": email, "password": password}))
                .send()
        };
        // Every finding spelling logs in (the lookup), and each failure counts once.
        for spelling in &finding {
            login(spelling, "password123").await.expect(200);
        }
        for spelling in finding.iter().cycle().take(3) {
            login(spelling, "wrong-password").await.expect(401);
        }
        // Locked under every spelling that finds it, even with the right password.
        for spelling in &finding {
            let resp = login(spelling, "password123").await;
            assert_eq!(
                resp.status, 429,
                "{locale}: {spelling} got a counter of its own: {}",
                resp.body
            );
        }
    }
    assert!(
        databases > 0,
        "this PostgreSQL offers none of {:?}",
        crate::support::UTF8_LOCALES
    );
}

/// The same for registrations: every spelling of a taken email counts on one counter.
#[tokio::test]
async fn registrations_count_on_one_counter_for_every_spelling() {
    let mut databases = 0;
    for locale in crate::support::UTF8_LOCALES {
        let Some(app) = TestApp::builder()
            .env("REGISTRATIONS_PER_EMAIL", "2")
            .spawn_with_locale(locale)
            .await
        else {
            continue;
        };
        databases += 1;
        app.register("victim@gmail.com", "password123").await;
        let mut statuses = Vec::new();
        for spelling in SPELLINGS.iter().skip(1) {
            if !finds(&app, spelling, "victim@gmail.com").await {
                continue;
            }
            let resp = app
                .post("/api/auth/register")
                .json(json!({"email": spelling, "password": "password123"}))
                .send()
                .await;
            statuses.push(resp.status);
        }
        // The first registration and one more attempt fill the counter; the rest are 429.
        let expected: Vec<u16> = (0..statuses.len())
            .map(|i| if i == 0 { 409 } else { 429 })
            .collect();
        assert_eq!(statuses, expected, "{locale}");
    }
    assert!(databases > 0);
}
