//! `/api/projects` and `/api/projects/{id}`: the wizard's body, the dashboard's list, who may
//! read, change and close a project, and what closing it keeps.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Session, TestApp, TestResponse};

pub const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A week with these days open (`(day, start, end)`) and the others sent closed, as the
/// wizard sends all seven.
pub fn week(open: &[(&str, &str, &str)]) -> Value {
    let days = DAYS
        .iter()
        .map(|day| match open.iter().find(|(d, ..)| d == day) {
            Some((_, start, end)) => {
                json!({"day": day, "enabled": true, "start": start, "end": end})
            }
            None => json!({"day": day, "enabled": false, "start": "09:00", "end": "17:00"}),
        });
    Value::Array(days.collect())
}

/// The setup wizard's body, exactly as the front end sends it.
pub fn wizard_body() -> Value {
    json!({
        "agentName": "Mia",
        "language": "en",
        "greeting": "Hi, this is Mia from Studio Nord.",
        "voiceId": "voice-mia",
        "businessName": "Studio Nord",
        "industry": "Hair salon",
        "phone": "+49 30 1234567",
        "website": "",
        "timeZone": "Europe/Berlin",
        "schedule": week(&[
            ("Monday", "09:00", "17:00"),
            ("Tuesday", "09:00", "17:00"),
            ("Wednesday", "09:00", "17:00"),
            ("Thursday", "09:00", "17:00"),
            ("Friday", "09:00", "17:00"),
        ]),
        "services": [
            {"name": "Cut and style", "duration": "60", "price": "45"},
            {"name": "Fringe trim", "duration": "15", "price": ""}
        ]
    })
}

/// A project with `zone`, `schedule` and one service of `minutes`: (project id, service id).
pub async fn project_with(
    app: &TestApp,
    owner: &Session,
    zone: &str,
    schedule: Value,
    minutes: i32,
) -> (String, String) {
    let mut body = wizard_body();
    body["timeZone"] = zone.into();
    body["schedule"] = schedule;
    body["services"] = json!([{"name": "Appointment", "duration": minutes}]);
    let resp = create(app, owner, body).await;
    resp.expect(201);
    let p = resp.data();
    (
        p["id"].as_str().unwrap().to_string(),
        p["services"][0]["id"].as_str().unwrap().to_string(),
    )
}

pub async fn create(app: &TestApp, owner: &Session, body: Value) -> TestResponse {
    app.post("/api/projects").as_(owner).json(body).send().await
}

/// A new agent key of the project.
pub async fn agent_key(app: &TestApp, owner: &Session, project: &str) -> String {
    let resp = app
        .post(&format!("/api/projects/{project}/keys"))
        .as_(owner)
        .json(json!({"name": "Phone line"}))
        .send()
        .await;
    resp.expect(201);
    resp.data()["key"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_wizards_body_creates_a_project_with_its_services() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let resp = create(&app, &owner, wizard_body()).await;
    resp.expect(201);
    let p = resp.data();
    assert_eq!(p["userId"], owner.user_id.to_string());
    assert_eq!(p["agentName"], "Mia");
    assert_eq!(p["businessName"], "Studio Nord");
    assert_eq!(p["timeZone"], "Europe/Berlin");
    assert!(p["website"].is_null(), "an empty website is none");
    assert_eq!(p["schedule"], wizard_body()["schedule"]);
    for field in [
        "id",
        "createdAt",
        "updatedAt",
        "voiceId",
        "industry",
        "phone",
        "greeting",
    ] {
        assert!(p[field].is_string(), "{field}: {p}");
    }
    let services = p["services"].as_array().unwrap();
    assert_eq!(services.len(), 2);
    assert_eq!(services[0]["name"], "Cut and style");
    assert_eq!(services[0]["duration"], 60);
    assert_eq!(services[0]["price"], 45.0);
    assert_eq!(services[0]["projectId"], p["id"]);
    assert_eq!(services[0]["isActive"], true);
    assert_eq!(services[1]["duration"], 15);
    assert!(services[1]["price"].is_null(), "an empty price is none");
    let id: Uuid = p["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        app.count(
            "SELECT count(*) FROM services WHERE project_id = $1",
            &[&id]
        )
        .await,
        2
    );
}

#[tokio::test]
async fn the_dashboard_lists_the_callers_projects_newest_first() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let other = app.user().await;
    for name in ["First", "Second"] {
        let mut body = wizard_body();
        body["businessName"] = name.into();
        create(&app, &owner, body).await.expect(201);
    }
    create(&app, &other, wizard_body()).await.expect(201);
    let resp = app.get("/api/projects").as_(&owner).send().await;
    resp.expect(200);
    let list = resp.data().as_array().unwrap();
    assert_eq!(list.len(), 2, "only the caller's");
    assert_eq!(list[0]["businessName"], "Second");
    assert_eq!(list[1]["businessName"], "First");
    for field in [
        "agentName",
        "businessName",
        "language",
        "services",
        "schedule",
        "createdAt",
    ] {
        assert!(!list[0][field].is_null(), "{field}");
    }
    assert_eq!(list[0]["services"].as_array().unwrap().len(), 2);
    app.get("/api/projects").send().await.expect(401);
}

#[tokio::test]
async fn bad_project_bodies_are_refused_and_store_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("timeZone", json!("Mars/Olympus"), "timeZone"),
        ("timeZone", json!("XYZ+3"), "timeZone"),
        // An abbreviation is a fixed offset, a right/ zone counts leap seconds, and names are
        // matched exactly.
        ("timeZone", json!("CEST"), "timeZone"),
        ("timeZone", json!("right/Europe/Berlin"), "timeZone"),
        ("timeZone", json!("europe/berlin"), "timeZone"),
        (
            "schedule",
            week(&[("Monday", "17:00", "09:00")]),
            "schedule",
        ),
        (
            "schedule",
            json!([{"day": "Monday", "enabled": true, "start": "9am", "end": "5pm"}]),
            "schedule",
        ),
        (
            "schedule",
            json!([{"day": "Funday", "enabled": true}]),
            "schedule",
        ),
        ("website", json!("not a url"), "website"),
        ("agentName", json!("   "), "agentName"),
        (
            "services",
            json!([{"name": "Cut", "duration": "soon"}]),
            "services",
        ),
        (
            "services",
            json!([{"name": "Cut", "duration": 0}]),
            "services",
        ),
        (
            "services",
            json!([{"name": "Cut", "duration": 30, "price": "-5"}]),
            "services",
        ),
    ];
    for (field, value, reported) in cases {
        let mut body = wizard_body();
        body[field] = value.clone();
        let resp = create(&app, &owner, body).await;
        assert_eq!(resp.status, 400, "{field} = {value}: {}", resp.body);
        let fields = resp.invalid_fields().join(",");
        assert!(fields.contains(reported), "{field} = {value}: {fields}");
    }
    let mut body = wizard_body();
    body.as_object_mut().unwrap().remove("agentName");
    body.as_object_mut().unwrap().remove("phone");
    let resp = create(&app, &owner, body).await;
    resp.expect(400);
    assert_eq!(resp.invalid_fields(), ["agentName", "phone"]);
    assert_eq!(app.count("SELECT count(*) FROM projects", &[]).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM services", &[]).await, 0);
}

#[tokio::test]
async fn owners_and_admins_manage_a_project_and_nobody_else_does() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let stranger = app.user().await;
    let admin = app.admin().await;
    let (project, _) = project_with(&app, &owner, "UTC", week(&[]), 30).await;
    let path = format!("/api/projects/{project}");
    app.get(&path).as_(&owner).send().await.expect(200);
    app.get(&path).as_(&admin).send().await.expect(200);
    app.get(&path).as_(&stranger).send().await.expect(403);
    app.get(&path).send().await.expect(401);
    let change = json!({"agentName": "Max"});
    app.put(&path)
        .as_(&stranger)
        .json(change.clone())
        .send()
        .await
        .expect(403);
    app.delete(&path).as_(&stranger).send().await.expect(403);
    let missing = format!("/api/projects/{}", Uuid::new_v4());
    app.get(&missing).as_(&owner).send().await.expect(404);
    app.put(&missing)
        .as_(&owner)
        .json(change.clone())
        .send()
        .await
        .expect(404);
    app.get("/api/projects/not-a-uuid")
        .as_(&owner)
        .send()
        .await
        .expect(400);
    let resp = app.put(&path).as_(&admin).json(change).send().await;
    resp.expect(200);
    assert_eq!(resp.data()["agentName"], "Max");
    assert_eq!(
        resp.data()["businessName"],
        "Studio Nord",
        "other fields kept"
    );
    assert!(resp.data()["greeting"].is_string());
    let cleared = app
        .put(&path)
        .as_(&owner)
        .json(json!({"greeting": "", "website": ""}))
        .send()
        .await;
    let p = cleared.expect(200).data();
    assert!(p["greeting"].is_null() && p["website"].is_null(), "{p}");
}

#[tokio::test]
async fn a_new_service_list_updates_adds_and_retires_services() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let created = create(&app, &owner, wizard_body()).await;
    let p = created.data();
    let project = p["id"].as_str().unwrap();
    let kept = p["services"][0]["id"].as_str().unwrap().to_string();
    let retired: Uuid = p["services"][1]["id"].as_str().unwrap().parse().unwrap();
    let path = format!("/api/projects/{project}");
    let resp = app
        .put(&path)
        .as_(&owner)
        .json(json!({
            "schedule": week(&[("Saturday", "10:00", "14:00")]),
            "timeZone": "America/New_York",
            "services": [
                {"id": kept, "name": "Cut and style", "duration": 45, "price": 50},
                {"name": "Beard trim", "duration": "20", "price": ""}
            ]
        }))
        .send()
        .await;
    resp.expect(200);
    let p = resp.data();
    assert_eq!(p["timeZone"], "America/New_York");
    assert_eq!(p["schedule"], week(&[("Saturday", "10:00", "14:00")]));
    let names: Vec<_> = p["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, ["Beard trim", "Cut and style"]);
    assert_eq!(p["services"][1]["id"], kept.as_str());
    assert_eq!(p["services"][1]["duration"], 45);
    let active: bool = app
        .sql()
        .await
        .query_one("SELECT is_active FROM services WHERE id = $1", &[&retired])
        .await
        .unwrap()
        .get(0);
    assert!(!active, "the service left out is inactive, not deleted");

    // An id that is not one of this project's services changes nothing.
    let foreign = app.service("Elsewhere", 30, true).await;
    let resp = app
        .put(&path)
        .as_(&owner)
        .json(json!({"agentName": "Nope", "services": [{"id": foreign, "name": "X1", "duration": 5}]}))
        .send()
        .await;
    resp.expect(400);
    let unchanged = app.get(&path).as_(&owner).send().await;
    assert_eq!(unchanged.data()["agentName"], "Mia");
    assert_eq!(unchanged.data()["services"].as_array().unwrap().len(), 2);
    let resp = app
        .put(&path)
        .as_(&owner)
        .json(json!({"timeZone": "Nowhere/Else"}))
        .send()
        .await;
    resp.expect(400);
    assert_eq!(resp.invalid_fields(), ["timeZone"]);
}

#[tokio::test]
async fn closing_a_project_retires_its_services_and_keys_and_keeps_its_bookings() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, service) = project_with(
        &app,
        &owner,
        "UTC",
        week(&[("Monday", "00:00", "23:59")]),
        30,
    )
    .await;
    let key = agent_key(&app, &owner, &project).await;
    let monday = crate::availability::next_weekday(chrono::Weekday::Mon);
    let booked = app
        .post(&format!("/api/projects/{project}/bookings"))
        .bearer(&key)
        .json(json!({"serviceId": service, "scheduledAt": format!("{monday}T10:00:00Z"), "customerName": "Ann Caller"}))
        .send()
        .await;
    booked.expect(201);
    let path = format!("/api/projects/{project}");
    let resp = app.delete(&path).as_(&owner).send().await;
    resp.expect(200);
    assert!(resp.data().is_null());
    app.get(&path).as_(&owner).send().await.expect(404);
    app.delete(&path).as_(&owner).send().await.expect(404);
    let list = app.get("/api/projects").as_(&owner).send().await;
    assert_eq!(list.data().as_array().unwrap().len(), 0);
    let slots = app
        .get(&format!(
            "/api/projects/{project}/availability?serviceId={service}"
        ))
        .bearer(&key)
        .send()
        .await;
    slots.expect(401);
    assert_eq!(
        app.count("SELECT count(*) FROM bookings", &[]).await,
        1,
        "bookings stay"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM services WHERE is_active", &[])
            .await,
        0
    );
}

#[tokio::test]
async fn the_catalogue_keeps_project_services_apart() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    app.service("Walk-in", 30, true).await;
    let (project, service) = project_with(&app, &owner, "UTC", week(&[]), 30).await;
    let all = app.get("/api/services").send().await;
    let names: Vec<_> = all
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, ["Walk-in"]);
    let of_project = app
        .get(&format!("/api/services?projectId={project}"))
        .send()
        .await;
    of_project.expect(200);
    let listed = of_project.data().as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], service.as_str());
    assert_eq!(listed[0]["projectId"], project.as_str());
    app.get("/api/services?projectId=nope")
        .send()
        .await
        .expect(400);
}
