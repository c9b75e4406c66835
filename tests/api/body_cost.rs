//! Hostile bodies cost time linear in their size: 1 MiB anonymous conversation bodies built to
//! make per-element work expensive (long keys over many elements, deep nesting, many NUL
//! characters) are answered quickly, and a read running beside one is barely delayed.
//! Run with `--nocapture` to see the figures.

use std::time::{Duration, Instant};

use crate::support::TestApp;

const MIB: usize = 1024 * 1024;
/// Tries per measurement; the best one counts, so a busy machine does not fail the test.
const TRIES: usize = 5;
/// Unoptimized code (a plain `cargo test`) parses and walks JSON 10-20 times slower than the
/// release build, and the test machine may be busy: the answer limit the API is held to
/// (50 ms) is for the release build, where `cargo test --release` checks it as it is; a debug
/// build gets 50 times the room. Quadratic work is caught either way: it takes seconds here,
/// and the growth check below does not depend on the build.
const SLOWDOWN: u32 = if cfg!(debug_assertions) { 50 } else { 1 };
const ANSWER_LIMIT: Duration = Duration::from_millis(50 * SLOWDOWN as u64);
/// Large bodies are parsed off the runtime thread, so a concurrent read waits for none of it,
/// in any build.
const DELAY_LIMIT: Duration = Duration::from_millis(20);

/// `count` copies of `item` joined by commas, as many as fit in `room` bytes.
fn repeated(item: &str, room: usize) -> String {
    let count = room / (item.len() + 1);
    vec![item; count].join(",")
}

/// Fills the rest of a `size`-byte body with `item`s between `head` and `tail`.
fn fill(size: usize, head: &str, item: &str, tail: &str) -> String {
    let room = size - head.len() - tail.len();
    let body = format!("{head}{}{tail}", repeated(item, room));
    assert!(
        body.len() <= size && body.len() + item.len() + 2 >= size,
        "{}",
        body.len()
    );
    body
}

/// A transcript of distinct keys, each with a NUL character.
fn keys_with_nul(size: usize) -> String {
    let mut body = String::from(r#"{"transcript":{"#);
    for i in 0.. {
        let entry = format!(r#""\u0000{i}":0,"#);
        if body.len() + entry.len() + 2 > size {
            break;
        }
        body.push_str(&entry);
    }
    body.pop();
    body.push_str("}}");
    body
}

/// Each body, of about `size` bytes, and the status it must get. Key lengths grow with the
/// size, as an attacker would choose them.
fn hostile_bodies(size: usize) -> Vec<(&'static str, String, u16)> {
    let key = "k".repeat(size * 3 / 10);
    // 64 levels of objects (the most allowed), each under a long key, with an array of NUL
    // strings at the bottom: every finding's path is most of the body.
    let deep_head = format!(
        r#"{{"transcript":{}"#,
        format!(r#"{{"{}":"#, "d".repeat(size / 70)).repeat(62)
    );
    let deep_tail = format!("]{}}}", "}".repeat(62));
    vec![
        (
            "long key over numbers, wrong summary",
            fill(
                size,
                &format!(r#"{{"summary":5,"transcript":{{"{key}":["#),
                "0",
                "]}}",
            ),
            400,
        ),
        (
            "long key over NUL strings",
            fill(
                size,
                &format!(r#"{{"transcript":{{"{key}":["#),
                r#""\u0000""#,
                "]}}",
            ),
            400,
        ),
        (
            "array of NUL strings",
            fill(size, r#"{"transcript":{"t":["#, r#""\u0000""#, "]}}"),
            400,
        ),
        ("keys with NUL", keys_with_nul(size), 400),
        (
            "64 levels of long keys over NUL strings",
            fill(size, &format!("{deep_head}["), r#""\u0000""#, &deep_tail),
            400,
        ),
        (
            "arrays 100 levels deep, repeated",
            fill(
                size,
                r#"{"transcript":{"a":["#,
                &format!("{}{}", "[".repeat(100), "]".repeat(100)),
                "]}}",
            ),
            400,
        ),
        (
            "arrays nested as deep as the body allows",
            format!(
                r#"{{"transcript":{{"a":{}{}}}}}"#,
                "[".repeat(size / 2 - 20),
                "]".repeat(size / 2 - 20)
            ),
            400,
        ),
        (
            "long keys over empty arrays, wrong summary",
            fill(
                size,
                r#"{"transcript":{"a":["#,
                &format!(r#"{{"{}":[]}}"#, "k".repeat(size / 1000)),
                "]},\"summary\":[]}",
            ),
            400,
        ),
    ]
}

async fn post(app: &TestApp, body: &str) -> (u16, Duration) {
    let started = Instant::now();
    let resp = app
        .post("/api/conversations")
        .header("content-type", "application/json")
        .raw(body.as_bytes().to_vec())
        .send()
        .await;
    (resp.status, started.elapsed())
}

async fn read(app: &TestApp) -> Duration {
    let started = Instant::now();
    app.get("/api/services").send().await.expect(200);
    started.elapsed()
}

/// The best answer time and the best delay of a concurrent read for `body`.
async fn measure(app: &TestApp, name: &str, body: &str, status: u16) -> (Duration, Duration) {
    let mut answer = Duration::MAX;
    let mut delay = Duration::MAX;
    for _ in 0..TRIES {
        let (got, took) = post(app, body).await;
        assert_eq!(got, status, "{name}");
        // Far too slow is a failure at once: the next shapes could take minutes, and
        // gigabytes, where the work is not linear.
        assert!(
            took < ANSWER_LIMIT * 2,
            "{name}: {} bytes answered in {:.1} ms",
            body.len(),
            took.as_secs_f64() * 1e3
        );
        answer = answer.min(took);
        // The read alone, then beside the body: both on this one thread, as in the local
        // server, so whatever the body holds the thread for, the read waits.
        let alone = read(app).await;
        let (beside, _) = tokio::join!(read(app), post(app, body));
        delay = delay.min(beside.saturating_sub(alone));
    }
    (answer, delay)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::test]
async fn hostile_bodies_are_answered_quickly_and_do_not_hold_up_reads() {
    let app = TestApp::spawn().await;
    let mut failures = Vec::new();
    let small = hostile_bodies(MIB / 8);
    for ((name, body, status), (_, small_body, _)) in hostile_bodies(MIB).into_iter().zip(small) {
        let (small_answer, _) = measure(&app, name, &small_body, status).await;
        let (answer, delay) = measure(&app, name, &body, status).await;
        println!(
            "{name}: {} bytes answered in {:.1} ms ({} bytes in {:.1} ms), a concurrent read \
             delayed {:.1} ms (best of {TRIES})",
            body.len(),
            ms(answer),
            small_body.len(),
            ms(small_answer),
            ms(delay),
        );
        // Linear work grows 8-fold from an eighth of the size (somewhat more once the parsed
        // body outgrows the caches); quadratic work 64-fold.
        let linear = answer <= small_answer * 32 + Duration::from_millis(5);
        if answer > ANSWER_LIMIT || delay > DELAY_LIMIT || !linear {
            failures.push(name);
        }
    }
    assert!(
        failures.is_empty(),
        "too slow (limits {:.0} ms to answer, {:.0} ms of delay, growth at most 32-fold): {failures:?}",
        ms(ANSWER_LIMIT),
        ms(DELAY_LIMIT)
    );
    assert_eq!(
        app.count("SELECT count(*) FROM conversations", &[]).await,
        0
    );
}
