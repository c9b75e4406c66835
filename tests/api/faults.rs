//! Faults: the database going away and coming back, a blocked database, an exhausted pool, and
//! a write failing halfway. The API answers 503 in the envelope within a bounded time, recovers
//! without a restart, and never leaves half a write behind.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{TEST_SECRET, TestApp, TestResponse};

/// A test app on a cluster of its own, so stopping PostgreSQL hurts no other test.
async fn app_on_own_cluster() -> (TestApp, devdb::Cluster) {
    let base = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/devdb");
    let cluster = devdb::Cluster::start(devdb::ClusterOptions::new(base, "faults"))
        .await
        .expect("cluster");
    devdb::create_database(&cluster.url("postgres"), "booking")
        .await
        .unwrap();
    let url = cluster.url("booking");
    booking_api::local::migrate(&url).await.unwrap();
    booking_api::local::seed(&url).await.unwrap();
    let settings: HashMap<&str, String> = [
        ("JWT_SECRET", TEST_SECRET.to_string()),
        ("BCRYPT_COST", "4".into()),
        ("DATABASE_URL", booking_api::local::app_role_url(&url)),
        ("DB_SSLMODE", "disable".into()),
        ("DB_POOL_SIZE", "2".into()),
        // Shared connections, as the local server runs them: a frozen one must be replaced.
        ("DB_PIPELINE_DEPTH", "4".into()),
        ("DB_CONNECT_TIMEOUT_MS", "1000".into()),
        ("DB_POOL_WAIT_TIMEOUT_MS", "1000".into()),
        ("DB_STATEMENT_TIMEOUT_MS", "2000".into()),
    ]
    .into_iter()
    .collect();
    let app = TestApp::new(
        booking_api::shared::state(&|k: &str| settings.get(k).cloned()).unwrap(),
        "booking".into(),
        url,
    );
    (app, cluster)
}

async fn timed(req: crate::support::RequestBuilder<'_>) -> (TestResponse, Duration) {
    let started = Instant::now();
    let resp = req.send().await;
    (resp, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_503_and_service_recovers_without_a_restart() {
    let (app, mut cluster) = app_on_own_cluster().await;
    let login = app.login("user@example.com", "password123").await;
    login.expect(200);
    let token = login.data()["token"].as_str().unwrap().to_string();
    app.get("/api/bookings")
        .bearer(&token)
        .send()
        .await
        .expect(200);

    cluster.halt();
    let mut slowest = Duration::ZERO;
    for req in [
        app.get("/api/bookings").bearer(&token),
        app.get("/api/services"),
        app.post("/api/auth/login")
            .json(json!({"email": "user@example.com", "password": "password123"})),
        app.post("/api/conversations")
            .json(json!({"transcript": {}})),
    ] {
        let (resp, took) = timed(req).await;
        resp.expect(503);
        assert_eq!(resp.error(), "Service temporarily unavailable");
        assert_eq!(resp.header("retry-after"), Some("1"));
        slowest = slowest.max(took);
    }
    // Connect timeout 1 s (x2 for TLS and authentication) bounds each answer.
    assert!(slowest < Duration::from_secs(3), "503 took {slowest:?}");

    cluster.resume().await.unwrap();
    let resumed = Instant::now();
    let recovered = loop {
        let resp = app.get("/api/bookings").bearer(&token).send().await;
        if resp.status == 200 {
            assert_eq!(resp.data().as_array().unwrap().len(), 2);
            break resumed.elapsed();
        }
        assert_eq!(resp.status, 503, "{}", resp.body);
        assert!(
            resumed.elapsed() < Duration::from_secs(10),
            "no recovery in 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "outage: slowest 503 {slowest:?}, recovered {recovered:?} after the database was back"
    );

    // A frozen server (or a silent network) never answers, and its statement_timeout cannot
    // fire: our own reply timeout (statement timeout + 1 s) has to.
    let before_freeze = app.backends().await;
    let frozen = postgres_processes(cluster.pid());
    signal(&frozen, "STOP");
    let (resp, took) = timed(app.get("/api/bookings").bearer(&token)).await;
    signal(&frozen, "CONT");
    resp.expect(503);
    assert!(
        took < Duration::from_secs(5),
        "frozen database answered after {took:?}"
    );
    let thawed = Instant::now();
    loop {
        let resp = app.get("/api/bookings").bearer(&token).send().await;
        if resp.status == 200 {
            break;
        }
        assert!(
            thawed.elapsed() < Duration::from_secs(10),
            "no recovery after a freeze"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The frozen connection answered nothing for the whole reply timeout: it was replaced.
    loop {
        let now = app.backends().await;
        if !before_freeze.iter().any(|pid| now.contains(pid)) {
            break;
        }
        assert!(
            thawed.elapsed() < Duration::from_secs(10),
            "the frozen connection is still in use: {before_freeze:?} {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "freeze: 503 after {took:?}, recovered {:?} after thawing",
        thawed.elapsed()
    );
    cluster.stop().await;
}

/// The postmaster and its children.
fn postgres_processes(postmaster: u32) -> Vec<String> {
    let mut pids = vec![postmaster.to_string()];
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the parenthesised name: state, then the parent's pid.
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        if after_name.split_whitespace().nth(1) == Some(&postmaster.to_string()) {
            pids.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    pids
}

/// Sends the signal to each process; one that ended since it was listed (a backend closing,
/// an autovacuum worker finishing) has nothing left to signal.
fn signal(pids: &[String], name: &str) {
    for pid in pids {
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        let gone = !std::path::Path::new("/proc").join(pid).exists();
        assert!(status.success() || gone, "kill -{name} {pid}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_database_and_an_exhausted_pool_fail_cleanly_then_recover() {
    let app = TestApp::builder()
        .env("DB_POOL_SIZE", "2")
        .env("DB_POOL_WAIT_TIMEOUT_MS", "500")
        .env("DB_STATEMENT_TIMEOUT_MS", "1000")
        .spawn()
        .await;
    app.service("Haircut", 30, true).await;
    // Under load the pool queues: 30 requests through 2 connections all succeed.
    let burst = (0..30).map(|_| app.get("/api/services").send());
    for resp in futures_util::future::join_all(burst).await {
        resp.expect(200);
    }

    let mut blocker = app.sql().await;
    let tx = blocker.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE services IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = Instant::now();
    let blocked = (0..6).map(|_| app.get("/api/services").send());
    for resp in futures_util::future::join_all(blocked).await {
        // Two wait on the lock until statement_timeout; four wait for a connection.
        resp.expect(503);
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "blocked requests took {took:?}"
    );
    tx.rollback().await.unwrap();
    app.get("/api/services").send().await.expect(200);
    eprintln!("blocked database: 6 requests answered 503 in {took:?}");
}

#[tokio::test]
async fn a_write_that_fails_halfway_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    // Registration writes the user and its session in one statement; make the second half fail.
    app.sql()
        .await
        .batch_execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$;
             CREATE TRIGGER refuse BEFORE INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION refuse();",
        )
        .await
        .unwrap();
    let resp = app
        .post("/api/auth/register")
        .json(json!({"email": "half@example.com", "password": "password123"}))
        .send()
        .await;
    resp.expect(500);
    assert_eq!(resp.error(), "Internal server error");
    assert!(
        !resp.body.to_string().contains("injected"),
        "cause leaked: {}",
        resp.body
    );
    assert_eq!(app.count("SELECT count(*) FROM users", &[]).await, 0);

    app.sql()
        .await
        .batch_execute("DROP TRIGGER refuse ON sessions")
        .await
        .unwrap();
    app.register("half@example.com", "password123").await;
}
