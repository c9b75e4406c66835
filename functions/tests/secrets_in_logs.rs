//! No log level prints a password, a token, a cookie or an agent key: the real Lambda binaries
//! run behind a minimal Runtime API on loopback (as in bench/lambda_harness.py), at every level
//! from error to trace, and everything they write is searched for the secrets they were sent.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const JWT_SECRET: &str = "secrets-in-logs-test-secret-of-at-least-32-bytes";
const PASSWORD: &str = "pw-Secret-4711-in-logs";
const OTHER_COOKIE: &str = "cookie-secret-0815-in-logs";
const AGENT_KEY: &str = "bk_agentkey0815secretinlogs";
const LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

/// A Runtime API that hands out `events` in turn and reports each answer (`response` or
/// `error`, and its body).
async fn runtime_api(events: Vec<Value>) -> (SocketAddr, mpsc::UnboundedReceiver<(String, Value)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let queue = Arc::new(Mutex::new(VecDeque::from(events)));
    let (answers, answered) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let ids = Arc::new(Mutex::new(0u32));
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (queue, answers, ids) = (queue.clone(), answers.clone(), ids.clone());
            let service = service_fn(move |req: hyper::Request<Incoming>| {
                let (queue, answers, ids) = (queue.clone(), answers.clone(), ids.clone());
                async move {
                    let path = req.uri().path().to_string();
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    if path.ends_with("/invocation/next") {
                        let event = queue.lock().unwrap().pop_front();
                        // Nothing left: the function waits here until the test stops it.
                        let Some(event) = event else {
                            std::future::pending::<()>().await;
                            unreachable!()
                        };
                        let id = {
                            let mut ids = ids.lock().unwrap();
                            *ids += 1;
                            format!("request-{}", *ids)
                        };
                        let deadline = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_millis()
                            + 30_000;
                        let event = match event {
                            // A raw string is sent as is (a malformed event).
                            Value::String(raw) => raw,
                            other => other.to_string(),
                        };
                        return Ok::<_, Infallible>(
                            hyper::Response::builder()
                                .header("lambda-runtime-aws-request-id", id)
                                .header("lambda-runtime-deadline-ms", deadline.to_string())
                                .header(
                                    "lambda-runtime-invoked-function-arn",
                                    "arn:aws:lambda:us-east-1:000000000000:function:logs",
                                )
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(event)))
                                .unwrap(),
                        );
                    }
                    let kind = path.rsplit('/').next().unwrap_or_default().to_string();
                    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let _ = answers.send((kind, body));
                    Ok(hyper::Response::builder()
                        .status(202)
                        .body(Full::new(Bytes::from_static(b"{}")))
                        .unwrap())
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    (addr, answered)
}

/// Runs `binary` at `level` on `events`; returns its answers and everything it wrote.
async fn invoke(
    binary: &str,
    level: &str,
    database_url: &str,
    events: Vec<Value>,
) -> (Vec<(String, Value)>, String) {
    let count = events.len();
    let (addr, mut answered) = runtime_api(events).await;
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "logs")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_LAMBDA_LOG_LEVEL", level)
        .env("JWT_SECRET", JWT_SECRET)
        .env("BCRYPT_COST", "4")
        .env("DATABASE_URL", database_url)
        .env("DB_SSLMODE", "disable")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut answers = Vec::new();
    for _ in 0..count {
        let answer = tokio::time::timeout(Duration::from_secs(60), answered.recv())
            .await
            .unwrap_or_else(|_| panic!("{binary} at {level}: no answer within 60 s"))
            .expect("runtime API stopped");
        answers.push(answer);
    }
    child.start_kill().unwrap();
    let output = child.wait_with_output().await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (answers, text)
}

/// An API Gateway (HTTP API, payload 2.0) event.
fn event(
    method: &str,
    path: &str,
    headers: Value,
    cookies: &[String],
    body: Option<Value>,
) -> Value {
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": "abc123defg.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123defg",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "test"},
            "requestId": "logs-request",
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "01/Jan/2026:12:00:00 +0000",
            "timeEpoch": 1767268800000i64
        },
        "isBase64Encoded": false
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
    }
    event
}

/// The token of a register or login answer.
fn token_of(answer: &(String, Value)) -> String {
    assert_eq!(answer.0, "response", "{answer:?}");
    let body: Value = serde_json::from_str(answer.1["body"].as_str().unwrap()).unwrap();
    body["data"]["token"].as_str().unwrap().to_string()
}

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target")
}

#[tokio::test]
async fn no_log_level_prints_a_password_a_token_a_cookie_or_an_agent_key() {
    let external = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let (_cluster, admin_url) = match external {
        Some(url) => (None, url),
        None => {
            let cluster = devdb::Cluster::start(devdb::ClusterOptions::new(
                target_dir().join("devdb"),
                "logs",
            ))
            .await
            .unwrap();
            let url = cluster.url("postgres");
            (Some(cluster), url)
        }
    };
    let database = format!("logs_{}", std::process::id());
    devdb::drop_database(&admin_url, &database).await.unwrap();
    devdb::create_database(&admin_url, &database).await.unwrap();
    let database_url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{database}"),
        None => panic!("no database in {admin_url}"),
    };
    let (mut client, connection) = tokio_postgres::connect(&database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    common::db::migrate::run(&mut client).await.unwrap();

    let json_headers = json!({"content-type": "application/json", "host": "abc123defg.execute-api.us-east-1.amazonaws.com"});
    for level in LEVELS {
        let email = format!("logs-{level}@example.com");
        let credentials = json!({"email": email, "password": PASSWORD});
        let mut secrets = vec![
            PASSWORD.to_string(),
            OTHER_COOKIE.to_string(),
            AGENT_KEY.to_string(),
        ];
        let mut outputs = Vec::new();

        // Registration, then a malformed event that still carries the password: the runtime
        // logs its refusal at ERROR, which shows the output is captured at every level.
        let malformed = Value::String(format!(r#"{{"body": "{{\"password\":\"{PASSWORD}\"}}", "#));
        let (answers, output) = invoke(
            env!("CARGO_BIN_EXE_auth-register"),
            level,
            &database_url,
            vec![
                event(
                    "POST",
                    "/api/auth/register",
                    json_headers.clone(),
                    &[],
                    Some(credentials.clone()),
                ),
                malformed,
            ],
        )
        .await;
        let bearer = token_of(&answers[0]);
        assert_eq!(answers[1].0, "error", "{:?}", answers[1]);
        assert!(
            output.contains("deserialization"),
            "{level}: output not captured: {output}"
        );
        outputs.push(("auth-register", output));

        let (answers, output) = invoke(
            env!("CARGO_BIN_EXE_auth-login"),
            level,
            &database_url,
            vec![event(
                "POST",
                "/api/auth/login",
                json_headers.clone(),
                &[],
                Some(credentials),
            )],
        )
        .await;
        let cookie_token = token_of(&answers[0]);
        assert_ne!(bearer, cookie_token);
        outputs.push(("auth-login", output));

        let cookies = [
            format!("token={cookie_token}"),
            format!("other={OTHER_COOKIE}"),
        ];
        let signed_in = json!({"authorization": format!("Bearer {bearer}"), "host": "abc123defg.execute-api.us-east-1.amazonaws.com"});
        let (answers, output) = invoke(
            env!("CARGO_BIN_EXE_auth-me"),
            level,
            &database_url,
            vec![event(
                "GET",
                "/api/auth/me",
                signed_in.clone(),
                &cookies,
                None,
            )],
        )
        .await;
        assert_eq!(answers[0].1["statusCode"], 200, "{:?}", answers[0]);
        outputs.push(("auth-me", output));

        let (_, output) = invoke(
            env!("CARGO_BIN_EXE_authorizer"),
            level,
            &database_url,
            vec![event("GET", "/api/auth/me", signed_in, &cookies, None)],
        )
        .await;
        outputs.push(("authorizer", output));

        let agent = json!({"authorization": format!("Bearer {AGENT_KEY}"), "content-type": "application/json", "host": "abc123defg.execute-api.us-east-1.amazonaws.com"});
        let (answers, output) = invoke(
            env!("CARGO_BIN_EXE_conversations"),
            level,
            &database_url,
            vec![event(
                "POST",
                "/api/conversations",
                agent,
                &cookies,
                Some(json!({"transcript": {}})),
            )],
        )
        .await;
        assert_eq!(answers[0].0, "response", "{:?}", answers[0]);
        outputs.push(("conversations", output));

        // A token also counts as printed if only its signature is.
        for token in [&bearer, &cookie_token] {
            secrets.push(token.to_string());
            secrets.push(token.rsplit('.').next().unwrap().to_string());
        }
        for (binary, output) in &outputs {
            for secret in &secrets {
                assert!(
                    !output.contains(secret.as_str()),
                    "{binary} at {level} printed {secret:?}:\n{output}"
                );
            }
        }
        println!(
            "{level}: {} bytes of logs searched",
            outputs.iter().map(|(_, o)| o.len()).sum::<usize>()
        );
    }
    drop(client);
    if _cluster.is_none() {
        let _ = devdb::drop_database(&admin_url, &database).await;
    }
}
