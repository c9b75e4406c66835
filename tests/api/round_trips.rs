//! Database round trips per request: reads take one (session check included), writes at most
//! two. Counted, so a refactoring that adds a query fails here rather than in production.

use serde_json::json;

use crate::support::{TestApp, future};

#[tokio::test]
async fn reads_take_one_round_trip_and_writes_at_most_two() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let admin = app.admin().await;
    let service = app.service("Haircut", 30, true).await;
    let created = app.book(&user, service, future(2, 10), 30).await;
    let booking = created.data()["id"].as_str().unwrap().to_string();
    let user_path = format!("/api/users/{}", user.user_id);
    let booking_path = format!("/api/bookings/{booking}");

    let cases: Vec<(&str, u64, crate::support::RequestBuilder<'_>)> = vec![
        ("GET /api/auth/me", 1, app.get("/api/auth/me").as_(&user)),
        ("GET /api/bookings", 1, app.get("/api/bookings").as_(&user)),
        (
            "GET /api/bookings/{id}",
            1,
            app.get(&booking_path).as_(&user),
        ),
        ("GET /api/services", 1, app.get("/api/services")),
        (
            "GET /api/services (admin)",
            1,
            app.get("/api/services?includeInactive=true").as_(&admin),
        ),
        ("GET /api/users/{id}", 1, app.get(&user_path).as_(&user)),
        (
            "GET /api/conversations",
            1,
            app.get("/api/conversations").as_(&user),
        ),
        (
            "POST /api/bookings",
            2,
            app.post("/api/bookings")
                .as_(&user)
                .json(json!({"serviceId": service, "scheduledAt": future(3, 10), "duration": 30})),
        ),
        (
            "PUT /api/bookings/{id}",
            2,
            app.put(&booking_path)
                .as_(&user)
                .json(json!({"notes": "n"})),
        ),
        (
            "DELETE /api/bookings/{id}",
            2,
            app.delete(&booking_path).as_(&user),
        ),
        (
            "POST /api/services",
            2,
            app.post("/api/services")
                .as_(&admin)
                .json(json!({"name": "Shave", "duration": 15})),
        ),
        (
            "PUT /api/users/{id}",
            2,
            app.put(&user_path)
                .as_(&user)
                .json(json!({"name": "New Name"})),
        ),
        (
            "POST /api/conversations",
            1,
            app.post("/api/conversations")
                .as_(&user)
                .json(json!({"transcript": {}})),
        ),
        (
            "POST /api/conversations (anonymous)",
            1,
            app.post("/api/conversations")
                .json(json!({"transcript": {}})),
        ),
        (
            "POST /api/auth/login",
            2,
            app.post("/api/auth/login")
                .json(json!({"email": user.email, "password": "password123"})),
        ),
        (
            "POST /api/auth/register",
            2,
            app.post("/api/auth/register")
                .json(json!({"email": "fresh@example.com", "password": "password123"})),
        ),
        (
            "PUT /api/auth/password",
            2,
            app.put("/api/auth/password")
                .as_(&user)
                .json(json!({"currentPassword": "password123", "newPassword": "password123"})),
        ),
        (
            "POST /api/auth/logout",
            2,
            app.post("/api/auth/logout").as_(&admin),
        ),
    ];
    for (name, bound, request) in cases {
        let before = app.statements();
        let resp = request.send().await;
        assert!(resp.status < 300, "{name}: {}", resp.body);
        let used = app.statements() - before;
        assert!(
            used >= 1 && used <= bound,
            "{name}: {used} round trips, bound {bound}"
        );
    }
}
