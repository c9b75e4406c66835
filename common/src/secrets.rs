//! Secrets read once at start-up from AWS Secrets Manager, through the local HTTP endpoint of
//! the AWS Parameters and Secrets Lambda extension (a layer): the values never sit in the
//! function's environment, where `lambda:GetFunctionConfiguration` would show them, and no AWS
//! SDK is linked for it (hyper's HTTP/1 client is already in every binary for the runtime API).
//!
//! `JWT_SECRET_ID` and `DB_PASSWORD_SECRET_ID` name the secrets; `JWT_SECRET` and `DB_PASSWORD`
//! still give the values directly, for local use. Setting both of a pair is refused.

use std::time::{Duration, Instant};

use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::config::Source;

/// The extension's port unless `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` says otherwise.
const DEFAULT_PORT: u16 = 2773;
/// The extension refuses requests without the function's session token (an SSRF guard).
const TOKEN_HEADER: &str = "X-Aws-Parameters-Secrets-Token";
/// Longest wait for one secret: a cache miss costs the extension a Secrets Manager call, and
/// early in init the extension may not listen yet. Lambda's init phase allows 10 s.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const RETRY_PAUSE: Duration = Duration::from_millis(10);
/// A secret's answer is small; anything bigger is not the extension.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// How a secret's value sits in its `SecretString`.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// The whole string is the value (the JWT signing key).
    Whole,
    /// JSON with a `password` key, the shape of RDS-managed secrets; a plain string is taken whole.
    Password,
}

/// (variable holding the value, variable naming the secret, shape).
const SECRETS: [(&str, &str, Shape); 2] = [
    ("JWT_SECRET", "JWT_SECRET_ID", Shape::Whole),
    ("DB_PASSWORD", "DB_PASSWORD_SECRET_ID", Shape::Password),
];

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("set {value} or {id}, not both")]
    Both {
        value: &'static str,
        id: &'static str,
    },
    #[error("{0} needs AWS_SESSION_TOKEN (the extension runs on Lambda only)")]
    NoSessionToken(&'static str),
    #[error("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT={0:?} is not a port")]
    Port(String),
    #[error("secret {id:?} ({var}): the extension did not answer within {after:?}: {last}")]
    Unreachable {
        var: &'static str,
        id: String,
        after: Duration,
        last: String,
    },
    #[error("secret {id:?} ({var}): the extension answered {status}: {message}")]
    Refused {
        var: &'static str,
        id: String,
        status: StatusCode,
        message: String,
    },
    #[error("secret {id:?} ({var}): {problem}")]
    Malformed {
        var: &'static str,
        id: String,
        problem: &'static str,
    },
}

/// The environment with the fetched secrets in place of their `*_ID` variables.
pub struct WithSecrets<'a> {
    base: &'a dyn Source,
    fetched: Vec<(&'static str, SecretString)>,
}

impl Source for WithSecrets<'_> {
    fn get(&self, key: &str) -> Option<String> {
        match self.fetched.iter().find(|(k, _)| *k == key) {
            Some((_, value)) => Some(value.expose_secret().to_string()),
            None => self.base.get(key),
        }
    }
}

/// Fetches every secret whose `*_ID` variable is set; the others come from `base` unchanged.
pub async fn resolve(base: &dyn Source) -> Result<WithSecrets<'_>, SecretError> {
    let mut fetched = Vec::new();
    for (value_var, id_var, shape) in SECRETS {
        let Some(id) = base.get(id_var) else {
            continue;
        };
        if base.get(value_var).is_some() {
            return Err(SecretError::Both {
                value: value_var,
                id: id_var,
            });
        }
        let token = base
            .get("AWS_SESSION_TOKEN")
            .ok_or(SecretError::NoSessionToken(id_var))?;
        let port = match base.get("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT") {
            None => DEFAULT_PORT,
            Some(raw) => raw.trim().parse().map_err(|_| SecretError::Port(raw))?,
        };
        let string = fetch(port, &token, id_var, id.trim()).await?;
        let value = match shape {
            Shape::Whole => string,
            Shape::Password => password_of(string).map_err(|problem| SecretError::Malformed {
                var: id_var,
                id: id.clone(),
                problem,
            })?,
        };
        fetched.push((value_var, value));
    }
    Ok(WithSecrets { base, fetched })
}

fn password_of(string: SecretString) -> Result<SecretString, &'static str> {
    #[derive(Deserialize)]
    struct WithPassword {
        password: Option<String>,
    }
    if !string.expose_secret().trim_start().starts_with('{') {
        return Ok(string);
    }
    let parsed: WithPassword = serde_json::from_str(string.expose_secret())
        .map_err(|_| "its SecretString is not valid JSON")?;
    parsed
        .password
        .map(SecretString::from)
        .ok_or("its SecretString has no `password` key")
}

/// `GET /secretsmanager/get?secretId=...`, again while the extension is not up yet.
async fn fetch(
    port: u16,
    token: &str,
    var: &'static str,
    id: &str,
) -> Result<SecretString, SecretError> {
    let started = Instant::now();
    let path = format!("/secretsmanager/get?secretId={}", percent_encode(id));
    loop {
        let outcome = tokio::time::timeout(
            FETCH_TIMEOUT.saturating_sub(started.elapsed()),
            get(port, &path, token),
        )
        .await;
        let last = match outcome {
            Ok(Ok((status, body))) if status.is_success() => return secret_string(var, id, &body),
            Ok(Ok((status, body))) => {
                let message = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
                // Before its first secret is asked for, the extension may still be starting.
                if !(status == StatusCode::BAD_REQUEST && message.contains("not ready")) {
                    return Err(SecretError::Refused {
                        var,
                        id: id.to_string(),
                        status,
                        message,
                    });
                }
                message
            }
            Ok(Err(err)) => err.to_string(),
            Err(_) => "timed out".to_string(),
        };
        if started.elapsed() + RETRY_PAUSE >= FETCH_TIMEOUT {
            return Err(SecretError::Unreachable {
                var,
                id: id.to_string(),
                after: FETCH_TIMEOUT,
                last,
            });
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
}

fn secret_string(var: &'static str, id: &str, body: &[u8]) -> Result<SecretString, SecretError> {
    // The extension answers with GetSecretValue's own JSON.
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "SecretString")]
        secret_string: Option<String>,
    }
    let malformed = |problem| SecretError::Malformed {
        var,
        id: id.to_string(),
        problem,
    };
    let answer: Answer = serde_json::from_slice(body)
        .map_err(|_| malformed("the answer is not GetSecretValue JSON"))?;
    answer
        .secret_string
        .map(SecretString::from)
        .ok_or_else(|| malformed("it has no SecretString (a binary secret?)"))
}

type GetError = Box<dyn std::error::Error + Send + Sync>;

/// One HTTP/1.1 GET to the extension on this host.
async fn get(port: u16, path: &str, token: &str) -> Result<(StatusCode, Bytes), GetError> {
    // Resolved here rather than on a blocking thread: `localhost` is a line of /etc/hosts, and
    // nothing else runs during init, so this spares a thread start on every cold start.
    let addresses: Vec<std::net::SocketAddr> =
        std::net::ToSocketAddrs::to_socket_addrs(&("localhost", port))?.collect();
    let stream = tokio::net::TcpStream::connect(&addresses[..]).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(connection);
    let request = Request::get(path)
        .header(header::HOST, format!("localhost:{port}"))
        .header(TOKEN_HEADER, token)
        // One request per connection: the server may close as soon as it has answered.
        .header(header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
        .collect()
        .await?
        .to_bytes();
    driver.abort();
    Ok((status, body))
}

/// A secret's name or ARN as a query value: its `/`, `:`, `+`, `=` and `@` are escaped, its
/// letters, digits, `_`, `.` and `-` kept.
fn percent_encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AuthConfig, DbConfig};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const SECRET: &str = "extension-served-secret-that-is-long-enough!";

    /// An imitation of the extension on 127.0.0.1: answers `answers` by secret id and records
    /// each request's head.
    struct Extension {
        port: u16,
        requests: Arc<Mutex<Vec<String>>>,
    }

    async fn extension(answers: HashMap<String, (u16, String)>) -> Extension {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
                seen.lock().unwrap().push(head);
                let id = target.split_once("secretId=").map_or("", |(_, id)| id);
                let (status, body) = answers
                    .get(id)
                    .cloned()
                    .unwrap_or((400, r#"{"__type":"ResourceNotFoundException"}"#.into()));
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            }
        });
        Extension { port, requests }
    }

    fn answer(secret_string: &str) -> (u16, String) {
        let body = serde_json::json!({
            "ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:booking-api/jwt-AbCdEf",
            "Name": "booking-api/jwt",
            "SecretString": secret_string,
            "VersionStages": ["AWSCURRENT"],
        });
        (200, body.to_string())
    }

    fn env(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn lambda_env(
        ext: &Extension,
        extra: &[(&str, &str)],
    ) -> impl Fn(&str) -> Option<String> + use<> {
        let mut pairs = vec![
            ("AWS_SESSION_TOKEN", "session-token-123".to_string()),
            (
                "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT",
                ext.port.to_string(),
            ),
        ];
        pairs.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        env(&pairs)
    }

    #[tokio::test]
    async fn the_jwt_secret_is_read_through_the_extension_with_the_session_token() {
        let id = "arn:aws:secretsmanager:us-east-1:000000000000:secret:booking-api/jwt-AbCdEf";
        let ext = extension(HashMap::from([(percent_encode(id), answer(SECRET))])).await;
        let base = lambda_env(&ext, &[("JWT_SECRET_ID", id)]);
        let resolved = resolve(&base).await.unwrap();
        let auth = AuthConfig::from_source(&resolved).unwrap();
        assert_eq!(auth.jwt_secret_bytes(), SECRET.as_bytes());

        let requests = ext.requests.lock().unwrap();
        assert_eq!(requests.len(), 1);
        let head = requests[0].to_ascii_lowercase();
        assert!(
            head.starts_with(&format!(
                "get /secretsmanager/get?secretid={} http/1.1\r\n",
                percent_encode(id).to_ascii_lowercase()
            )),
            "{head}"
        );
        assert!(
            head.contains("\r\nx-aws-parameters-secrets-token: session-token-123\r\n"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn the_database_password_is_the_password_key_of_an_rds_secret() {
        let rds = r#"{"username":"booking_app","password":"pa:ss/word"}"#;
        let ext = extension(HashMap::from([
            ("db-json".into(), answer(rds)),
            ("db-plain".into(), answer("plain-password")),
            ("db-nokey".into(), answer(r#"{"username":"x"}"#)),
        ]))
        .await;
        for (id, expected) in [("db-json", "pa:ss/word"), ("db-plain", "plain-password")] {
            let base = lambda_env(
                &ext,
                &[
                    ("DB_PASSWORD_SECRET_ID", id),
                    ("DB_HOST", "db.example"),
                    ("DB_NAME", "b"),
                    ("DB_USER", "booking_app"),
                ],
            );
            let resolved = resolve(&base).await.unwrap();
            let db = DbConfig::from_source(&resolved).unwrap();
            assert_eq!(db.pg.get_password(), Some(expected.as_bytes()), "{id}");
        }
        let base = lambda_env(&ext, &[("DB_PASSWORD_SECRET_ID", "db-nokey")]);
        let err = resolve(&base).await.err().unwrap();
        assert!(err.to_string().contains("no `password` key"), "{err}");
    }

    #[tokio::test]
    async fn a_missing_or_short_secret_fails_the_start() {
        let ext = extension(HashMap::from([("short".into(), answer("too-short"))])).await;
        let base = lambda_env(&ext, &[("JWT_SECRET_ID", "missing")]);
        let err = resolve(&base).await.err().unwrap();
        assert!(
            matches!(
                err,
                SecretError::Refused {
                    status: StatusCode::BAD_REQUEST,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("ResourceNotFoundException"),
            "{err}"
        );

        let base = lambda_env(&ext, &[("JWT_SECRET_ID", "short")]);
        let resolved = resolve(&base).await.unwrap();
        let err = AuthConfig::from_source(&resolved).unwrap_err();
        assert!(err.to_string().contains("at least 32"), "{err}");
    }

    #[tokio::test]
    async fn an_extension_not_yet_listening_is_waited_for_within_bounds() {
        // A port nobody listens on: refused at once, retried until the fetch timeout.
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let base = env(&[
            ("AWS_SESSION_TOKEN", "t".into()),
            ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", port.to_string()),
            ("JWT_SECRET_ID", "booking-api/jwt".into()),
        ]);
        let started = Instant::now();
        let err = resolve(&base).await.err().unwrap();
        assert!(matches!(err, SecretError::Unreachable { .. }), "{err}");
        assert!(started.elapsed() < FETCH_TIMEOUT + Duration::from_secs(2));
    }

    #[tokio::test]
    async fn the_environment_values_still_work_without_the_extension() {
        let base = env(&[
            ("JWT_SECRET", SECRET.into()),
            (
                "DATABASE_URL",
                "postgres://app:pw@db.example/booking".into(),
            ),
        ]);
        let resolved = resolve(&base).await.unwrap();
        assert_eq!(
            AuthConfig::from_source(&resolved)
                .unwrap()
                .jwt_secret_bytes(),
            SECRET.as_bytes()
        );
        assert_eq!(
            DbConfig::from_source(&resolved).unwrap().pg.get_password(),
            Some(&b"pw"[..])
        );

        let both = env(&[
            ("JWT_SECRET", SECRET.into()),
            ("JWT_SECRET_ID", "booking-api/jwt".into()),
        ]);
        let err = resolve(&both).await.err().unwrap();
        assert!(err.to_string().contains("not both"), "{err}");

        let no_token = env(&[("JWT_SECRET_ID", "booking-api/jwt".into())]);
        let err = resolve(&no_token).await.err().unwrap();
        assert!(
            matches!(err, SecretError::NoSessionToken("JWT_SECRET_ID")),
            "{err}"
        );
    }
}
