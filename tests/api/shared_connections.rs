//! Requests taking turns on shared connections (`DB_PIPELINE_DEPTH` above 1, as the local
//! server runs): the depth admits that many requests per connection, answers never cross, a
//! busy connection fails its requests within the reply timeout but is kept, and requests that
//! arrive while a connection is being made wait no longer than the wait timeout.

use std::time::{Duration, Instant};

use crate::support::{TestApp, TestResponse};

/// `n` simultaneous GET /api/services while another session holds the services table locked
/// for `held`; the answers and how long they took to all arrive.
async fn behind_a_lock(app: &TestApp, n: usize, held: Duration) -> (Vec<TestResponse>, Duration) {
    app.get("/api/services").send().await.expect(200);
    let mut blocker = app.sql().await;
    let tx = blocker.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE services IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = Instant::now();
    let requests = async {
        let resps =
            futures_util::future::join_all((0..n).map(|_| app.get("/api/services").send())).await;
        (resps, started.elapsed())
    };
    let release = async {
        tokio::time::sleep(held).await;
        tx.rollback().await.unwrap();
    };
    let (answers, ()) = tokio::join!(requests, release);
    answers
}

fn count_status(resps: &[TestResponse], status: u16) -> usize {
    resps.iter().filter(|r| r.status == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_carries_as_many_requests_as_the_depth_allows() {
    let shared = TestApp::builder()
        .connections(1, 8)
        .env("DB_POOL_WAIT_TIMEOUT_MS", "100")
        .spawn()
        .await;
    shared.service("Haircut", 30, true).await;
    let (resps, _) = behind_a_lock(&shared, 8, Duration::from_millis(400)).await;
    // All eight were sent on the one connection and answered once the lock went.
    assert_eq!(count_status(&resps, 200), 8);
    assert!(
        resps
            .iter()
            .all(|r| r.data().as_array().unwrap().len() == 1)
    );
    assert_eq!(shared.backends().await.len(), 1);

    // The same with a depth of 1: one request holds the connection, the others give up
    // waiting for it after 100 ms.
    let exclusive = TestApp::builder()
        .connections(1, 1)
        .env("DB_POOL_WAIT_TIMEOUT_MS", "100")
        .spawn()
        .await;
    exclusive.service("Haircut", 30, true).await;
    let (resps, _) = behind_a_lock(&exclusive, 8, Duration::from_millis(400)).await;
    assert_eq!(count_status(&resps, 200), 1);
    assert_eq!(count_status(&resps, 503), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_spread_over_the_pool_and_every_answer_is_right() {
    let app = TestApp::builder().connections(2, 8).spawn().await;
    let user = app.user().await;
    let other = app.user().await;
    // Each request must get its own answer back, not a neighbour's from the same connection.
    let app = &app;
    let reads = (0..64).map(|i| {
        let who = if i % 2 == 0 { &user } else { &other };
        async move {
            let resp = app.get("/api/auth/me").as_(who).send().await;
            (who.email.clone(), resp)
        }
    });
    for (email, resp) in futures_util::future::join_all(reads).await {
        resp.expect(200);
        assert_eq!(resp.data()["email"], email.as_str());
    }
    // Both connections were needed: one alone was busy when the second request came.
    assert_eq!(app.backends().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_connection_fails_its_requests_in_time_and_is_kept() {
    let app = TestApp::builder()
        .connections(1, 4)
        .env("DB_POOL_WAIT_TIMEOUT_MS", "500")
        .env("DB_STATEMENT_TIMEOUT_MS", "1000")
        .spawn()
        .await;
    app.service("Haircut", 30, true).await;
    app.get("/api/services").send().await.expect(200);
    let before = app.backends().await;
    let (resps, took) = behind_a_lock(&app, 6, Duration::from_secs(4)).await;
    // Four queue on the connection: the first hits statement_timeout, the ones behind it the
    // reply timeout (statement timeout + 1 s). Two find no room and give up after 500 ms.
    assert_eq!(count_status(&resps, 503), 6);
    assert!(resps.iter().all(|r| r.header("retry-after") == Some("1")));
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // The server kept answering on that connection (the statement timeouts), so it was only
    // busy, not stuck: once the lock is gone, the same connection serves again.
    app.get("/api/services").send().await.expect(200);
    assert_eq!(app.backends().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_arriving_while_a_connection_is_made_wait_no_longer_than_the_wait_timeout() {
    // A server that accepts connections and never says a word: each attempt to connect runs
    // into the create timeout (twice the connect timeout, for the handshake).
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let app = TestApp::builder()
        .env(
            "DATABASE_URL",
            &format!("postgres://booking@127.0.0.1:{port}/booking"),
        )
        .connections(1, 8)
        .env("DB_CONNECT_TIMEOUT_MS", "500")
        .env("DB_POOL_WAIT_TIMEOUT_MS", "300")
        .spawn()
        .await;
    let started = Instant::now();
    let answers = futures_util::future::join_all((0..6).map(|_| async {
        let resp = app.get("/api/services").send().await;
        (resp, started.elapsed())
    }))
    .await;
    holder.abort();
    let took: Vec<Duration> = answers.iter().map(|(_, took)| *took).collect();
    for (resp, _) in &answers {
        assert_eq!(resp.status, 503, "{}", resp.body);
    }
    // One request makes the connection and gives up after 1 s; the five that came meanwhile
    // give up at the 300 ms wait timeout instead of each trying to connect in turn.
    let quick = took
        .iter()
        .filter(|t| **t < Duration::from_millis(800))
        .count();
    assert_eq!(quick, 5, "{took:?}");
    assert!(
        took.iter().all(|t| *t < Duration::from_millis(1800)),
        "{took:?}"
    );
}
