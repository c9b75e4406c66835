//! Brute force: login failures are limited per account and source address together and per
//! account across addresses, login and register attempts per source address and registrations
//! per email; each answers 429 with Retry-After, and a lockout ends with its window.

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

/// Waits for the next window when fewer than `margin` seconds are left in this one, so that a
/// test's attempts all fall in one window without waiting for a fresh one every time.
async fn clear_of_window_end(app: &TestApp, seconds: f64, margin: f64) {
    let now: f64 = app
        .sql()
        .await
        .query_one("SELECT extract(epoch FROM clock_timestamp())::float8", &[])
        .await
        .unwrap()
        .get(0);
    let left = seconds - now.rem_euclid(seconds);
    if left < margin {
        tokio::time::sleep(std::time::Duration::from_secs_f64(left + 0.05)).await;
    }
}

fn login<'a>(
    app: &'a TestApp,
    email: &'a str,
    password: &'a str,
    from: IpAddr,
) -> impl std::future::Future<Output = crate::support::TestResponse> + 'a {
    app.post("/api/auth/login")
        .source_ip(from)
        .json(json!({"email": email, "password": password}))
        .send()
}

/// How many of `statuses` are each of 200, 401 and 429.
fn tally(statuses: &[u16]) -> (usize, usize, usize) {
    let n = |s: u16| statuses.iter().filter(|&&x| x == s).count();
    (n(200), n(401), n(429))
}

#[tokio::test]
async fn failures_from_one_address_lock_that_address_out_until_the_window_ends() {
    let app = TestApp::builder()
        .env("LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", "3")
        .env("AUTH_RATE_WINDOW_SECONDS", "2")
        .spawn()
        .await;
    app.register("victim@example.com", "password123").await;
    let attempt = |password: &'static str| login(&app, "victim@example.com", password, ip(1));
    at_window_start(&app, 2.0).await;
    for _ in 0..3 {
        attempt("wrong-password").await.expect(401);
    }
    let locked = attempt("wrong-password").await;
    locked.expect(429);
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // Even the right password waits: the attacker must not learn it during the lockout.
    attempt("password123").await.expect(429);
    // A window later, that address gets in.
    tokio::time::sleep(std::time::Duration::from_secs(retry + 1)).await;
    attempt("password123").await.expect(200);
}

#[tokio::test]
async fn an_attacker_cannot_lock_the_owner_out() {
    // The defaults: 10 failures per account and address, 100 per account.
    let app = TestApp::spawn().await;
    app.register("owner@example.com", "password123").await;
    clear_of_window_end(&app, 900.0, 30.0).await;
    let mut attacker = Vec::new();
    for _ in 0..15 {
        attacker.push(
            login(&app, "owner@example.com", "guess", ip(66))
                .await
                .status,
        );
    }
    assert_eq!(tally(&attacker), (0, 10, 5), "attacker: {attacker:?}");
    // The owner, from their own address, during the attack.
    let owner = login(&app, "owner@example.com", "password123", ip(7)).await;
    println!(
        "attacker: 10 x 401 then 5 x 429; the owner from another address: {}",
        owner.status
    );
    owner.expect(200);
    // Still locked for the attacker's address, even with the right password.
    login(&app, "owner@example.com", "password123", ip(66))
        .await
        .expect(429);
}

#[tokio::test]
async fn guesses_spread_over_addresses_meet_the_account_ceiling() {
    // The defaults again: 100 failures per account in all, 10 from any one address.
    let app = TestApp::spawn().await;
    app.register("target@example.com", "password123").await;
    clear_of_window_end(&app, 900.0, 60.0).await;
    // 25 addresses, 4 guesses each: all under their own limit, together at the ceiling.
    let mut statuses = Vec::new();
    for i in 0..100u8 {
        statuses.push(
            login(&app, "target@example.com", "guess", ip(i / 4))
                .await
                .status,
        );
    }
    assert_eq!(tally(&statuses), (0, 100, 0));
    // A fresh address finds the account locked, even with the right password.
    let locked = login(&app, "target@example.com", "guess", ip(200)).await;
    locked.expect(429);
    assert!(locked.header("retry-after").is_some());
    login(&app, "target@example.com", "password123", ip(201))
        .await
        .expect(429);
    // Other accounts are not affected, from the same address either.
    app.register("other@example.com", "password123").await;
    login(&app, "other@example.com", "password123", ip(200))
        .await
        .expect(200);
}

#[tokio::test]
async fn simultaneous_wrong_logins_get_exactly_the_limit_evaluated() {
    // The defaults: 10 failures per account and address.
    let app = TestApp::spawn().await;
    app.register("user@example.com", "password123").await;
    clear_of_window_end(&app, 900.0, 30.0).await;
    let attempts = (0..50).map(|_| login(&app, "user@example.com", "wrong-password", ip(9)));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    let (ok, unauthorized, limited) = tally(&statuses);
    println!("50 simultaneous wrong logins: {unauthorized} x 401, {limited} x 429, {ok} x 200");
    assert_eq!((ok, unauthorized, limited), (0, 10, 40));
}

#[tokio::test]
async fn a_correct_login_gives_its_slot_back() {
    let app = TestApp::builder()
        .env("LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", "3")
        .env("LOGIN_FAILURES_PER_ACCOUNT", "3")
        .spawn()
        .await;
    app.register("often@example.com", "password123").await;
    clear_of_window_end(&app, 900.0, 30.0).await;
    let attempt = |password: &'static str| login(&app, "often@example.com", password, ip(5));
    for _ in 0..2 {
        attempt("typo").await.expect(401);
    }
    // Logging in often never locks the owner out: only failures are kept.
    for _ in 0..5 {
        attempt("password123").await.expect(200);
    }
    attempt("typo").await.expect(401);
    attempt("typo").await.expect(429);
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
