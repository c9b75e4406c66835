//! The sample events in events/, replayed as the Lambda runtime would deliver them: read by
//! lambda_http's own deserializer and handed to the router of the function named by their
//! folder, as `lambda_http::run` hands it, each on a
//! fresh copy of the seed database. The status must be the one in the file name
//! (`<case>.<status>.json`) and the body the contract's envelope. Authorizer samples are named
//! `<case>.<authenticated|anonymous>.json`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::auth::JwtKeys;
use common::config::AuthConfig;
use functions::{FUNCTIONS, Routes};
use lambda_http::request::LambdaRequest;
use serde_json::Value;
use tower::ServiceExt;

use crate::support::{TestApp, TestResponse, http::read};

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// The development secret the tokens in the events are signed with (events/dev.env).
fn dev_secret() -> String {
    let path = events_dir().join("dev.env");
    let text = std::fs::read_to_string(&path).expect("read events/dev.env");
    text.lines()
        .find_map(|line| line.trim().strip_prefix("JWT_SECRET="))
        .expect("JWT_SECRET in events/dev.env")
        .trim()
        .to_string()
}

fn dev_keys() -> JwtKeys {
    let secret = dev_secret();
    let config = AuthConfig::from_source(&|k: &str| (k == "JWT_SECRET").then(|| secret.clone()))
        .expect("development auth settings");
    JwtKeys::new(&config)
}

/// One event file: `<case>.<expectation>.json`.
struct Sample {
    name: String,
    expectation: String,
    event: Value,
}

fn samples(folder: &str) -> Vec<Sample> {
    let dir = events_dir().join(folder);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    paths.sort();
    let samples: Vec<Sample> = paths
        .iter()
        .map(|path| {
            let name = format!("{folder}/{}", file_name(path));
            let stem = name
                .strip_suffix(".json")
                .unwrap_or_else(|| panic!("{name}: events are .json files"));
            let (_, expectation) = stem
                .rsplit_once('.')
                .unwrap_or_else(|| panic!("{name}: expected <case>.<expectation>.json"));
            let text = std::fs::read_to_string(path).expect("read event");
            let event =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
            Sample {
                expectation: expectation.to_string(),
                name,
                event,
            }
        })
        .collect();
    assert!(!samples.is_empty(), "no events in events/{folder}");
    samples
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("file name")
        .to_string()
}

/// Replays every event of `function` and reports each one whose status is not its name's.
fn routes_of(binary: &str) -> Routes {
    FUNCTIONS
        .iter()
        .find(|(name, _)| *name == binary)
        .map(|(_, routes)| *routes)
        .unwrap_or_else(|| panic!("no function {binary}"))
}

async fn replay(binary: &str) {
    let secret = dev_secret();
    let mut wrong = Vec::new();
    for sample in samples(binary) {
        let expected: u16 = sample
            .expectation
            .parse()
            .unwrap_or_else(|_| panic!("{}: the name must end in .<status>.json", sample.name));
        let app = TestApp::builder()
            .seeded()
            .env("JWT_SECRET", &secret)
            .spawn()
            .await;
        let request: LambdaRequest = serde_json::from_value(sample.event)
            .unwrap_or_else(|e| panic!("{}: not an HTTP API event: {e}", sample.name));
        eprintln!("replaying {}", sample.name);
        // Checks the envelope and the content type on the way.
        let request: lambda_http::Request = request.into();
        let app = common::lambda::app(routes_of(binary)(), app.state.clone());
        let resp = app.oneshot(request).await.unwrap_or_else(|e| match e {});
        let resp = TestResponse::from(read(resp).await);
        if resp.status != expected {
            wrong.push(format!(
                "{}: {} instead of {expected}: {}",
                sample.name, resp.status, resp.body
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "events answered differently:\n{}",
        wrong.join("\n")
    );
}

macro_rules! replay_tests {
    ($($test:ident => $function:expr),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $test() {
                replay($function).await;
            }
        )*
    };
}

replay_tests! {
    auth_register_events_answer_their_status => "auth-register",
    auth_login_events_answer_their_status => "auth-login",
    auth_logout_events_answer_their_status => "auth-logout",
    auth_me_events_answer_their_status => "auth-me",
    auth_password_events_answer_their_status => "auth-password",
    bookings_events_answer_their_status => "bookings",
    booking_events_answer_their_status => "booking",
    services_events_answer_their_status => "services",
    user_events_answer_their_status => "user",
    conversations_events_answer_their_status => "conversations",
    projects_events_answer_their_status => "projects",
    project_events_answer_their_status => "project",
    project_availability_events_answer_their_status => "project-availability",
    project_bookings_events_answer_their_status => "project-bookings",
    project_keys_events_answer_their_status => "project-keys",
    project_key_events_answer_their_status => "project-key",
}

/// The `$default` route's events: what API Gateway sends when no other route matches.
#[tokio::test]
async fn not_found_events_answer_their_status() {
    for sample in samples("not-found") {
        let expected: u16 = sample
            .expectation
            .parse()
            .unwrap_or_else(|_| panic!("{}: the name must end in .<status>.json", sample.name));
        assert_eq!(
            sample.event["routeKey"], "$default",
            "{}: only unmatched requests reach this function",
            sample.name
        );
        let request: LambdaRequest = serde_json::from_value(sample.event)
            .unwrap_or_else(|e| panic!("{}: not an HTTP API event: {e}", sample.name));
        let _: lambda_http::Request = request.into();
        let resp = TestResponse::from(read(functions::not_found()).await);
        assert_eq!(resp.status, expected, "{}: {}", sample.name, resp.body);
    }
}

#[test]
fn authorizer_events_get_the_verdict_in_their_name() {
    let keys = dev_keys();
    for sample in samples("authorizer") {
        let answer = functions::authorizer::authorize(&sample.event, &keys);
        assert_eq!(
            answer["isAuthorized"],
            Value::Bool(true),
            "{}: every request goes on to the function",
            sample.name
        );
        let authenticated = match sample.expectation.as_str() {
            "authenticated" => true,
            "anonymous" => false,
            // An agent key goes on unverified, told apart by its prefix; the function checks
            // it against the database.
            "agent" => {
                assert_eq!(answer["context"]["reason"], "agent", "{}", sample.name);
                assert_eq!(
                    answer["context"]["agentKey"].as_str().map(str::len),
                    Some(64),
                    "{}: the key's SHA-256, never the key",
                    sample.name
                );
                false
            }
            other => panic!("{}: unknown expectation {other}", sample.name),
        };
        assert_eq!(
            answer["context"]["authenticated"],
            Value::Bool(authenticated),
            "{}: {answer}",
            sample.name
        );
    }
}

/// A protected route's event must carry exactly the context our authorizer gives its token,
/// or the sample would test a request API Gateway can never send.
#[test]
fn protected_events_carry_the_context_the_authorizer_gives_their_token() {
    let keys = dev_keys();
    let mut checked = 0;
    for (binary, _) in FUNCTIONS {
        for sample in samples(binary) {
            let Some(context) = sample.event["requestContext"]["authorizer"]["lambda"].as_object()
            else {
                continue;
            };
            let answer = functions::authorizer::authorize(&sample.event, &keys);
            assert_eq!(
                answer["context"].as_object(),
                Some(context),
                "{}: requestContext.authorizer.lambda differs from the authorizer's answer",
                sample.name
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no protected events found");
}

#[tokio::test]
async fn migrate_event_runs_the_embedded_migrations() {
    let app = TestApp::spawn().await;
    // Migrations run as the owner (the test database's superuser URL), not as the API's role.
    let owner = common::config::DbConfig::from_source(&|k: &str| match k {
        "DATABASE_URL" => Some(app.database_url.clone()),
        "DB_SSLMODE" => Some("disable".to_string()),
        _ => None,
    })
    .expect("owner's database settings");
    assert!(
        functions::migrate::run(&app.state.config.db).await.is_err(),
        "the API's role must not be able to run migrations"
    );
    for sample in samples("migrate") {
        let report = functions::migrate::run(&owner)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", sample.name));
        assert_eq!(
            report["applied"],
            serde_json::json!([]),
            "{}: the test database is migrated already",
            sample.name
        );
        assert!(
            report["known"].as_array().is_some_and(|k| !k.is_empty()),
            "{}: {report}",
            sample.name
        );
    }
}

#[test]
fn every_event_folder_names_a_function_and_every_function_has_events() {
    let folders: BTreeSet<String> = std::fs::read_dir(events_dir())
        .expect("read events/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .map(|p| file_name(&p))
        .collect();
    let mut binaries: BTreeSet<String> = FUNCTIONS
        .iter()
        .map(|(binary, _)| binary.to_string())
        .collect();
    binaries.extend(["authorizer", "migrate", "not-found"].map(String::from));
    assert_eq!(folders, binaries);
}
