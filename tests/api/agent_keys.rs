//! Agent keys: shown once, stored as a hash, revocable at once, limited to their project and
//! to the three routes an agent uses; hostile keys of every kind are refused.

use http::Method;
use serde_json::{Value, json};

use crate::availability::next_weekday;
use crate::projects::{agent_key, project_with, week};
use crate::support::{Session, TestApp, protected_routes};

/// The owner revokes the project's newest key (the list is newest first); answers its entry
/// as listed before the revocation.
async fn revoke_newest_key(app: &TestApp, owner: &Session, project: &str) -> Value {
    let keys = app
        .get(&format!("/api/projects/{project}/keys"))
        .as_(owner)
        .send()
        .await;
    let newest = keys.data()[0].clone();
    let id = newest["id"].as_str().unwrap();
    app.delete(&format!("/api/projects/{project}/keys/{id}"))
        .as_(owner)
        .send()
        .await
        .expect(200);
    newest
}

#[tokio::test]
async fn a_key_is_shown_once_and_stored_as_a_hash() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, _) = project_with(&app, &owner, "UTC", week(&[]), 30).await;
    let path = format!("/api/projects/{project}/keys");
    let resp = app
        .post(&path)
        .as_(&owner)
        .json(json!({"name": "Phone line"}))
        .send()
        .await;
    resp.expect(201);
    let key = resp.data()["key"].as_str().unwrap();
    assert!(key.starts_with("vak_") && key.len() == 68, "{key}");
    assert_eq!(resp.data()["name"], "Phone line");
    let stored_plain = app
        .count(
            "SELECT count(*) FROM agent_keys WHERE position($1 IN encode(key_hash, 'escape')) > 0",
            &[&key],
        )
        .await;
    assert_eq!(stored_plain, 0);
    let hashed = app
        .count(
            "SELECT count(*) FROM agent_keys WHERE key_hash = sha256(convert_to($1, 'UTF8'))",
            &[&key],
        )
        .await;
    assert_eq!(hashed, 1);
    let list = app.get(&path).as_(&owner).send().await;
    list.expect(200);
    let listed = &list.data()[0];
    assert!(
        !list.body.to_string().contains(key),
        "the list never shows the key"
    );
    assert_eq!(listed["name"], "Phone line");
    assert!(listed["lastUsedAt"].is_null());
    for field in ["id", "createdAt"] {
        assert!(listed[field].is_string(), "{field}");
    }
    assert_eq!(list.data().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn only_the_owner_manages_keys() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let admin = app.admin().await;
    let (project, _) = project_with(&app, &owner, "UTC", week(&[]), 30).await;
    let path = format!("/api/projects/{project}/keys");
    for who in [&admin, &app.user().await] {
        app.post(&path)
            .as_(who)
            .json(json!({"name": "x"}))
            .send()
            .await
            .expect(403);
        app.get(&path).as_(who).send().await.expect(403);
    }
    app.post(&path)
        .json(json!({"name": "x"}))
        .send()
        .await
        .expect(401);
    app.post(&path)
        .as_(&owner)
        .json(json!({"name": ""}))
        .send()
        .await
        .expect(400);
    let missing = uuid::Uuid::new_v4();
    app.delete(&format!("{path}/{missing}"))
        .as_(&owner)
        .send()
        .await
        .expect(404);
    app.get(&format!("/api/projects/{missing}/keys"))
        .as_(&owner)
        .send()
        .await
        .expect(404);
}

#[tokio::test]
async fn revoked_foreign_truncated_and_jwt_shaped_keys_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, service) = project_with(
        &app,
        &owner,
        "UTC",
        week(&[("Monday", "09:00", "17:00")]),
        30,
    )
    .await;
    let (other, _) = project_with(&app, &owner, "UTC", week(&[]), 30).await;
    let key = agent_key(&app, &owner, &project).await;
    let foreign = agent_key(&app, &owner, &other).await;
    let monday = next_weekday(chrono::Weekday::Mon);
    let slots = format!("/api/projects/{project}/availability?serviceId={service}");
    let book = format!("/api/projects/{project}/bookings");
    let body = |hour: u32| json!({"serviceId": service, "scheduledAt": format!("{monday}T{hour:02}:00:00Z"), "customerName": "Ann Caller"});

    app.get(&slots).bearer(&key).send().await.expect(200);
    app.post(&book)
        .bearer(&key)
        .json(body(9))
        .send()
        .await
        .expect(201);
    let jwt_shaped = format!("vak_{}", owner.token);
    let hostile = [
        foreign.clone(),
        key[..key.len() - 1].to_string(),
        format!("{key}0"),
        jwt_shaped,
        "vak_".to_string(),
    ];
    for bad in &hostile {
        app.get(&slots).bearer(bad).send().await.expect(401);
        app.post(&book)
            .bearer(bad)
            .json(body(10))
            .send()
            .await
            .expect(401);
        // A key of another project is a good key where no project is named.
        if *bad != foreign {
            let resp = app
                .post("/api/conversations")
                .bearer(bad)
                .json(json!({"transcript": {}}))
                .send()
                .await;
            resp.expect(401);
        }
    }
    // Revoked: refused from the next request on.
    let revoked = revoke_newest_key(&app, &owner, &project).await;
    assert!(revoked["lastUsedAt"].is_string(), "use is recorded");
    let id = revoked["id"].as_str().unwrap();
    app.get(&slots).bearer(&key).send().await.expect(401);
    app.post(&book)
        .bearer(&key)
        .json(body(11))
        .send()
        .await
        .expect(401);
    app.delete(&format!("/api/projects/{project}/keys/{id}"))
        .as_(&owner)
        .send()
        .await
        .expect(404);
    let malformed = app
        .delete(&format!("/api/projects/{project}/keys/not-a-uuid"))
        .as_(&owner)
        .send()
        .await;
    assert_eq!(malformed.expect(400).invalid_fields(), ["keyId"]);
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM conversations", &[]).await,
        0
    );
    let saved = app
        .post("/api/conversations")
        .bearer(&foreign)
        .json(json!({"transcript": {}}))
        .send()
        .await;
    saved.expect(201);
    assert_eq!(saved.data()["projectId"], other.as_str());
}

#[tokio::test]
async fn a_key_reaches_no_other_route() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, service) = project_with(&app, &owner, "UTC", week(&[]), 30).await;
    let key = agent_key(&app, &owner, &project).await;
    let booking = app
        .booking(
            &owner,
            app.service("Walk-in", 30, true).await,
            &crate::support::future(3, 10),
            30,
        )
        .await;
    // Every protected route but the one booking route the key is for, and the public ones.
    let own_bookings = format!("/api/projects/{project}/bookings");
    let mut routes = protected_routes(&owner, &booking, &project);
    routes.retain(|(method, path)| !(method == "POST" && *path == own_bookings));
    for (method, path) in [
        (Method::GET, "/api/services"),
        (Method::POST, "/api/auth/login"),
        (Method::POST, "/api/auth/register"),
        (Method::POST, "/api/auth/logout"),
    ] {
        routes.push((method, path.to_string()));
    }
    for (method, path) in routes {
        let resp = app
            .request(method.clone(), &path)
            .bearer(&key)
            .json(json!({"name": "Key thief", "email": "thief@example.com", "password": "password123"}))
            .send()
            .await;
        assert_eq!(resp.status, 401, "{method} {path}: {}", resp.body);
    }
    // Nothing the requests asked for happened.
    assert_eq!(
        app.count(
            "SELECT count(*) FROM projects WHERE deleted_at IS NULL",
            &[]
        )
        .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM agent_keys WHERE revoked_at IS NULL",
            &[]
        )
        .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM users", &[]).await, 1);
    let _ = service;
}

#[tokio::test]
async fn a_conversation_saved_with_a_key_belongs_to_its_project() {
    let app = TestApp::builder()
        .env("CONVERSATIONS_PER_ADDRESS", "2")
        .spawn()
        .await;
    let owner = app.user().await;
    let (project, _) = project_with(&app, &owner, "UTC", week(&[]), 30).await;
    let key = agent_key(&app, &owner, &project).await;
    let resp = app
        .post("/api/conversations")
        .bearer(&key)
        .json(json!({"transcript": {"messages": [{"role": "agent", "text": "Booked you in."}]}, "summary": "Booked a cut"}))
        .send()
        .await;
    resp.expect(201);
    assert_eq!(resp.data()["projectId"], project.as_str());
    assert!(resp.data()["userId"].is_null());
    let anonymous = app
        .post("/api/conversations")
        .json(json!({"transcript": {}}))
        .send()
        .await;
    anonymous.expect(201);
    assert!(anonymous.data()["projectId"].is_null());
    // The address is now at its limit of 2; the agent's backend, posting every call from one
    // address, is not held to it, and anonymous posts still are.
    for _ in 0..3 {
        let resp = app
            .post("/api/conversations")
            .bearer(&key)
            .json(json!({"transcript": {}}))
            .send()
            .await;
        resp.expect(201);
    }
    app.post("/api/conversations")
        .json(json!({"transcript": {}}))
        .send()
        .await
        .expect(429);
}

/// A key that is not live is refused with 401 whatever the request carries, as a revoked
/// session is: malformed input does not turn the answer into a 400. A live key's malformed
/// input is the 400, and nothing is booked or saved either way.
#[tokio::test]
async fn a_revoked_or_foreign_key_is_refused_before_its_input() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, service) = project_with(&app, &owner, "UTC", week(&[]), 30).await;
    let (other, _) = project_with(&app, &owner, "UTC", week(&[]), 30).await;
    let key = agent_key(&app, &owner, &project).await;
    let foreign = agent_key(&app, &owner, &other).await;
    let revoked = agent_key(&app, &owner, &project).await;
    revoke_newest_key(&app, &owner, &project).await;
    // The newest key was revoked: the first one still works.
    let slots = format!("/api/projects/{project}/availability?serviceId={service}");
    app.get(&slots).bearer(&key).send().await.expect(200);
    app.get(&slots).bearer(&revoked).send().await.expect(401);

    let written = || {
        app.count(
            "SELECT (SELECT count(*) FROM bookings) + (SELECT count(*) FROM conversations)",
            &[],
        )
    };
    let before = written().await;
    let bad_window = format!("{slots}&from=yesterday");
    let book = format!("/api/projects/{project}/bookings");
    let bad_booking = json!({"serviceId": "not-a-uuid", "scheduledAt": 7});
    let bad_conversation = json!({"transcript": "not an object"});
    for (bad, scope) in [(&revoked, "revoked"), (&foreign, "another project's")] {
        let resp = app.get(&bad_window).bearer(bad).send().await;
        assert_eq!(
            resp.status, 401,
            "{scope} key, malformed window: {}",
            resp.body
        );
        let resp = app
            .post(&book)
            .bearer(bad)
            .json(bad_booking.clone())
            .send()
            .await;
        assert_eq!(
            resp.status, 401,
            "{scope} key, malformed booking: {}",
            resp.body
        );
    }
    // A conversation names no project: any live key is good there, a revoked one is not.
    let resp = app
        .post("/api/conversations")
        .bearer(&revoked)
        .json(bad_conversation.clone())
        .send()
        .await;
    assert_eq!(
        resp.status, 401,
        "revoked key, malformed conversation: {}",
        resp.body
    );
    for good in [&key, &foreign] {
        let resp = app
            .post("/api/conversations")
            .bearer(good)
            .json(bad_conversation.clone())
            .send()
            .await;
        assert_eq!(resp.invalid_fields(), ["transcript"], "{}", resp.body);
    }
    let resp = app.get(&bad_window).bearer(&key).send().await;
    assert_eq!(resp.invalid_fields(), ["from"], "{}", resp.body);
    let resp = app.post(&book).bearer(&key).json(bad_booking).send().await;
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert_eq!(written().await, before, "nothing was written");
}
