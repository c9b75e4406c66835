//! `/api/conversations`: voice-agent logs, saved by anyone, listed only by their owner.

use std::net::{IpAddr, Ipv4Addr};

use serde_json::json;

use crate::support::TestApp;

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, last))
}

#[tokio::test]
async fn an_anonymous_caller_saves_an_unlinked_conversation() {
    let app = TestApp::spawn().await;
    let transcript = json!({"turns": [{"role": "agent", "text": "Hello"}, {"role": "caller", "text": "Book me in"}]});
    let resp = app
        .post("/api/conversations")
        .json(json!({"transcript": transcript, "summary": "Wants a haircut", "metadata": {"callId": "c-1"}}))
        .send()
        .await;
    resp.expect(201);
    let c = resp.data();
    assert!(c["userId"].is_null());
    assert_eq!(c["transcript"], transcript);
    assert_eq!(c["summary"], "Wants a haircut");
    assert_eq!(c["metadata"], json!({"callId": "c-1"}));
    assert!(c["id"].is_string() && c["createdAt"].is_string());
}

#[tokio::test]
async fn a_signed_in_caller_saves_a_linked_conversation() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let resp = app
        .post("/api/conversations")
        .bearer(&user.token)
        .json(json!({"transcript": {"turns": []}}))
        .send()
        .await;
    resp.expect(201);
    assert_eq!(resp.data()["userId"], user.user_id.to_string());
    assert!(resp.data()["summary"].is_null());
}

#[tokio::test]
async fn a_revoked_token_does_not_link_a_conversation() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    app.post("/api/auth/logout")
        .as_(&user)
        .send()
        .await
        .expect(200);
    let resp = app
        .post("/api/conversations")
        .as_(&user)
        .json(json!({"transcript": {}}))
        .send()
        .await;
    // Saving stays open to anyone, but a dead session is nobody.
    resp.expect(201);
    assert!(resp.data()["userId"].is_null());
}

#[tokio::test]
async fn save_validates_its_body() {
    let app = TestApp::spawn().await;
    for (body, field) in [
        (json!({}), "transcript"),
        (json!({"transcript": "text"}), "transcript"),
        (json!({"transcript": [1, 2]}), "transcript"),
        (json!({"transcript": {}, "metadata": "x"}), "metadata"),
        (json!({"transcript": {}, "summary": 7}), "summary"),
    ] {
        let resp = app
            .post("/api/conversations")
            .json(body.clone())
            .send()
            .await;
        resp.expect(400);
        assert_eq!(resp.invalid_fields(), [field], "{body}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM conversations", &[]).await,
        0
    );
}

#[tokio::test]
async fn list_pages_through_the_callers_conversations_newest_first() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let other = app.user().await;
    for i in 0..5 {
        app.post("/api/conversations")
            .as_(&user)
            .json(json!({"transcript": {"n": i}, "summary": format!("call {i}")}))
            .send()
            .await
            .expect(201);
    }
    app.post("/api/conversations")
        .as_(&other)
        .json(json!({"transcript": {}, "summary": "not yours"}))
        .send()
        .await
        .expect(201);

    let resp = app
        .get("/api/conversations?limit=2&offset=1")
        .as_(&user)
        .send()
        .await;
    resp.expect(200);
    let page = resp.data();
    let summaries: Vec<&str> = page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries, ["call 3", "call 2"]);
    assert_eq!(
        page["pagination"],
        json!({"total": 5, "limit": 2, "offset": 1, "hasMore": true})
    );
    let first = &page["conversations"][0];
    for field in ["id", "createdAt", "metadata"] {
        assert!(first.get(field).is_some(), "{field}");
    }

    let resp = app.get("/api/conversations").as_(&user).send().await;
    assert_eq!(
        resp.data()["pagination"],
        json!({"total": 5, "limit": 50, "offset": 0, "hasMore": false})
    );
}

#[tokio::test]
async fn list_bounds_limit_and_offset() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("limit=99999999999999999999", "limit"),
    ] {
        let resp = app
            .get(&format!("/api/conversations?{query}"))
            .as_(&user)
            .send()
            .await;
        resp.expect(400);
        assert_eq!(resp.invalid_fields(), [field], "{query}");
    }
    app.get("/api/conversations?limit=100&offset=1000000")
        .as_(&user)
        .send()
        .await
        .expect(200);
    app.get("/api/conversations").send().await.expect(401);
}

#[tokio::test]
async fn the_301st_post_from_one_address_in_a_window_is_refused() {
    // The default limit, in a day-long window so that the run cannot straddle two windows.
    let app = TestApp::builder()
        .env("AUTH_RATE_WINDOW_SECONDS", "86400")
        .spawn()
        .await;
    let post = |from: u8| {
        app.post("/api/conversations")
            .source_ip(ip(from))
            .json(json!({"transcript": {"turns": []}}))
            .send()
    };
    for i in 0..300 {
        let resp = post(1).await;
        assert_eq!(resp.status, 201, "post {}: {}", i + 1, resp.body);
    }
    let refused = post(1).await;
    refused.expect(429);
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86400).contains(&retry), "Retry-After {retry}");
    // Nothing more was stored, and another address is not affected.
    assert_eq!(
        app.count("SELECT count(*) FROM conversations", &[]).await,
        300
    );
    post(2).await.expect(201);
}

#[tokio::test]
async fn posts_are_limited_per_address_signed_in_or_not() {
    let app = TestApp::builder()
        .env("CONVERSATIONS_PER_ADDRESS", "2")
        .spawn()
        .await;
    let user = app.user().await;
    let post = |from: u8| {
        app.post("/api/conversations")
            .source_ip(ip(from))
            .json(json!({"transcript": {}}))
    };
    post(1).send().await.expect(201);
    post(1).as_(&user).send().await.expect(201);
    let refused = post(1).send().await;
    refused.expect(429);
    assert!(refused.header("retry-after").is_some());
    // A token does not lift the limit: accounts cost an attacker nothing.
    post(1).as_(&user).send().await.expect(429);
    post(2).as_(&user).send().await.expect(201);
    post(3).send().await.expect(201);
    assert_eq!(
        app.count("SELECT count(*) FROM conversations", &[]).await,
        4
    );
}
