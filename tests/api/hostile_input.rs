//! Hostile and unusual input: each is a 4xx in the envelope that changes nothing, or, when it is
//! valid, is stored and returned exactly as sent.

use serde_json::{Value, json};

use crate::support::{TestApp, future};

#[tokio::test]
async fn nul_characters_are_400_not_500() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        ("POST", "/api/auth/register", json!({"email": "a@example.com", "password": "pass\u{0}word1"}), "password"),
        ("POST", "/api/auth/register", json!({"email": "a@example.com", "password": "password1", "name": "Nu\u{0}ll"}), "name"),
        ("POST", "/api/bookings", json!({"serviceId": service, "scheduledAt": future(2, 10), "duration": 30, "notes": "a\u{0}b"}), "notes"),
        ("POST", "/api/conversations", json!({"transcript": {"text": "x\u{0}y"}}), "transcript.text"),
        ("POST", "/api/conversations", json!({"transcript": {"k\u{0}ey": 1}}), "transcript"),
        ("PUT", &format!("/api/users/{}", user.user_id), json!({"name": "Bad\u{0}Name"}), "name"),
    ]
    .into_iter()
    .map(|(m, p, b, f)| (m, Box::leak(p.to_string().into_boxed_str()) as &str, b, f))
    .collect();
    for (method, path, body, field) in cases {
        let resp = app
            .request(method.parse().unwrap(), path)
            .as_(&user)
            .json(body.clone())
            .send()
            .await;
        resp.expect(400);
        let fields = resp.invalid_fields();
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "{body}: {fields:?}"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM conversations", &[]).await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM users", &[]).await, 1);
}

#[tokio::test]
async fn unicode_and_markup_round_trip_exactly() {
    let app = TestApp::spawn().await;
    let texts = [
        "Zoë 👩🏽‍🔧 café",
        "مرحبا بالعالم — שלום",
        "'; DROP TABLE users; --",
        "<script>alert('x')</script> & \"quotes\"",
        "\u{202E}reversed\u{202C} \u{FEFF}zero-width\u{200B}",
        "line\nbreak\ttab\\backslash",
    ];
    let user = app.register("round@example.com", "password123").await;
    let service = app.service("Haircut", 30, true).await;
    for (i, text) in texts.iter().enumerate() {
        let resp = app
            .post("/api/bookings")
            .as_(&user)
            .json(json!({"serviceId": service, "scheduledAt": future(2 + i as i64, 10), "duration": 30, "notes": text}))
            .send()
            .await;
        resp.expect(201);
        assert_eq!(resp.data()["notes"], *text);
        let id = resp.data()["id"].as_str().unwrap();
        let again = app
            .get(&format!("/api/bookings/{id}"))
            .as_(&user)
            .send()
            .await;
        assert_eq!(again.data()["notes"], *text);

        let resp = app
            .post("/api/conversations")
            .json(json!({"transcript": {"said": text, "nested": [text]}, "summary": text, "metadata": {"k": text}}))
            .send()
            .await;
        resp.expect(201);
        assert_eq!(
            resp.data()["transcript"],
            json!({"said": text, "nested": [text]})
        );
        assert_eq!(resp.data()["summary"], *text);

        let name = format!("N {text}");
        let resp = app
            .put(&format!("/api/users/{}", user.user_id))
            .as_(&user)
            .json(json!({"name": name}))
            .send()
            .await;
        resp.expect(200);
        assert_eq!(resp.data()["name"], name.trim());
    }
    assert_eq!(
        app.count("SELECT count(*) FROM users", &[]).await,
        1,
        "the table survived"
    );
}

#[tokio::test]
async fn very_long_strings_are_refused_by_field() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let long = "x".repeat(5000);
    for (method, path, body, field) in [
        (
            "POST",
            "/api/auth/register".to_string(),
            json!({"email": format!("{long}@example.com"), "password": "password123"}),
            "email",
        ),
        (
            "POST",
            "/api/auth/register".to_string(),
            json!({"email": "n@example.com", "password": "password123", "name": long}),
            "name",
        ),
        (
            "POST",
            "/api/bookings".to_string(),
            json!({"serviceId": service, "scheduledAt": future(2, 10), "duration": 30, "notes": long}),
            "notes",
        ),
        (
            "PUT",
            format!("/api/users/{}", user.user_id),
            json!({"phone": long}),
            "phone",
        ),
    ] {
        let resp = app
            .request(method.parse().unwrap(), &path)
            .as_(&user)
            .json(body)
            .send()
            .await;
        resp.expect(400);
        assert_eq!(resp.invalid_fields(), [field], "{method} {path}");
    }
    let summary = "s".repeat(10_001);
    let resp = app
        .post("/api/conversations")
        .json(json!({"transcript": {}, "summary": summary}))
        .send()
        .await;
    resp.expect(400);
    assert_eq!(resp.invalid_fields(), ["summary"]);
}

#[tokio::test]
async fn dates_ids_and_numbers_out_of_range() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    for at in [
        "2031-02-30T10:00:00Z",
        "2031-13-01T10:00:00Z",
        "2031-01-01T25:00:00Z",
        "2031-01-01 10:00",
        "2031-01-01",
        "10:00",
        "+275760-09-13T00:00:00Z",
        "",
    ] {
        let resp = app.book(&user, service, at, 30).await;
        resp.expect(400);
        assert_eq!(resp.invalid_fields(), ["scheduledAt"], "{at}");
    }
    for duration in [
        json!(2147483648_i64),
        json!(-2147483649_i64),
        json!(1e300),
        json!(1441),
        json!(null),
    ] {
        let resp = app.book(&user, service, future(2, 10), &duration).await;
        resp.expect(400);
        assert_eq!(resp.invalid_fields(), ["duration"], "{duration}");
    }
    for id in [
        "1",
        "00000000-0000-0000-0000-00000000000g",
        "%00",
        "..%2F..%2Fetc",
        "' OR '1'='1",
    ] {
        let path = format!(
            "/api/bookings/{}",
            id.replace(' ', "%20").replace('\'', "%27")
        );
        let resp = app.get(&path).as_(&user).send().await;
        resp.expect(400);
    }
    for query in [
        "limit=1e3",
        "limit=-0",
        "offset=9223372036854775808",
        "offset=1.5",
    ] {
        let resp = app
            .get(&format!("/api/conversations?{query}"))
            .as_(&user)
            .send()
            .await;
        resp.expect(400);
    }
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 0);
}

#[tokio::test]
async fn unknown_fields_are_ignored_never_honoured() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let resp = app
        .post("/api/bookings")
        .as_(&user)
        .json(json!({
            "serviceId": service, "scheduledAt": future(2, 10), "duration": 30,
            "status": "CONFIRMED", "userId": uuid::Uuid::new_v4(), "id": uuid::Uuid::new_v4(),
            "calComEventId": "evt", "createdAt": "2000-01-01T00:00:00.000Z"
        }))
        .send()
        .await;
    resp.expect(201);
    let b = resp.data();
    assert_eq!(b["status"], "PENDING");
    assert_eq!(b["userId"], user.user_id.to_string());
    assert!(b["calComEventId"].is_null());
    assert_ne!(b["createdAt"], "2000-01-01T00:00:00.000Z");
    let resp = app
        .post("/api/auth/register")
        .json(json!({"email": "x@example.com", "password": "password123", "role": "ADMIN", "id": uuid::Uuid::nil()}))
        .send()
        .await;
    resp.expect(201);
    assert_eq!(resp.data()["user"]["role"], "USER");
    assert_ne!(resp.data()["user"]["id"], uuid::Uuid::nil().to_string());
}

#[tokio::test]
async fn bodies_of_every_wrong_shape() {
    let app = TestApp::spawn().await;
    let user = app.admin().await;
    let routes = [
        ("POST", "/api/auth/register".to_string()),
        ("POST", "/api/auth/login".to_string()),
        ("POST", "/api/bookings".to_string()),
        ("POST", "/api/services".to_string()),
        ("POST", "/api/conversations".to_string()),
        ("PUT", format!("/api/users/{}", user.user_id)),
    ];
    let bodies: [(&str, &[u8], u16); 8] = [
        ("application/json", b"{", 400),
        ("application/json", b"[]", 400),
        ("application/json", b"\"s\"", 400),
        ("application/json", b"123", 400),
        ("application/json", b"{\"a\":1}{\"b\":2}", 400),
        ("application/json", b"\xff\xfe{}", 400),
        ("text/plain", b"{}", 415),
        ("application/x-www-form-urlencoded", b"a=b", 415),
    ];
    for (method, path) in &routes {
        for (content_type, body, status) in bodies {
            let resp = app
                .request(method.parse().unwrap(), path)
                .as_(&user)
                .header("content-type", content_type)
                .raw(body.to_vec())
                .send()
                .await;
            assert_eq!(
                resp.status,
                status,
                "{method} {path} {content_type} {:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
    assert_eq!(app.count("SELECT count(*) FROM users", &[]).await, 1);
}

#[tokio::test]
async fn extreme_numbers_in_a_transcript_are_stored_and_listed() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    // PostgreSQL keeps these as exact numerics, f64::MIN as a 309-digit integer: passed on as
    // stored (valid JSON, read by browsers), never parsed back.
    let body =
        json!({"transcript": {"min": f64::MIN, "tiny": 5e-324}, "metadata": {"max": f64::MAX}});
    let (status, text) = app
        .post("/api/conversations")
        .as_(&user)
        .json(body)
        .send_for_text()
        .await;
    assert_eq!(status, 201, "{text}");
    assert!(text.contains("\"min\": -17976931348623157000"), "{text}");
    let (status, text) = app
        .get("/api/conversations")
        .as_(&user)
        .send_for_text()
        .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"max\": 17976931348623157000"), "{text}");
}
