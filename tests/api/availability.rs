//! `GET /api/projects/{id}/availability`: open hours in the project's own time zone (across
//! daylight-saving changes and local midnight), closed days, live bookings, and the window's
//! rules. The expected slots are written out as UTC instants, worked out by hand.

use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{Value, json};

use crate::projects::{create, project_with, week, wizard_body};
use crate::support::{Session, TestApp, TestResponse};

/// The next `day` strictly after tomorrow, so every hour of it is in the future.
pub fn next_weekday(day: Weekday) -> NaiveDate {
    let mut date = Utc::now().date_naive() + Duration::days(2);
    while date.weekday() != day {
        date += Duration::days(1);
    }
    date
}

async fn ask(app: &TestApp, project: &str, service: &str, from: &str, to: &str) -> TestResponse {
    app.get(&format!(
        "/api/projects/{project}/availability?serviceId={service}&from={from}&to={to}"
    ))
    .send()
    .await
}

/// The slots, as `2099-03-28T08:00:00.000Z`, shortened to `28T08:00` for reading.
async fn slots(app: &TestApp, project: &str, service: &str, from: &str, to: &str) -> Vec<String> {
    let resp = ask(app, project, service, from, to).await;
    resp.expect(200);
    resp.data()["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let s = s.as_str().unwrap();
            assert!(s.ends_with(":00.000Z"), "{s}");
            s[8..16].to_string()
        })
        .collect()
}

/// The owner books `service` of `project` at `at` (RFC 3339) for a caller without an account.
async fn book_for_caller(
    app: &TestApp,
    owner: &Session,
    project: &str,
    service: &str,
    at: &str,
) -> TestResponse {
    app.post(&format!("/api/projects/{project}/bookings"))
        .as_(owner)
        .json(json!({"serviceId": service, "scheduledAt": at, "customerName": "Ann Caller"}))
        .send()
        .await
}

/// A new app with one project in `zone`, open on `hours`, offering a service of `minutes`.
async fn open_on(
    zone: &str,
    hours: &[(&str, &str, &str)],
    minutes: i32,
) -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, service) = project_with(&app, &owner, zone, week(hours), minutes).await;
    (app, project, service)
}

#[tokio::test]
async fn berlin_hours_hold_across_both_daylight_saving_changes() {
    let hours = [
        ("Saturday", "09:00", "11:00"),
        ("Sunday", "01:00", "05:00"),
        ("Monday", "09:00", "11:00"),
    ];
    let (app, project, service) = open_on("Europe/Berlin", &hours, 60).await;
    // 29 March 2099: 02:00 CET becomes 03:00 CEST. Saturday is UTC+1, Monday UTC+2, and
    // Sunday's 01:00-05:00 is three real hours (00:00Z-03:00Z).
    let spring = slots(
        &app,
        &project,
        &service,
        "2099-03-28T00:00:00Z",
        "2099-03-31T00:00:00Z",
    )
    .await;
    assert_eq!(
        spring,
        [
            "28T08:00", "28T09:00", "29T00:00", "29T01:00", "29T02:00", "30T07:00", "30T08:00"
        ]
    );
    // 25 October 2099: 03:00 CEST becomes 02:00 CET. Sunday's 01:00-05:00 is five real hours,
    // from 23:00Z the day before.
    let autumn = slots(
        &app,
        &project,
        &service,
        "2099-10-24T00:00:00Z",
        "2099-10-27T00:00:00Z",
    )
    .await;
    assert_eq!(
        autumn,
        [
            "24T07:00", "24T08:00", "24T23:00", "25T00:00", "25T01:00", "25T02:00", "25T03:00",
            "26T08:00", "26T09:00"
        ]
    );
}

/// Sunday 02:30-03:00 in Berlin does not exist on 29 March 2099 (its 02:30 reads as 01:30Z,
/// its 03:00 as 01:00Z): that day has no slot and the request still succeeds; a week later
/// the same hours are 00:30Z-01:00Z.
#[tokio::test]
async fn hours_inside_the_skipped_spring_hour_have_no_slots_that_day() {
    let (app, project, service) =
        open_on("Europe/Berlin", &[("Sunday", "02:30", "03:00")], 30).await;
    let (from, to) = ("2099-03-28T00:00:00Z", "2099-04-06T00:00:00Z");
    assert_eq!(
        slots(&app, &project, &service, from, to).await,
        ["05T00:30"]
    );
}

#[tokio::test]
async fn new_york_hours_hold_across_the_spring_change() {
    let hours = [
        ("Saturday", "09:00", "11:00"),
        ("Sunday", "01:00", "04:00"),
        ("Monday", "09:00", "11:00"),
    ];
    let (app, project, service) = open_on("America/New_York", &hours, 60).await;
    // 8 March 2099: 02:00 EST becomes 03:00 EDT. Saturday is UTC-5, Monday UTC-4; Sunday's
    // 01:00-04:00 is two real hours (06:00Z-08:00Z).
    let got = slots(
        &app,
        &project,
        &service,
        "2099-03-07T00:00:00Z",
        "2099-03-10T00:00:00Z",
    )
    .await;
    assert_eq!(
        got,
        [
            "07T14:00", "07T15:00", "08T06:00", "08T07:00", "09T13:00", "09T14:00"
        ]
    );
}

#[tokio::test]
async fn a_local_day_that_starts_on_the_previous_utc_day_is_served() {
    let monday = [("Monday", "09:00", "12:00")];
    let (app, project, service) = open_on("Pacific/Auckland", &monday, 60).await;
    // Monday 5 January 2099, 09:00-12:00 in Auckland (UTC+13 in summer) is Sunday 20:00Z-23:00Z.
    let got = slots(
        &app,
        &project,
        &service,
        "2099-01-04T00:00:00Z",
        "2099-01-05T00:00:00Z",
    )
    .await;
    assert_eq!(got, ["04T20:00", "04T21:00", "04T22:00"]);
    // A window that ends at local midnight holds nothing of Monday.
    let before = slots(
        &app,
        &project,
        &service,
        "2099-01-04T00:00:00Z",
        "2099-01-04T11:00:00Z",
    )
    .await;
    assert!(before.is_empty(), "{before:?}");
}

#[tokio::test]
async fn closed_and_missing_days_have_no_slots() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    // Tuesday is sent closed (with hours), Wednesday is not sent at all.
    let schedule = json!([
        {"day": "Monday", "enabled": true, "start": "09:00", "end": "10:00"},
        {"day": "Tuesday", "enabled": false, "start": "09:00", "end": "17:00"}
    ]);
    let (project, service) = project_with(&app, &owner, "UTC", schedule, 30).await;
    // 2099-01-05 is a Monday.
    let got = slots(
        &app,
        &project,
        &service,
        "2099-01-05T00:00:00Z",
        "2099-01-08T00:00:00Z",
    )
    .await;
    assert_eq!(got, ["05T09:00", "05T09:30"]);
}

/// A UTC project open Mondays from 09:00 to `closes`, with a 60- and a 30-minute service:
/// its id and the two services' ids.
async fn long_and_short(app: &TestApp, owner: &Session, closes: &str) -> (String, String, String) {
    let mut body = wizard_body();
    body["timeZone"] = "UTC".into();
    body["schedule"] = week(&[("Monday", "09:00", closes)]);
    body["services"] = json!([
        {"name": "Long", "duration": 60},
        {"name": "Short", "duration": 30}
    ]);
    let created = create(app, owner, body).await;
    let p = created.data();
    let id = |v: &Value| v.as_str().unwrap().to_string();
    (
        id(&p["id"]),
        id(&p["services"][0]["id"]),
        id(&p["services"][1]["id"]),
    )
}

#[tokio::test]
async fn live_bookings_of_any_service_of_the_project_take_their_slots() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, long, short) = long_and_short(&app, &owner, "12:00").await;
    let (project, long, short) = (project.as_str(), long.as_str(), short.as_str());
    let (other, other_service) = project_with(
        &app,
        &owner,
        "UTC",
        week(&[("Monday", "09:00", "12:00")]),
        60,
    )
    .await;
    let at = |hour: &str| format!("2099-01-05T{hour}:00Z");
    book_for_caller(&app, &owner, project, long, &at("10:00"))
        .await
        .expect(201);
    let cancelled = book_for_caller(&app, &owner, project, short, &at("09:00")).await;
    cancelled.expect(201);
    let id = cancelled.data()["id"].as_str().unwrap();
    app.delete(&format!("/api/bookings/{id}"))
        .as_(&owner)
        .send()
        .await
        .expect(200);
    book_for_caller(&app, &owner, &other, &other_service, &at("11:00"))
        .await
        .expect(201);
    let (from, to) = ("2099-01-05T00:00:00Z", "2099-01-06T00:00:00Z");
    assert_eq!(
        slots(&app, project, long, from, to).await,
        ["05T09:00", "05T11:00"]
    );
    assert_eq!(
        slots(&app, project, short, from, to).await,
        ["05T09:00", "05T09:30", "05T11:00", "05T11:30"]
    );
}

/// Availability reads the bookings merged by day (`project_busy_days`, kept by a trigger):
/// moving a booking to another day, cancelling one and confirming one must each show at
/// once, a booking inserted as cancelled must not, and the kept days must equal the live
/// bookings recomputed from scratch.
#[tokio::test]
async fn moved_cancelled_and_confirmed_bookings_show_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let hours = week(&[("Monday", "09:00", "12:00"), ("Tuesday", "09:00", "12:00")]);
    let (project, service) = project_with(&app, &owner, "UTC", hours, 30).await;
    let mut ids = Vec::new();
    for at in ["05T09:00", "05T09:30", "06T10:00"] {
        let at = format!("2099-01-{at}:00Z");
        let resp = book_for_caller(&app, &owner, &project, &service, &at).await;
        resp.expect(201);
        ids.push(resp.data()["id"].as_str().unwrap().to_string());
    }
    let (from, to) = ("2099-01-05T00:00:00Z", "2099-01-07T00:00:00Z");
    let monday_free = ["05T10:00", "05T10:30", "05T11:00", "05T11:30"];
    let tuesday_free = ["06T09:00", "06T09:30", "06T10:30", "06T11:00", "06T11:30"];
    let expected = [&monday_free[..], &tuesday_free[..]].concat();
    assert_eq!(slots(&app, &project, &service, from, to).await, expected);

    let change = |id: &str, body: Value| {
        app.put(&format!("/api/bookings/{id}"))
            .as_(&owner)
            .json(body)
            .send()
    };
    change(&ids[0], json!({"scheduledAt": "2099-01-06T11:00:00Z"}))
        .await
        .expect(200);
    app.delete(&format!("/api/bookings/{}", ids[1]))
        .as_(&owner)
        .send()
        .await
        .expect(200);
    change(&ids[2], json!({"status": "CONFIRMED"}))
        .await
        .expect(200);
    // A booking written as cancelled takes no time, whoever writes it.
    let cancelled = format!(
        "INSERT INTO bookings (service_id, scheduled_at, duration, status, customer_name) \
         VALUES ('{service}', '2099-01-05T11:00:00Z', 30, 'CANCELLED', 'Gone Caller')"
    );
    app.sql().await.execute(&cancelled, &[]).await.unwrap();
    assert_eq!(
        slots(&app, &project, &service, from, to).await,
        [
            "05T09:00", "05T09:30", "05T10:00", "05T10:30", "05T11:00", "05T11:30", "06T09:00",
            "06T09:30", "06T10:30", "06T11:30"
        ]
    );
    let disagreeing = app
        .count(
            "WITH live AS (SELECT project_id, busy_day(scheduled_at) AS day, \
             range_agg(tstzrange(scheduled_at, booking_end(scheduled_at, duration))) AS busy \
             FROM bookings WHERE project_id IS NOT NULL AND status IN ('PENDING', 'CONFIRMED') \
             GROUP BY 1, 2), kept AS (SELECT project_id, day, busy FROM project_busy_days WHERE NOT isempty(busy)) \
             SELECT (SELECT count(*) FROM (TABLE live EXCEPT TABLE kept) a) \
             + (SELECT count(*) FROM (TABLE kept EXCEPT TABLE live) b)",
            &[],
        )
        .await;
    assert_eq!(disagreeing, 0, "busy days differ from the live bookings");
}

/// The function keeps the slots it computed (per process) and asks PostgreSQL to compute them
/// again only when they may have changed: each change that can move a slot shows in the very
/// next answer for the same window.
#[tokio::test]
async fn changed_hours_zone_and_duration_show_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let hours = week(&[("Monday", "09:00", "11:00")]);
    let (project, service) = project_with(&app, &owner, "UTC", hours, 60).await;
    // 2099-01-05 is a Monday.
    let monday = || {
        slots(
            &app,
            &project,
            &service,
            "2099-01-05T00:00:00Z",
            "2099-01-06T00:00:00Z",
        )
    };
    assert_eq!(monday().await, ["05T09:00", "05T10:00"]);
    assert_eq!(monday().await, ["05T09:00", "05T10:00"], "asked again");
    let change = |body: Value| {
        app.put(&format!("/api/projects/{project}"))
            .as_(&owner)
            .json(body)
            .send()
    };
    change(json!({"schedule": week(&[("Monday", "09:00", "10:00")])}))
        .await
        .expect(200);
    assert_eq!(monday().await, ["05T09:00"]);
    // 09:00 in Berlin is 08:00Z in January.
    change(json!({"timeZone": "Europe/Berlin"}))
        .await
        .expect(200);
    assert_eq!(monday().await, ["05T08:00"]);
    let shorter = json!([{"id": service, "name": "Appointment", "duration": 30}]);
    change(json!({"services": shorter})).await.expect(200);
    assert_eq!(monday().await, ["05T08:00", "05T08:30"]);
    // A narrower window inside the same day is cut from the same slots.
    let later = slots(
        &app,
        &project,
        &service,
        "2099-01-05T08:15:00Z",
        "2099-01-05T12:00:00Z",
    )
    .await;
    assert_eq!(later, ["05T08:30"]);
    // A booking written by another instance of the API, straight into the database.
    app.sql()
        .await
        .execute(
            "INSERT INTO bookings (service_id, scheduled_at, duration, customer_name) \
             VALUES ($1::text::uuid, '2099-01-05T08:00:00Z', 30, 'Elsewhere')",
            &[&service],
        )
        .await
        .unwrap();
    assert_eq!(monday().await, ["05T08:30"]);
}

#[tokio::test]
async fn off_grid_and_back_to_back_bookings_leave_only_whole_free_slots() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, long, short) = long_and_short(&app, &owner, "13:00").await;
    let (project, long, short) = (project.as_str(), long.as_str(), short.as_str());
    // 09:10-09:40 off the grid; 10:30-11:00 and 11:00-11:30 back to back.
    for at in ["09:10", "10:30", "11:00"] {
        book_for_caller(
            &app,
            &owner,
            project,
            short,
            &format!("2099-01-05T{at}:00Z"),
        )
        .await
        .expect(201);
    }
    let to = "2099-01-06T00:00:00Z";
    let day = "2099-01-05T00:00:00Z";
    assert_eq!(slots(&app, project, long, day, to).await, ["05T12:00"]);
    assert_eq!(
        slots(&app, project, short, day, to).await,
        ["05T10:00", "05T11:30", "05T12:00", "05T12:30"]
    );
    // From inside the window: still on the window's grid.
    let mid = "2099-01-05T10:15:00Z";
    assert_eq!(
        slots(&app, project, short, mid, to).await,
        ["05T11:30", "05T12:00", "05T12:30"]
    );
    assert_eq!(slots(&app, project, long, mid, to).await, ["05T12:00"]);
}

#[tokio::test]
async fn only_future_slots_inside_the_window_are_listed_in_one_round_trip() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let all_week: Vec<_> = crate::projects::DAYS
        .iter()
        .map(|d| (*d, "00:00", "23:59"))
        .collect();
    let (project, service) = project_with(&app, &owner, "UTC", week(&all_week), 60).await;
    let now = Utc::now();
    let from = (now - Duration::days(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (now + Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let before = app.statements();
    let resp = ask(&app, &project, &service, &from, &to).await;
    assert_eq!(app.statements() - before, 1, "one statement");
    resp.expect(200);
    let d = resp.data();
    assert_eq!(d["projectId"], project.as_str());
    assert_eq!(d["serviceId"], service.as_str());
    assert_eq!(d["timeZone"], "UTC");
    assert_eq!(d["duration"], 60);
    let listed: Vec<_> = d["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| common::time::parse(s.as_str().unwrap()).unwrap())
        .collect();
    assert!(listed.len() >= 22, "{}", listed.len());
    assert!(
        listed
            .iter()
            .all(|s| *s > now && *s < now + Duration::days(1))
    );
    // Without from and to: from now, for 7 days.
    let resp = app
        .get(&format!(
            "/api/projects/{project}/availability?serviceId={service}"
        ))
        .send()
        .await;
    let count = resp.data()["slots"].as_array().unwrap().len();
    assert!((7 * 24 - 8..=7 * 24).contains(&count), "{count}");
}

#[tokio::test]
async fn bad_windows_and_foreign_services_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let (project, service) = project_with(&app, &owner, "UTC", week(&[]), 60).await;
    let (_, foreign) = project_with(&app, &owner, "UTC", week(&[]), 60).await;
    let cases = [
        (
            format!("serviceId={service}&from=2099-01-01T00:00:00Z&to=2099-02-02T00:00:00Z"),
            "to",
        ),
        (
            format!("serviceId={service}&from=2099-01-02T00:00:00Z&to=2099-01-01T00:00:00Z"),
            "to",
        ),
        (format!("serviceId={service}&from=tomorrow"), "from"),
        ("from=2099-01-01T00:00:00Z".to_string(), "serviceId"),
        ("serviceId=nope".to_string(), "serviceId"),
        (format!("serviceId={foreign}"), "serviceId"),
    ];
    for (query, field) in cases {
        let resp = app
            .get(&format!("/api/projects/{project}/availability?{query}"))
            .send()
            .await;
        assert_eq!(resp.status, 400, "{query}: {}", resp.body);
        assert_eq!(resp.invalid_fields(), [field], "{query}");
    }
    let exactly_31 =
        format!("serviceId={service}&from=2099-01-01T00:00:00Z&to=2099-02-01T00:00:00Z");
    app.get(&format!(
        "/api/projects/{project}/availability?{exactly_31}"
    ))
    .send()
    .await
    .expect(200);
    let missing = uuid::Uuid::new_v4();
    app.get(&format!(
        "/api/projects/{missing}/availability?serviceId={service}"
    ))
    .send()
    .await
    .expect(404);
}

/// The booking routes accept a start inside the hours (`within_hours()`) exactly where
/// availability finds open hours (`open_windows()`): compared at every quarter hour of weeks
/// with a daylight-saving change, for stays of 15 to 150 minutes, with a day closed with empty
/// times among them.
#[tokio::test]
async fn bookable_hours_match_the_open_windows_across_daylight_saving_changes() {
    let app = TestApp::spawn().await;
    let mut schedule = week(&[
        ("Saturday", "09:00", "11:00"),
        ("Sunday", "01:00", "05:00"),
        ("Monday", "00:00", "02:30"),
        ("Friday", "22:00", "23:59"),
    ]);
    schedule[1] = json!({"day": "Tuesday", "enabled": false, "start": "", "end": ""});
    let weeks = [
        ("Europe/Berlin", "2099-03-25"),
        ("Europe/Berlin", "2099-10-21"),
        ("America/New_York", "2099-03-05"),
        ("Pacific/Auckland", "2099-04-01"),
        ("Pacific/Auckland", "2099-09-23"),
    ];
    for (zone, first_day) in weeks {
        let row = app
            .sql()
            .await
            .query_one(
                "SELECT count(*) FILTER (WHERE bookable), \
                        count(*) FILTER (WHERE bookable IS DISTINCT FROM open) \
                 FROM (SELECT within_hours($1::text::jsonb, $2, t, m) AS bookable, \
                              EXISTS (SELECT 1 FROM open_windows($1::text::jsonb, $2, t, t) w \
                                      WHERE w.opens <= t \
                                        AND t + make_interval(mins => m) <= w.closes) AS open \
                       FROM generate_series($3::text::timestamptz, \
                                            $3::text::timestamptz + interval '8 days', \
                                            interval '15 minutes') t, \
                            unnest(ARRAY[15, 60, 150]) m) starts",
                &[&schedule.to_string(), &zone, &first_day],
            )
            .await
            .unwrap();
        let (bookable, disagreeing): (i64, i64) = (row.get(0), row.get(1));
        assert!(
            bookable > 50,
            "{zone} {first_day}: {bookable} bookable starts"
        );
        assert_eq!(disagreeing, 0, "{zone} {first_day}");
    }
}
