//! `/api/bookings/{id}`: who may see and change a booking, and the status rules.

use serde_json::{Value, json};

use crate::support::{Session, TestApp, TestResponse, future};

struct World {
    app: TestApp,
    owner: Session,
    stranger: Session,
    admin: Session,
    service: uuid::Uuid,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let stranger = app.user().await;
    let admin = app.admin().await;
    let service = app.service("Haircut", 30, true).await;
    World {
        app,
        owner,
        stranger,
        admin,
        service,
    }
}

impl World {
    async fn booking(&self, days: i64, hour: u32) -> String {
        let resp = self
            .app
            .post("/api/bookings")
            .as_(&self.owner)
            .json(json!({"serviceId": self.service, "scheduledAt": future(days, hour), "duration": 30}))
            .send()
            .await;
        resp.expect(201);
        resp.data()["id"].as_str().unwrap().to_string()
    }

    async fn put(&self, who: &Session, id: &str, body: Value) -> TestResponse {
        self.app
            .put(&format!("/api/bookings/{id}"))
            .as_(who)
            .json(body)
            .send()
            .await
    }

    async fn stored(&self, id: &str) -> (String, String, Option<String>) {
        let row = self
            .app
            .sql()
            .await
            .query_one(
                "SELECT status::text, to_char(scheduled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), notes FROM bookings WHERE id = $1",
                &[&id.parse::<uuid::Uuid>().unwrap()],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1), row.get(2))
    }
}

#[tokio::test]
async fn get_shows_the_booking_with_service_and_user_to_owner_and_admin_only() {
    let w = world().await;
    let id = w.booking(2, 10).await;
    for who in [&w.owner, &w.admin] {
        let resp = w
            .app
            .get(&format!("/api/bookings/{id}"))
            .as_(who)
            .send()
            .await;
        resp.expect(200);
        assert_eq!(resp.data()["id"], id);
        assert_eq!(resp.data()["service"]["name"], "Haircut");
        let user = &resp.data()["user"];
        assert_eq!(user["id"], w.owner.user_id.to_string());
        assert_eq!(user["email"], w.owner.email);
        assert!(user.get("name").is_some() && user.get("phone").is_some());
        assert!(user.get("passwordHash").is_none());
    }
    w.app
        .get(&format!("/api/bookings/{id}"))
        .as_(&w.stranger)
        .send()
        .await
        .expect(403);
    w.app
        .get(&format!("/api/bookings/{id}"))
        .send()
        .await
        .expect(401);
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let w = world().await;
    let unknown = uuid::Uuid::new_v4();
    for method in [http::Method::GET, http::Method::PUT, http::Method::DELETE] {
        let resp = w
            .app
            .request(method.clone(), &format!("/api/bookings/{unknown}"))
            .as_(&w.admin)
            .json(json!({"notes": "x"}))
            .send()
            .await;
        assert_eq!(resp.status, 404, "{method} unknown: {}", resp.body);
        let resp = w
            .app
            .request(method.clone(), "/api/bookings/not-a-uuid")
            .as_(&w.admin)
            .json(json!({"notes": "x"}))
            .send()
            .await;
        assert_eq!(resp.status, 400, "{method} malformed: {}", resp.body);
    }
}

#[tokio::test]
async fn a_stranger_can_neither_change_nor_cancel_a_booking() {
    let w = world().await;
    let id = w.booking(2, 10).await;
    let before = w.stored(&id).await;
    w.put(&w.stranger, &id, json!({"notes": "mine now"}))
        .await
        .expect(403);
    w.put(&w.stranger, &id, json!({"status": "CANCELLED"}))
        .await
        .expect(403);
    w.app
        .delete(&format!("/api/bookings/{id}"))
        .as_(&w.stranger)
        .send()
        .await
        .expect(403);
    assert_eq!(w.stored(&id).await, before);
}

#[tokio::test]
async fn the_owner_reschedules_edits_notes_and_clears_them() {
    let w = world().await;
    let id = w.booking(2, 10).await;
    let resp = w
        .put(
            &w.owner,
            &id,
            json!({"scheduledAt": future(3, 15), "notes": "Later"}),
        )
        .await;
    resp.expect(200);
    assert_eq!(resp.data()["scheduledAt"], future(3, 15));
    assert_eq!(resp.data()["notes"], "Later");
    assert_eq!(resp.data()["service"]["name"], "Haircut");
    let resp = w.put(&w.owner, &id, json!({"notes": null})).await;
    resp.expect(200);
    assert!(resp.data()["notes"].is_null());
    assert_eq!(w.stored(&id).await, ("PENDING".into(), future(3, 15), None));
}

#[tokio::test]
async fn only_an_admin_confirms_or_completes() {
    let w = world().await;
    let id = w.booking(2, 10).await;
    for status in ["CONFIRMED", "COMPLETED"] {
        w.put(&w.owner, &id, json!({"status": status}))
            .await
            .expect(403);
    }
    assert_eq!(w.stored(&id).await.0, "PENDING");
    w.put(&w.admin, &id, json!({"status": "CONFIRMED"}))
        .await
        .expect(200);
    // The owner may still reschedule a confirmed booking (which takes the confirmation back),
    // or take the confirmation back outright, but not confirm it again.
    w.put(&w.owner, &id, json!({"scheduledAt": future(2, 12)}))
        .await
        .expect(200);
    w.put(&w.owner, &id, json!({"status": "PENDING"}))
        .await
        .expect(200);
    assert_eq!(w.stored(&id).await.0, "PENDING");
    w.put(&w.owner, &id, json!({"status": "CONFIRMED"}))
        .await
        .expect(403);
    w.put(&w.admin, &id, json!({"status": "COMPLETED"}))
        .await
        .expect(200);
    assert_eq!(w.stored(&id).await.0, "COMPLETED");
}

/// Nobody approved the new time: the owner's reschedule takes a confirmation back.
#[tokio::test]
async fn an_owners_reschedule_sends_a_confirmed_booking_back_to_pending() {
    let w = world().await;
    let id = w.booking(2, 10).await;
    w.put(&w.admin, &id, json!({"status": "CONFIRMED"}))
        .await
        .expect(200);
    // Notes, or the time it already has, change nothing anybody approved.
    for body in [
        json!({"notes": "Window seat"}),
        json!({"scheduledAt": future(2, 10)}),
    ] {
        let resp = w.put(&w.owner, &id, body.clone()).await;
        resp.expect(200);
        assert_eq!(resp.data()["status"], "CONFIRMED", "{body}");
    }
    let resp = w
        .put(&w.owner, &id, json!({"scheduledAt": future(2, 12)}))
        .await;
    resp.expect(200);
    assert_eq!(resp.data()["status"], "PENDING");
    assert_eq!(
        w.stored(&id).await,
        ("PENDING".into(), future(2, 12), Some("Window seat".into()))
    );
    // Keeping it CONFIRMED at a new time would be a confirmation only an admin may give.
    w.put(&w.admin, &id, json!({"status": "CONFIRMED"}))
        .await
        .expect(200);
    let before = w.stored(&id).await;
    w.put(
        &w.owner,
        &id,
        json!({"scheduledAt": future(2, 14), "status": "CONFIRMED"}),
    )
    .await
    .expect(403);
    assert_eq!(w.stored(&id).await, before);
    // Moving it and cancelling it at once is a cancellation.
    let resp = w
        .put(
            &w.owner,
            &id,
            json!({"scheduledAt": future(2, 16), "status": "CANCELLED"}),
        )
        .await;
    resp.expect(200);
    assert_eq!(w.stored(&id).await.0, "CANCELLED");
}

/// An administrator's reschedule is the approval of the new time.
#[tokio::test]
async fn an_admins_reschedule_keeps_a_confirmed_booking_confirmed() {
    let w = world().await;
    let id = w.booking(2, 10).await;
    w.put(&w.admin, &id, json!({"status": "CONFIRMED"}))
        .await
        .expect(200);
    let resp = w
        .put(&w.admin, &id, json!({"scheduledAt": future(3, 9)}))
        .await;
    resp.expect(200);
    assert_eq!(resp.data()["status"], "CONFIRMED");
    assert_eq!(w.stored(&id).await.0, "CONFIRMED");
    // A pending booking the admin moves stays pending: moving is not confirming.
    let pending = w.booking(4, 10).await;
    let resp = w
        .put(&w.admin, &pending, json!({"scheduledAt": future(4, 12)}))
        .await;
    resp.expect(200);
    assert_eq!(resp.data()["status"], "PENDING");
}

#[tokio::test]
async fn cancelled_and_completed_are_final() {
    let w = world().await;
    let cancelled = w.booking(2, 10).await;
    let completed = w.booking(2, 12).await;
    w.app
        .delete(&format!("/api/bookings/{cancelled}"))
        .as_(&w.owner)
        .send()
        .await
        .expect(200);
    w.put(&w.admin, &completed, json!({"status": "COMPLETED"}))
        .await
        .expect(200);
    for id in [&cancelled, &completed] {
        let before = w.stored(id).await;
        for who in [&w.owner, &w.admin] {
            for body in [
                json!({"status": "PENDING"}),
                json!({"notes": "again"}),
                json!({"scheduledAt": future(4, 9)}),
            ] {
                let resp = w.put(who, id, body.clone()).await;
                assert_eq!(resp.status, 409, "{body} on a final booking: {}", resp.body);
            }
        }
        let resp = w
            .app
            .delete(&format!("/api/bookings/{id}"))
            .as_(&w.admin)
            .send()
            .await;
        resp.expect(409);
        assert_eq!(w.stored(id).await, before);
    }
}

#[tokio::test]
async fn delete_is_a_soft_cancel_returning_the_booking() {
    let w = world().await;
    let id = w.booking(2, 10).await;
    let resp = w
        .app
        .delete(&format!("/api/bookings/{id}"))
        .as_(&w.owner)
        .send()
        .await;
    resp.expect(200);
    assert_eq!(resp.data()["id"], id);
    assert_eq!(resp.data()["status"], "CANCELLED");
    assert_eq!(w.stored(&id).await.0, "CANCELLED");
    // The admin may cancel anyone's booking.
    let other = w.booking(3, 10).await;
    w.app
        .delete(&format!("/api/bookings/{other}"))
        .as_(&w.admin)
        .send()
        .await
        .expect(200);
}

#[tokio::test]
async fn rescheduling_into_an_overlap_is_a_conflict() {
    let w = world().await;
    let _fixed = w.booking(2, 10).await;
    let moving = w.booking(2, 12).await;
    let before = w.stored(&moving).await;
    let into = future(2, 10).replace("T10:00", "T10:15");
    w.put(&w.owner, &moving, json!({"scheduledAt": into}))
        .await
        .expect(409);
    assert_eq!(w.stored(&moving).await, before);
    // A free slot is still fine.
    w.put(&w.owner, &moving, json!({"scheduledAt": future(1, 8)}))
        .await
        .expect(200);
}

#[tokio::test]
async fn put_validates_its_body() {
    let w = world().await;
    let id = w.booking(2, 10).await;
    let before = w.stored(&id).await;
    for (body, field) in [
        (json!({"status": "LOST"}), "status"),
        (json!({"scheduledAt": "soon"}), "scheduledAt"),
        (json!({"scheduledAt": future(-2, 10)}), "scheduledAt"),
        (json!({"notes": 5}), "notes"),
    ] {
        let resp = w.put(&w.owner, &id, body.clone()).await;
        resp.expect(400);
        assert_eq!(resp.invalid_fields(), [field], "{body}");
    }
    w.app
        .put(&format!("/api/bookings/{id}"))
        .as_(&w.owner)
        .send()
        .await
        .expect(400);
    assert_eq!(w.stored(&id).await, before);
}

#[tokio::test]
async fn a_demoted_admin_loses_admin_rights_at_once() {
    let w = world().await;
    let id = w.booking(2, 10).await;
    w.app
        .sql()
        .await
        .execute(
            "UPDATE users SET role = 'USER' WHERE id = $1",
            &[&w.admin.user_id],
        )
        .await
        .unwrap();
    w.app
        .get(&format!("/api/bookings/{id}"))
        .as_(&w.admin)
        .send()
        .await
        .expect(403);
    w.put(&w.admin, &id, json!({"status": "CONFIRMED"}))
        .await
        .expect(403);
}

#[tokio::test]
async fn simultaneous_cancel_and_update_leave_one_consistent_state() {
    let w = world().await;
    let id = w.booking(2, 10).await;
    let path = format!("/api/bookings/{id}");
    let cancel = w.app.delete(&path).as_(&w.owner).send();
    let update = w.put(&w.owner, &id, json!({"notes": "changed"}));
    let (cancel, update) = tokio::join!(cancel, update);
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    assert!([200, 409].contains(&update.status), "{}", update.body);
    let (status, _, notes) = w.stored(&id).await;
    assert_eq!(status, "CANCELLED");
    // The update either landed before the cancel or was refused after it.
    assert_eq!(notes.as_deref() == Some("changed"), update.status == 200);
}
