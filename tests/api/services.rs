//! `GET/POST /api/services`: the public catalogue and admin-only creation.

use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn list_shows_active_services_by_name_to_anyone() {
    let app = TestApp::builder().seeded().spawn().await;
    app.service("Archived", 30, false).await;
    let resp = app.get("/api/services").send().await;
    resp.expect(200);
    let list = resp.data().as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Consultation", "Hair Coloring", "Haircut", "Meeting"]
    );
    let haircut = &list[2];
    assert_eq!(haircut["duration"], 30);
    assert_eq!(haircut["price"], 25.0);
    assert_eq!(haircut["isActive"], true);
    for field in ["id", "description", "createdAt", "updatedAt"] {
        assert!(haircut.get(field).is_some(), "{field}");
    }
    assert!(list[3]["price"].is_null(), "Meeting has no price");
    assert_eq!(list[0]["price"], 0.0);
}

#[tokio::test]
async fn include_inactive_is_honoured_for_admins_only() {
    let app = TestApp::spawn().await;
    app.service("Active", 30, true).await;
    app.service("Archived", 30, false).await;
    let user = app.user().await;
    let admin = app.admin().await;
    let count = |resp: &crate::support::TestResponse| resp.data().as_array().unwrap().len();
    let anonymous = app.get("/api/services?includeInactive=true").send().await;
    assert_eq!(count(&anonymous), 1);
    let as_user = app
        .get("/api/services?includeInactive=true")
        .as_(&user)
        .send()
        .await;
    assert_eq!(count(&as_user), 1);
    let as_admin = app
        .get("/api/services?includeInactive=true")
        .as_(&admin)
        .send()
        .await;
    assert_eq!(count(&as_admin), 2);
    let admin_default = app.get("/api/services").as_(&admin).send().await;
    assert_eq!(count(&admin_default), 1);
    // A bad token on an optional-auth route is just an anonymous caller.
    let bad = app
        .get("/api/services?includeInactive=true")
        .bearer("x.y.z")
        .send()
        .await;
    assert_eq!(count(&bad), 1);
}

#[tokio::test]
async fn an_admin_creates_a_service() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let resp = app
        .post("/api/services")
        .as_(&admin)
        .json(json!({"name": "Beard Trim", "description": "Quick", "duration": 15, "price": 12.5}))
        .send()
        .await;
    resp.expect(201);
    let s = resp.data();
    assert_eq!(s["name"], "Beard Trim");
    assert_eq!(s["description"], "Quick");
    assert_eq!(s["duration"], 15);
    assert_eq!(s["price"], 12.5);
    assert_eq!(s["isActive"], true);
    let resp = app
        .post("/api/services")
        .as_(&admin)
        .json(json!({"name": "Hidden", "duration": 15, "isActive": false}))
        .send()
        .await;
    resp.expect(201);
    assert!(resp.data()["price"].is_null());
    assert_eq!(resp.data()["isActive"], false);
}

#[tokio::test]
async fn whole_numbers_sent_as_decimals_are_accepted() {
    // A client computing in floating point sends `45.0`; JavaScript, JSON Schema and the
    // system we replace all read it as 45.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let resp = app
        .post("/api/services")
        .as_(&admin)
        .json(json!({"name": "Long Cut", "duration": 45.0, "price": 30.0}))
        .send()
        .await;
    resp.expect(201);
    assert_eq!(resp.data()["duration"], 45);
    assert_eq!(resp.data()["price"], 30.0);
    let resp = app
        .post("/api/services")
        .as_(&admin)
        .json(json!({"name": "Odd Cut", "duration": 45.5}))
        .send()
        .await;
    resp.expect(400);
    assert_eq!(resp.body["details"][0]["field"], "duration");
    assert_eq!(
        app.count("SELECT count(*) FROM services WHERE name = 'Odd Cut'", &[])
            .await,
        0
    );
}

#[tokio::test]
async fn only_admins_create_services() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let body = json!({"name": "Sneaky", "duration": 15});
    app.post("/api/services")
        .as_(&user)
        .json(body.clone())
        .send()
        .await
        .expect(403);
    app.post("/api/services")
        .json(body)
        .send()
        .await
        .expect(401);
    assert_eq!(app.count("SELECT count(*) FROM services", &[]).await, 0);
}

#[tokio::test]
async fn create_validates_every_field() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let resp = app
        .post("/api/services")
        .as_(&admin)
        .json(json!({"name": "X", "duration": 0, "price": -1}))
        .send()
        .await;
    resp.expect(400);
    let mut fields = resp.invalid_fields();
    fields.sort();
    assert_eq!(fields, ["duration", "name", "price"]);
    for price in [json!(1.234), json!("12"), json!(1e12)] {
        let resp = app
            .post("/api/services")
            .as_(&admin)
            .json(json!({"name": "Valid", "duration": 10, "price": price}))
            .send()
            .await;
        resp.expect(400);
        assert_eq!(resp.invalid_fields(), ["price"], "price {price}");
    }
    assert_eq!(app.count("SELECT count(*) FROM services", &[]).await, 0);
}
