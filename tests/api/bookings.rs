//! `GET/POST /api/bookings`: the caller's list, creation rules, and the overlap race.

use serde_json::{Value, json};
use tokio_postgres::error::SqlState;

use crate::support::{TestApp, future};

async fn book(
    app: &TestApp,
    who: &crate::support::Session,
    body: Value,
) -> crate::support::TestResponse {
    app.post("/api/bookings").as_(who).json(body).send().await
}

#[tokio::test]
async fn create_returns_the_booking_with_its_service() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let at = future(2, 10);
    let resp = book(
        &app,
        &user,
        json!({"serviceId": service, "scheduledAt": at, "duration": 30, "notes": "Window seat"}),
    )
    .await;
    resp.expect(201);
    let b = resp.data();
    assert_eq!(b["userId"], user.user_id.to_string());
    assert_eq!(b["serviceId"], service.to_string());
    assert_eq!(b["scheduledAt"], at);
    assert_eq!(b["duration"], 30);
    assert_eq!(b["status"], "PENDING");
    assert_eq!(b["notes"], "Window seat");
    assert!(b["calComEventId"].is_null());
    for field in ["id", "createdAt", "updatedAt"] {
        assert!(b[field].is_string(), "{field}");
    }
    let s = &b["service"];
    assert_eq!(s["id"], service.to_string());
    assert_eq!(s["name"], "Haircut");
    assert_eq!(s["duration"], 30);
    assert_eq!(s["price"], 10.0);
    assert!(s.get("description").is_some());
}

#[tokio::test]
async fn create_normalises_offsets_to_utc_milliseconds() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(4);
    let resp = book(&app, &user, json!({"serviceId": service, "scheduledAt": format!("{day}T12:00:00+02:00"), "duration": 30})).await;
    resp.expect(201);
    assert_eq!(resp.data()["scheduledAt"], format!("{day}T10:00:00.000Z"));
}

#[tokio::test]
async fn create_refuses_unknown_and_inactive_services() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let inactive = app.service("Retired", 30, false).await;
    let unknown = uuid::Uuid::new_v4();
    book(
        &app,
        &user,
        json!({"serviceId": unknown, "scheduledAt": future(2, 10), "duration": 30}),
    )
    .await
    .expect(404);
    book(
        &app,
        &user,
        json!({"serviceId": inactive, "scheduledAt": future(2, 10), "duration": 30}),
    )
    .await
    .expect(400);
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 0);
}

#[tokio::test]
async fn create_validates_every_field() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let resp = book(
        &app,
        &user,
        json!({"serviceId": "nope", "scheduledAt": "tomorrow"}),
    )
    .await;
    resp.expect(400);
    let mut fields = resp.invalid_fields();
    fields.sort();
    // `duration` may be left out for a project's service (which sets it), so it is required
    // only once the service is known (tests/api/project_bookings.rs).
    assert_eq!(fields, ["scheduledAt", "serviceId"]);
    let resp = book(&app, &user, json!({})).await;
    resp.expect(400);
    let mut fields = resp.invalid_fields();
    fields.sort();
    assert_eq!(fields, ["scheduledAt", "serviceId"]);
    let service = app.service("Haircut", 30, true).await;
    for duration in [json!(-5), json!(1.5), json!("30"), json!(100000)] {
        let resp = book(
            &app,
            &user,
            json!({"serviceId": service, "scheduledAt": future(2, 10), "duration": duration}),
        )
        .await;
        resp.expect(400);
        assert_eq!(resp.invalid_fields(), ["duration"], "duration {duration}");
    }
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 0);
}

#[tokio::test]
async fn create_refuses_the_past() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let resp = book(
        &app,
        &user,
        json!({"serviceId": service, "scheduledAt": future(-1, 10), "duration": 30}),
    )
    .await;
    resp.expect(400);
    assert_eq!(resp.invalid_fields(), ["scheduledAt"]);
}

#[tokio::test]
async fn overlapping_bookings_conflict_but_adjacent_and_cancelled_ones_do_not() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let first = book(
        &app,
        &user,
        json!({"serviceId": service, "scheduledAt": future(2, 10), "duration": 60}),
    )
    .await;
    first.expect(201);
    // 10:30 overlaps [10:00, 11:00).
    let overlap = book(&app, &user, json!({"serviceId": service, "scheduledAt": future(2, 10).replace("T10:00", "T10:30"), "duration": 30})).await;
    overlap.expect(409);
    // 11:00 starts where the first ends.
    book(
        &app,
        &user,
        json!({"serviceId": service, "scheduledAt": future(2, 11), "duration": 30}),
    )
    .await
    .expect(201);
    // Another user may hold the same slot.
    let other = app.user().await;
    book(
        &app,
        &other,
        json!({"serviceId": service, "scheduledAt": future(2, 10), "duration": 60}),
    )
    .await
    .expect(201);
    // Once cancelled, the slot is free again.
    let id = first.data()["id"].as_str().unwrap();
    app.delete(&format!("/api/bookings/{id}"))
        .as_(&user)
        .send()
        .await
        .expect(200);
    book(
        &app,
        &user,
        json!({"serviceId": service, "scheduledAt": future(2, 10), "duration": 60}),
    )
    .await
    .expect(201);
}

/// The overlap constraints index `booking_end(start, minutes)`, so it must be exactly
/// `start + minutes` whatever the session's time zone, daylight-saving changes included.
#[tokio::test]
async fn a_bookings_end_is_its_start_plus_its_minutes_in_any_session_time_zone() {
    let app = TestApp::spawn().await;
    let db = app.sql().await;
    for zone in [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
    ] {
        db.batch_execute(&format!("SET TimeZone = '{zone}'"))
            .await
            .unwrap();
        let row = db
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE booking_end(t, m) \
                 IS DISTINCT FROM t + make_interval(mins => m)) \
                 FROM (SELECT generate_series(timestamptz '2099-03-20', '2099-04-10', '7 min') \
                 UNION ALL SELECT generate_series(timestamptz '2099-10-15', '2099-11-10', '7 min')) \
                 AS s(t), generate_series(1, 1440, 89) AS m",
                &[],
            )
            .await
            .unwrap();
        let (checked, wrong): (i64, i64) = (row.get(0), row.get(1));
        assert!(checked > 100_000, "{zone}: {checked}");
        assert_eq!(wrong, 0, "{zone}");
    }
}

#[tokio::test]
async fn simultaneous_overlapping_bookings_yield_exactly_one() {
    const N: usize = 25;
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let attempts = (0..N).map(|i| {
        // Every interval contains 10:30, so any two overlap.
        let minute = 10 + (i % 20);
        let at = future(5, 10).replace("T10:00", &format!("T10:{minute:02}"));
        book(
            &app,
            &user,
            json!({"serviceId": service, "scheduledAt": at, "duration": 30}),
        )
    });
    let results = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
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

#[tokio::test]
async fn list_shows_only_the_callers_bookings_newest_first() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let other = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    for day in [3, 1, 2] {
        book(
            &app,
            &user,
            json!({"serviceId": service, "scheduledAt": future(day, 9), "duration": 30}),
        )
        .await
        .expect(201);
    }
    book(
        &app,
        &other,
        json!({"serviceId": service, "scheduledAt": future(1, 9), "duration": 30}),
    )
    .await
    .expect(201);
    let resp = app.get("/api/bookings").as_(&user).send().await;
    resp.expect(200);
    let list = resp.data().as_array().unwrap();
    let times: Vec<&str> = list
        .iter()
        .map(|b| b["scheduledAt"].as_str().unwrap())
        .collect();
    assert_eq!(times, [future(3, 9), future(2, 9), future(1, 9)]);
    for b in list {
        assert_eq!(b["userId"], user.user_id.to_string());
        assert_eq!(b["service"]["name"], "Haircut");
    }
}

#[tokio::test]
async fn list_filters_by_status_and_dates() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let mut ids = Vec::new();
    for day in [1, 2, 3] {
        let resp = book(
            &app,
            &user,
            json!({"serviceId": service, "scheduledAt": future(day, 9), "duration": 30}),
        )
        .await;
        ids.push(resp.data()["id"].as_str().unwrap().to_string());
    }
    app.delete(&format!("/api/bookings/{}", ids[0]))
        .as_(&user)
        .send()
        .await
        .expect(200);

    let resp = app
        .get("/api/bookings?status=CANCELLED")
        .as_(&user)
        .send()
        .await;
    let found: Vec<&str> = resp
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(found, [ids[0].as_str()]);

    let range = format!(
        "/api/bookings?startDate={}&endDate={}",
        future(2, 0),
        future(2, 23)
    );
    let resp = app.get(&range).as_(&user).send().await;
    let found: Vec<&str> = resp
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(found, [ids[1].as_str()]);
}

#[tokio::test]
async fn list_rejects_bad_filters() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    for (query, field) in [
        ("status=LOST", "status"),
        ("startDate=yesterday", "startDate"),
        ("endDate=2026-02-30T10:00:00Z", "endDate"),
    ] {
        let resp = app
            .get(&format!("/api/bookings?{query}"))
            .as_(&user)
            .send()
            .await;
        resp.expect(400);
        assert_eq!(resp.invalid_fields(), [field], "{query}");
    }
}

#[tokio::test]
async fn bookings_require_a_session() {
    let app = TestApp::spawn().await;
    app.get("/api/bookings").send().await.expect(401);
    app.post("/api/bookings")
        .json(json!({}))
        .send()
        .await
        .expect(401);
}

/// The database keeps the bookings' own rules whoever writes the row (another instance of the
/// API, an operator's script), on insert and on update: a known status, 1 to 1,440 minutes, a
/// customer's name of at most 100 characters and phone of at most 32. The limits themselves
/// are accepted.
#[tokio::test]
async fn the_database_refuses_rows_that_break_the_booking_rules() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let sql = app.sql().await;
    // A row with a name and a phone of the given lengths.
    let insert = |day: u32, minutes: i32, status: &'static str, name_chars, phone_chars| {
        let sql = &sql;
        let (name, phone) = ("n".repeat(name_chars), "1".repeat(phone_chars));
        async move {
            sql.query_one(
                "INSERT INTO bookings (user_id, service_id, scheduled_at, duration, status, \
                 customer_name, customer_phone) \
                 VALUES ($1, $2, $3::text::timestamptz, $4::int4, $5::text, $6::text, $7::text) \
                 RETURNING id",
                &[
                    &user.user_id,
                    &service,
                    &format!("2099-03-{day:02}T09:00:00Z"),
                    &minutes,
                    &status,
                    &name,
                    &phone,
                ],
            )
            .await
            .map(|row| row.get::<_, uuid::Uuid>(0))
        }
    };
    fn refused<T: std::fmt::Debug>(result: Result<T, tokio_postgres::Error>, what: &str) {
        let err = result.expect_err(what);
        assert_eq!(
            err.code(),
            Some(&SqlState::CHECK_VIOLATION),
            "{what}: {err}"
        );
    }
    for (day, minutes, status, name_chars, phone_chars, what) in [
        (1, 30, "LOST", 5, 5, "unknown status"),
        (2, 0, "PENDING", 5, 5, "0 minutes"),
        (3, 1441, "PENDING", 5, 5, "1,441 minutes"),
        (4, 30, "PENDING", 101, 5, "101-character name"),
        (5, 30, "PENDING", 5, 33, "33-character phone"),
    ] {
        refused(
            insert(day, minutes, status, name_chars, phone_chars).await,
            what,
        );
    }
    let kept = insert(6, 1440, "CONFIRMED", 100, 32)
        .await
        .expect("the limits themselves");

    for (set, what) in [
        ("status = 'LOST'", "status updated to an unknown one"),
        ("duration = 1441", "duration updated past a day"),
        ("customer_name = repeat('n', 101)", "name updated past 100"),
        ("customer_phone = repeat('1', 33)", "phone updated past 32"),
    ] {
        let update = format!("UPDATE bookings SET {set} WHERE id = $1");
        refused(sql.execute(&update, &[&kept]).await, what);
    }
    let rows: Vec<(String, i32)> = sql
        .query(
            "SELECT status, duration FROM bookings WHERE user_id = $1",
            &[&user.user_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, [("CONFIRMED".to_string(), 1440)]);
}
