//! Property tests: arbitrary bodies, headers, query strings and events thrown at every route and
//! at the authorizer. Whatever arrives, the answer is a success or a 4xx in the envelope:
//! never a panic, never a 5xx. Case counts are fixed (and the seed derived from the test name)
//! so a run is bounded and repeatable.

use lambda_http::request::LambdaRequest;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value};

use booking_api::local::{SEED_AGENT_KEY, SEED_PROJECT};

use crate::support::TestApp;

const CASES: u32 = 1000;
/// Any path segment where an id goes: valid, malformed or empty.
const ANY_ID: &str = "[a-zA-Z0-9%._~-]{0,40}";

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        Just(Value::String("00000000-0000-4000-8000-000000000101".into())),
        Just(Value::String("2031-01-01T10:00:00.000Z".into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Mostly the contract's own field names, so values reach the validators, plus noise.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "email",
            "password",
            "name",
            "phone",
            "role",
            "serviceId",
            "scheduledAt",
            "duration",
            "notes",
            "status",
            "description",
            "price",
            "isActive",
            "transcript",
            "summary",
            "metadata",
        ])
        .prop_map(str::to_string),
        ".{0,12}",
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        prop::collection::vec(any::<u8>(), 0..200),
        ".{0,200}".prop_map(String::into_bytes),
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(Some("application/json".to_string())),
        Just(Some("application/json; charset=utf-8".to_string())),
        Just(Some("text/plain".to_string())),
        Just(None),
        "[ -~]{0,30}".prop_map(Some),
    ]
}

/// The seed's project half the time, so requests reach its handlers, else any id.
fn project_id() -> impl Strategy<Value = String> {
    prop_oneof![Just(SEED_PROJECT.to_string()), ANY_ID,]
}

fn project_tail() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["", "/availability", "/bookings", "/keys"])
            .prop_map(str::to_string),
        ANY_ID.prop_map(|id| format!("/keys/{id}")),
    ]
}

fn route() -> impl Strategy<Value = (http::Method, String)> {
    let method = prop::sample::select(vec![
        http::Method::GET,
        http::Method::POST,
        http::Method::PUT,
        http::Method::DELETE,
        http::Method::PATCH,
    ]);
    let path = prop_oneof![
        prop::sample::select(vec![
            "/api/auth/register",
            "/api/auth/login",
            "/api/auth/logout",
            "/api/auth/me",
            "/api/bookings",
            "/api/services",
            "/api/conversations",
        ])
        .prop_map(str::to_string),
        ANY_ID.prop_map(|id| format!("/api/bookings/{id}")),
        ANY_ID.prop_map(|id| format!("/api/users/{id}")),
        Just("/api/projects".to_string()),
        (project_id(), project_tail()).prop_map(|(id, tail)| format!("/api/projects/{id}{tail}")),
    ];
    let query = "[a-zA-Z0-9=&%+._-]{0,40}";
    (method, path, query).prop_map(|(m, p, q)| {
        let uri = if q.is_empty() { p } else { format!("{p}?{q}") };
        (m, uri)
    })
}

fn runner(name: &str) -> TestRunner {
    let seed: [u8; 32] = {
        let mut s = [7u8; 32];
        for (i, b) in name.bytes().enumerate() {
            s[i % 32] ^= b;
        }
        s
    };
    TestRunner::new_with_rng(
        ProptestConfig {
            cases: CASES,
            failure_persistence: None,
            ..ProptestConfig::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    )
}

#[test]
fn any_request_gets_a_success_or_a_4xx_envelope() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (app, token) = rt.block_on(async {
        let app = TestApp::builder()
            .seeded()
            .env("AUTH_ATTEMPTS_PER_ADDRESS", "100000")
            .spawn()
            .await;
        let admin = app.admin().await;
        (app, admin.token)
    });
    let strategy = (route(), body(), content_type(), any::<u8>());
    runner("requests")
        .run(&strategy, |((method, uri), body, content_type, auth)| {
            let resp = rt.block_on(async {
                let mut req = app.request(method.clone(), &uri).raw(body);
                if let Some(ct) = &content_type
                    && http::HeaderValue::from_str(ct).is_ok()
                {
                    req = req.header("content-type", ct);
                }
                req = match auth % 4 {
                    0 => req.bearer(&token),
                    1 => req.header("cookie", "token=not.a.token"),
                    2 => req.bearer(SEED_AGENT_KEY),
                    _ => req,
                };
                // TestResponse checks the envelope and JSON content type of every answer.
                req.send().await
            });
            prop_assert!(
                resp.status < 500,
                "{method} {uri}: {} {}",
                resp.status,
                resp.body
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_authorizer_answers_any_event() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(TestApp::spawn());
    let event = prop_oneof![
        json_value(),
        (json_value(), json_value(), json_value()).prop_map(|(headers, cookies, ctx)| {
            serde_json::json!({
                "version": "2.0", "type": "REQUEST", "headers": headers,
                "cookies": cookies, "requestContext": ctx,
            })
        }),
    ];
    runner("authorizer")
        .run(&event, |event| {
            let verdict = functions::authorizer::authorize(&event, &app.state.keys);
            prop_assert!(verdict["isAuthorized"].is_boolean(), "{verdict}");
            prop_assert!(verdict["context"].is_object(), "{verdict}");
            if verdict["isAuthorized"] == true {
                // Nothing random is ever a valid token.
                prop_assert_eq!(&verdict["context"]["authenticated"], &Value::Bool(false));
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_event_is_read_by_lambda_http_or_refused_without_a_panic() {
    runner("events")
        .run(&json_value(), |event| {
            // The runtime deserializes before the handler runs; a bad event is an error there.
            if let Ok(event) = serde_json::from_value::<LambdaRequest>(event) {
                let _: lambda_http::Request = event.into();
            }
            Ok(())
        })
        .unwrap();
}
