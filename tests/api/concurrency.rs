//! Concurrency at the scale the issue names: many simultaneous requests over two pooled
//! connections shared by up to 8 requests each (the local server shares its connections the
//! same way), with the final state read back from the database.

use serde_json::json;

use crate::support::{TestApp, future};

async fn shared_pool() -> TestApp {
    TestApp::builder().connections(2, 8).spawn().await
}

fn statuses(resps: &[crate::support::TestResponse]) -> Vec<u16> {
    resps.iter().map(|r| r.status).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_simultaneous_overlapping_bookings_make_one() {
    const N: usize = 50;
    let app = shared_pool().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let attempts = (0..N).map(|i| {
        let at = future(5, 10).replace("T10:00", &format!("T10:{:02}", i % 30));
        app.post("/api/bookings")
            .as_(&user)
            .json(json!({"serviceId": service, "scheduledAt": at, "duration": 45}))
            .send()
    });
    let resps = futures_util::future::join_all(attempts).await;
    let s = statuses(&resps);
    assert_eq!(s.iter().filter(|c| **c == 201).count(), 1, "{s:?}");
    assert_eq!(s.iter().filter(|c| **c == 409).count(), N - 1, "{s:?}");
    assert_eq!(app.count("SELECT count(*) FROM bookings", &[]).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_reschedules_into_one_slot_move_one_booking() {
    const N: usize = 20;
    let app = shared_pool().await;
    let user = app.user().await;
    let service = app.service("Haircut", 30, true).await;
    let mut ids = Vec::new();
    for i in 0..N {
        ids.push(
            app.booking(&user, service, &future(3 + i as i64, 9), 30)
                .await,
        );
    }
    let target = future(2, 15);
    let moves = ids.iter().map(|id| {
        app.put(&format!("/api/bookings/{id}"))
            .as_(&user)
            .json(json!({"scheduledAt": target}))
            .send()
    });
    let resps = futures_util::future::join_all(moves).await;
    let s = statuses(&resps);
    assert_eq!(s.iter().filter(|c| **c == 200).count(), 1, "{s:?}");
    assert_eq!(s.iter().filter(|c| **c == 409).count(), N - 1, "{s:?}");
    let at_target = app
        .count(
            "SELECT count(*) FROM bookings WHERE scheduled_at = $1::text::timestamptz",
            &[&target],
        )
        .await;
    assert_eq!(at_target, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM bookings", &[]).await,
        N as i64,
        "no row lost or added"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_cancels_and_updates_of_many_bookings_stay_consistent() {
    const N: usize = 15;
    let app = shared_pool().await;
    let user = app.user().await;
    let admin = app.admin().await;
    let service = app.service("Haircut", 30, true).await;
    let mut ids = Vec::new();
    for i in 0..N {
        ids.push(
            app.booking(&user, service, &future(3 + i as i64, 9), 30)
                .await,
        );
    }
    let work = ids.iter().flat_map(|id| {
        let path = format!("/api/bookings/{id}");
        [
            app.delete(&path).as_(&user).send(),
            app.put(&path)
                .as_(&admin)
                .json(json!({"status": "CONFIRMED"}))
                .send(),
            app.put(&path)
                .as_(&user)
                .json(json!({"notes": "edited"}))
                .send(),
        ]
    });
    let resps = futures_util::future::join_all(work).await;
    for (i, r) in resps.iter().enumerate() {
        assert!(
            matches!(r.status, 200 | 409),
            "request {i}: {} {}",
            r.status,
            r.body
        );
    }
    // Every cancel wins eventually (it is allowed from PENDING and CONFIRMED), nothing is lost.
    assert_eq!(
        app.count(
            "SELECT count(*) FROM bookings WHERE status = 'CANCELLED'",
            &[]
        )
        .await,
        N as i64
    );
}
