//! `/api/projects/{id}/bookings` and project services through `/api/bookings`: the project
//! calendar's rules (hours, duration, the past), the owner's rights, and the race for a slot.

use serde_json::{Value, json};

use crate::availability::next_weekday;
use crate::projects::{agent_key, project_with, week};
use crate::support::{RequestBuilder, Session, TestApp, TestResponse};

/// A UTC project open Monday 09:00-17:00 with a 60-minute service: (project, service, the
/// next Monday as `YYYY-MM-DD`).
async fn monday_project(app: &TestApp, owner: &Session) -> (String, String, String) {
    let (project, service) =
        project_with(app, owner, "UTC", week(&[("Monday", "09:00", "17:00")]), 60).await;
    (
        project,
        service,
        next_weekday(chrono::Weekday::Mon).to_string(),
    )
}

fn customer(service: &str, at: String) -> Value {
    json!({"serviceId": service, "scheduledAt": at, "customerName": "Ann Caller", "customerPhone": "+49 170 5550123"})
}

fn calendar_path(project: &str) -> String {
    format!("/api/projects/{project}/bookings")
}

/// A booking request for the project's calendar; who makes it is the caller's to add.
fn customer_booking<'a>(app: &'a TestApp, project: &str, body: Value) -> RequestBuilder<'a> {
    app.post(&calendar_path(project)).json(body)
}

async fn book_as(app: &TestApp, project: &str, who: &Session, body: Value) -> TestResponse {
    customer_booking(app, project, body).as_(who).send().await
}

async fn book_as_agent(app: &TestApp, project: &str, key: &str, body: Value) -> TestResponse {
    customer_booking(app, project, body)
        .bearer(key)
        .send()
        .await
}

#[tokio::test]
async fn the_agent_books_a_caller_with_the_services_duration() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, service, monday) = monday_project(&app, &owner).await;
    let key = agent_key(&app, &owner, &project).await;
    let resp = book_as_agent(
        &app,
        &project,
        &key,
        customer(&service, format!("{monday}T10:00:00Z")),
    )
    .await;
    resp.expect(201);
    let b = resp.data();
    assert!(b["userId"].is_null());
    assert_eq!(b["projectId"], project.as_str());
    assert_eq!(b["customerName"], "Ann Caller");
    assert_eq!(b["customerPhone"], "+49 170 5550123");
    assert_eq!(b["duration"], 60);
    assert_eq!(b["status"], "PENDING");
    assert_eq!(b["service"]["id"], service.as_str());
    // The owner sees it in the calendar, and may confirm it like an administrator.
    let calendar = app.get(&calendar_path(&project)).as_(&owner).send().await;
    calendar.expect(200);
    assert_eq!(calendar.data().as_array().unwrap().len(), 1);
    let id = b["id"].as_str().unwrap();
    let read = app
        .get(&format!("/api/bookings/{id}"))
        .as_(&owner)
        .send()
        .await;
    read.expect(200);
    assert!(
        read.data()["user"].is_null(),
        "an agent's booking has no user"
    );
    let confirm = app
        .put(&format!("/api/bookings/{id}"))
        .as_(&owner)
        .json(json!({"status": "CONFIRMED"}))
        .send()
        .await;
    confirm.expect(200);
    // Moved by the owner, it stays confirmed (an administrator's move is its own approval).
    let moved = app
        .put(&format!("/api/bookings/{id}"))
        .as_(&owner)
        .json(json!({"scheduledAt": format!("{monday}T12:00:00Z")}))
        .send()
        .await;
    moved.expect(200);
    assert_eq!(moved.data()["status"], "CONFIRMED");
    let stranger = app.user().await;
    app.get(&format!("/api/bookings/{id}"))
        .as_(&stranger)
        .send()
        .await
        .expect(403);
    app.get(&calendar_path(&project))
        .as_(&stranger)
        .send()
        .await
        .expect(403);
}

#[tokio::test]
async fn hours_duration_and_the_past_are_enforced_on_create_and_reschedule() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let user = app.user().await;
    let (project, service, monday) = monday_project(&app, &owner).await;
    let key = agent_key(&app, &owner, &project).await;
    let tuesday = next_weekday(chrono::Weekday::Tue);
    for at in [
        format!("{monday}T08:30:00Z"),
        format!("{monday}T16:30:00Z"),
        format!("{tuesday}T10:00:00Z"),
    ] {
        let resp = book_as_agent(&app, &project, &key, customer(&service, at.clone())).await;
        resp.expect(400);
        assert_eq!(resp.error(), "Outside business hours", "{at}");
        let resp = app.book(&user, &service, &at, Value::Null).await;
        assert_eq!(resp.status, 400, "{at}: {}", resp.body);
        assert_eq!(resp.error(), "Outside business hours", "{at}");
    }
    let past = book_as_agent(
        &app,
        &project,
        &key,
        customer(&service, "2020-01-06T10:00:00Z".into()),
    )
    .await;
    past.expect(400);
    assert_eq!(past.invalid_fields(), ["scheduledAt"]);
    // Through /api/bookings: the duration may be left out, and is the service's.
    let wrong = app
        .book(&user, &service, format!("{monday}T10:00:00Z"), 30)
        .await;
    wrong.expect(400);
    assert_eq!(wrong.invalid_fields(), ["duration"]);
    let ok = app
        .book(&user, &service, format!("{monday}T10:00:00Z"), Value::Null)
        .await;
    ok.expect(201);
    assert_eq!(ok.data()["duration"], 60);
    assert_eq!(ok.data()["projectId"], project.as_str());
    assert_eq!(ok.data()["userId"], user.user_id.to_string());
    let id = ok.data()["id"].as_str().unwrap();
    let late = app
        .put(&format!("/api/bookings/{id}"))
        .as_(&user)
        .json(json!({"scheduledAt": format!("{monday}T16:30:00Z")}))
        .send()
        .await;
    late.expect(400);
    assert_eq!(late.error(), "Outside business hours");
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 1);
    // Outside any project, the duration is still required.
    let plain = app.service("Walk-in", 30, true).await;
    let resp = app
        .book(&user, plain, format!("{monday}T10:00:00Z"), Value::Null)
        .await;
    resp.expect(400);
    assert_eq!(resp.invalid_fields(), ["duration"]);
}

#[tokio::test]
async fn an_owners_customer_bookings_are_the_customers_not_the_owners() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (first, first_service, monday) = monday_project(&app, &owner).await;
    let (second, second_service, _) = monday_project(&app, &owner).await;
    let at = format!("{monday}T10:00:00Z");
    for (project, service) in [(&first, &first_service), (&second, &second_service)] {
        let resp = book_as(&app, project, &owner, customer(service, at.clone())).await;
        resp.expect(201);
        assert!(resp.data()["userId"].is_null(), "{}", resp.body);
    }
    // The same hour in two businesses: two customers, and none of them is the owner's.
    let own = app.get("/api/bookings").as_(&owner).send().await;
    assert_eq!(own.data().as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn only_the_owner_or_the_projects_agent_books_its_customers() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, service, monday) = monday_project(&app, &owner).await;
    let at = format!("{monday}T10:00:00Z");
    for who in [&app.user().await, &app.admin().await] {
        book_as(&app, &project, who, customer(&service, at.clone()))
            .await
            .expect(403);
    }
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 0);
    let other = app.user().await;
    let (elsewhere, _, _) = monday_project(&app, &other).await;
    let foreign_key = agent_key(&app, &other, &elsewhere).await;
    book_as_agent(&app, &project, &foreign_key, customer(&service, at.clone()))
        .await
        .expect(401);
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 0);
    let resp = book_as(&app, &project, &owner, customer(&service, at)).await;
    resp.expect(201);
    assert!(
        resp.data()["userId"].is_null(),
        "the customer's, not the owner's"
    );
}

#[tokio::test]
async fn customer_bookings_are_refused_without_a_name_or_with_a_foreign_service() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, _, monday) = monday_project(&app, &owner).await;
    let key = agent_key(&app, &owner, &project).await;
    let foreign = app.service("Walk-in", 60, true).await.to_string();
    let resp = book_as_agent(&app, &project, &key, json!({"serviceId": foreign, "scheduledAt": format!("{monday}T10:00:00Z"), "customerName": "Ann"})).await;
    resp.expect(400);
    assert_eq!(resp.invalid_fields(), ["serviceId"]);
    let resp = book_as_agent(
        &app,
        &project,
        &key,
        json!({"serviceId": foreign, "scheduledAt": format!("{monday}T10:00:00Z")}),
    )
    .await;
    resp.expect(400);
    assert_eq!(resp.invalid_fields(), ["customerName"]);
    let resp = book_as_agent(&app, &project, &key, json!({"serviceId": foreign, "scheduledAt": format!("{monday}T10:00:00Z"), "customerName": "Ann", "customerPhone": "call me"})).await;
    resp.expect(400);
    assert_eq!(resp.invalid_fields(), ["customerPhone"]);
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 0);
}

#[tokio::test]
async fn the_calendar_lists_soonest_first_and_filters() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, service, monday) = monday_project(&app, &owner).await;
    let key = agent_key(&app, &owner, &project).await;
    for hour in ["14", "10", "12"] {
        book_as_agent(
            &app,
            &project,
            &key,
            customer(&service, format!("{monday}T{hour}:00:00Z")),
        )
        .await
        .expect(201);
    }
    let path = calendar_path(&project);
    let all = app.get(&path).as_(&owner).send().await;
    let times: Vec<_> = all
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["scheduledAt"].as_str().unwrap()[11..13].to_string())
        .collect();
    assert_eq!(times, ["10", "12", "14"]);
    let some = app
        .get(&format!(
            "{path}?from={monday}T11:00:00Z&to={monday}T13:00:00Z&status=PENDING"
        ))
        .as_(&owner)
        .send()
        .await;
    assert_eq!(some.data().as_array().unwrap().len(), 1);
    app.get(&format!("{path}?status=LATER"))
        .as_(&owner)
        .send()
        .await
        .expect(400);
    app.get(&path).send().await.expect(401);
}

/// 50 requests for one slot at once, through every door: users through /api/bookings, the
/// owner and the agent through the project's route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_simultaneous_requests_for_one_slot_make_one_booking() {
    const N: usize = 50;
    let app = TestApp::builder().connections(2, 8).spawn().await;
    let owner = app.user().await;
    let (project, service, monday) = monday_project(&app, &owner).await;
    let key = agent_key(&app, &owner, &project).await;
    let mut users = Vec::new();
    for _ in 0..N.div_ceil(3) {
        users.push(app.user().await);
    }
    let at = |i: usize| format!("{monday}T10:{:02}:00Z", (i % 4) * 15);
    let attempts = (0..N).map(|i| {
        let body = customer(&service, at(i));
        match i % 3 {
            0 => app
                .post("/api/bookings")
                .as_(&users[i / 3])
                .json(json!({"serviceId": service, "scheduledAt": at(i)}))
                .send(),
            1 => customer_booking(&app, &project, body).as_(&owner).send(),
            _ => customer_booking(&app, &project, body).bearer(&key).send(),
        }
    });
    let resps = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = resps.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        N - 1,
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 1);
}
