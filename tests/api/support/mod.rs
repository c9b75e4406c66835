//! Test support: a real PostgreSQL (a throwaway cluster, or TEST_DATABASE_URL), a database per
//! test cloned from a migrated template, and requests sent through the same in-process app as
//! `cargo run`, so a test reads like the contract it checks.

pub mod http;
pub mod routes;
pub mod startup_guard;

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::OnceLock;

use common::AppState;
use serde_json::{Value, json};
use uuid::Uuid;

pub use self::http::{RequestBuilder, TestResponse};

pub const TEST_SECRET: &str = "test-secret-that-is-long-enough-for-hs256!!";
const PLAIN_TEMPLATE: &str = "booking_template";
const SEEDED_TEMPLATE: &str = "booking_template_seeded";
/// Set on the API's role when the tests run on an existing server (TEST_DATABASE_URL), which
/// may not trust local connections as the throwaway cluster does.
const APP_ROLE_TEST_PASSWORD: &str = "booking-app-test-password";

/// The server every test of this process uses.
struct Shared {
    admin_url: String,
    /// Databases are named after the template; an external server may be shared by runs.
    prefix: String,
    external: bool,
    /// Where the API under test connects: the server, behind a guard that refuses startup
    /// options as RDS Proxy does.
    guard: std::net::SocketAddr,
    /// Stops with the process (devdb ties the server's life to ours).
    cluster: Option<std::sync::Mutex<devdb::Cluster>>,
}

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target")
}

async fn migrate_and_maybe_seed(url: &str, seed: bool) -> anyhow::Result<()> {
    booking_api::local::migrate(url).await?;
    if seed {
        booking_api::local::seed(url).await?;
    }
    Ok(())
}

async fn init() -> anyhow::Result<Shared> {
    let (admin_url, prefix, external, cluster) = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let prefix = format!("t{}_", std::process::id());
            (url, prefix, true, None)
        }
        _ => {
            let cluster = devdb::Cluster::start(devdb::ClusterOptions::new(
                target_dir().join("devdb"),
                "tests",
            ))
            .await?;
            (cluster.url("postgres"), String::new(), false, Some(cluster))
        }
    };
    let upstream = tokio_postgres::Config::from_str(&admin_url)?;
    let host = match upstream.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        _ => anyhow::bail!("the test database server must be reached over TCP"),
    };
    let port = upstream.get_ports().first().copied().unwrap_or(5432);
    let guard = startup_guard::start(format!("{host}:{port}"));
    let url_for = |db: &str| replace_database(&admin_url, db);
    for (name, seed) in [(PLAIN_TEMPLATE, false), (SEEDED_TEMPLATE, true)] {
        let name = format!("{prefix}{name}");
        devdb::drop_database(&admin_url, &name).await?;
        devdb::create_database(&admin_url, &name).await?;
        migrate_and_maybe_seed(&url_for(&name), seed).await?;
    }
    if external {
        let (client, connection) =
            tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await?;
        let task = tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "ALTER ROLE {} PASSWORD '{APP_ROLE_TEST_PASSWORD}'",
                common::db::migrate::APP_ROLE
            ))
            .await?;
        drop(client);
        let _ = task.await;
    }
    Ok(Shared {
        admin_url,
        prefix,
        external,
        guard,
        cluster: cluster.map(std::sync::Mutex::new),
    })
}

/// `url` with its host and port replaced by `address`.
pub fn replace_address(url: &str, address: std::net::SocketAddr) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    let host_start = url[scheme_end..authority_end]
        .rfind('@')
        .map_or(scheme_end, |i| scheme_end + i + 1);
    format!("{}{address}{}", &url[..host_start], &url[authority_end..])
}

/// `url` with its database name replaced.
pub fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{database}?{q}"),
        None => format!("{host_part}/{database}"),
    }
}

/// `url` (a test database as the superuser) as the API's own role, the one handlers use: a
/// statement needing a privilege the migrations did not grant fails its test.
pub fn app_role_url(url: &str) -> String {
    let app = booking_api::local::app_role_url(url);
    if !shared().external {
        return app;
    }
    let role = common::db::migrate::APP_ROLE;
    app.replacen(
        &format!("{role}@"),
        &format!("{role}:{APP_ROLE_TEST_PASSWORD}@"),
        1,
    )
}

impl Shared {
    /// What the throwaway server logged about a crash, and its last lines.
    fn server_log(&self) -> String {
        let Some(cluster) = &self.cluster else {
            return String::new();
        };
        let cluster = cluster
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        format!("PostgreSQL's log:\n{}", cluster.log_tail())
    }
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        // Its own thread and runtime: the cluster must not belong to one test's runtime.
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(init())
                .expect("test database server could not be prepared")
        })
        .join()
        .expect("test database setup panicked")
    })
}

/// Environment-style settings for a test app; everything not set here takes the defaults.
fn base_settings(database_url: &str) -> HashMap<String, String> {
    [
        ("JWT_SECRET", TEST_SECRET),
        // Cost 4 keeps tests fast; the timing-equality logic does not depend on the cost.
        ("BCRYPT_COST", "4"),
        ("DATABASE_URL", database_url),
        ("DB_SSLMODE", "disable"),
        ("DB_POOL_SIZE", "8"),
        ("ALLOWED_ORIGINS", "https://app.example.com"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub struct TestAppBuilder {
    settings: Vec<(String, String)>,
    seeded: bool,
    locale: Option<&'static str>,
}

/// UTF-8 database locales whose `lower()` folds non-ASCII letters, as `CREATE DATABASE`
/// options: glibc's C.UTF-8 (the libc provider, like RDS's en_US.UTF-8) and ICU's root locale.
/// The test cluster itself uses the C locale, whose `lower()` folds ASCII only.
pub const UTF8_LOCALES: [&str; 2] = [
    "LOCALE 'C.UTF-8'",
    "LOCALE_PROVIDER icu ICU_LOCALE 'und' LOCALE 'C'",
];

impl TestAppBuilder {
    /// Overrides one environment setting (e.g. a rate limit).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.settings.push((key.into(), value.into()));
        self
    }

    /// `size` pooled connections, each taking up to `depth` requests at a time.
    pub fn connections(self, size: usize, depth: usize) -> Self {
        self.env("DB_POOL_SIZE", &size.to_string())
            .env("DB_PIPELINE_DEPTH", &depth.to_string())
    }

    /// Starts from the seed data of `cargo run` instead of an empty schema.
    pub fn seeded(mut self) -> Self {
        self.seeded = true;
        self
    }

    /// A database of its own, UTF-8 with these `CREATE DATABASE` locale options (e.g. one of
    /// [`UTF8_LOCALES`]), created from template0 and migrated, instead of a clone of the
    /// template (a clone keeps the template's locale). `None` when this server lacks the locale.
    pub async fn spawn_with_locale(mut self, options: &'static str) -> Option<TestApp> {
        self.locale = Some(options);
        self.try_spawn().await
    }

    pub async fn spawn(self) -> TestApp {
        self.try_spawn().await.expect("test database")
    }

    async fn try_spawn(self) -> Option<TestApp> {
        let shared = shared();
        let template = format!(
            "{}{}",
            shared.prefix,
            if self.seeded {
                SEEDED_TEMPLATE
            } else {
                PLAIN_TEMPLATE
            }
        );
        let database = format!("{}test_{}", shared.prefix, Uuid::new_v4().simple());
        let database_url = replace_database(&shared.admin_url, &database);
        match self.locale {
            None => {
                if let Err(err) =
                    devdb::clone_database(&shared.admin_url, &template, &database).await
                {
                    panic!("clone test database: {err:?}\n{}", shared.server_log());
                }
            }
            Some(options) => {
                let (admin, conn) =
                    tokio_postgres::connect(&shared.admin_url, tokio_postgres::NoTls)
                        .await
                        .expect("connect to the test server");
                tokio::spawn(conn);
                let create = format!(
                    "CREATE DATABASE \"{database}\" TEMPLATE template0 ENCODING 'UTF8' {options}"
                );
                if let Err(err) = admin.batch_execute(&create).await {
                    eprintln!("no database with {options} on this server: {err}");
                    return None;
                }
                migrate_and_maybe_seed(&database_url, self.seeded)
                    .await
                    .expect("migrate test database");
            }
        }
        let mut settings =
            base_settings(&replace_address(&app_role_url(&database_url), shared.guard));
        settings.extend(self.settings);
        let source = |k: &str| settings.get(k).cloned();
        let state = booking_api::shared::state(&source).expect("test state");
        Some(TestApp::new(state, database, database_url))
    }
}

/// One test's API, on its own database.
pub struct TestApp {
    pub state: AppState,
    pub database: String,
    pub database_url: String,
    /// Built once, like the local server's: what a function keeps between requests stays.
    pub router: axum::Router,
}

impl TestApp {
    pub fn new(state: AppState, database: String, database_url: String) -> Self {
        Self {
            router: booking_api::server::app(state.clone()),
            state,
            database,
            database_url,
        }
    }
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub user_id: Uuid,
    pub email: String,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            settings: Vec::new(),
            seeded: false,
            locale: None,
        }
    }

    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    pub fn request(&self, method: ::http::Method, path: &str) -> RequestBuilder<'_> {
        RequestBuilder::new(self, method, path)
    }

    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        self.request(::http::Method::GET, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder<'_> {
        self.request(::http::Method::POST, path)
    }

    pub fn put(&self, path: &str) -> RequestBuilder<'_> {
        self.request(::http::Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> RequestBuilder<'_> {
        self.request(::http::Method::DELETE, path)
    }

    /// The address the API connects to: the guard in front of the test server.
    pub fn guard(&self) -> std::net::SocketAddr {
        shared().guard
    }

    /// A direct connection as the superuser, for arranging data and checking what was stored.
    pub async fn sql(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.database_url, tokio_postgres::NoTls)
            .await
            .expect("connect to test database");
        tokio::spawn(conn);
        client
    }

    /// Registers a new user and returns its session.
    pub async fn register(&self, email: &str, password: &str) -> Session {
        let resp = self
            .post("/api/auth/register")
            .json(json!({"email": email, "password": password, "name": "Test Person"}))
            .send()
            .await;
        assert_eq!(resp.status, 201, "register {email}: {}", resp.body);
        Session {
            token: resp.data()["token"].as_str().expect("token").to_string(),
            user_id: resp.data()["user"]["id"]
                .as_str()
                .expect("id")
                .parse()
                .expect("uuid"),
            email: email.to_string(),
        }
    }

    /// A fresh USER.
    pub async fn user(&self) -> Session {
        let email = format!("user-{}@example.com", Uuid::new_v4().simple());
        self.register(&email, "password123").await
    }

    /// A fresh ADMIN: registered as a user (register never grants more), then promoted in the
    /// database. Its token still says USER: the database's role is the one that counts.
    pub async fn admin(&self) -> Session {
        let session = self.user().await;
        self.sql()
            .await
            .execute(
                "UPDATE users SET role = 'ADMIN' WHERE id = $1",
                &[&session.user_id],
            )
            .await
            .expect("promote admin");
        session
    }

    /// Inserts a service directly and returns its id.
    pub async fn service(&self, name: &str, duration: i32, active: bool) -> Uuid {
        self.sql()
            .await
            .query_one(
                "INSERT INTO services (name, duration, price, is_active) VALUES ($1, $2, 10.00, $3) RETURNING id",
                &[&name, &duration, &active],
            )
            .await
            .expect("insert service")
            .get(0)
    }

    /// `who` asks for `service` at `at` for `duration` minutes.
    pub async fn book(
        &self,
        who: &Session,
        service: impl serde::Serialize,
        at: impl AsRef<str>,
        duration: impl serde::Serialize,
    ) -> TestResponse {
        let body = json!({"serviceId": service, "scheduledAt": at.as_ref(), "duration": duration});
        self.post("/api/bookings").as_(who).json(body).send().await
    }

    /// Books `service` for `who` at `at` and returns the booking's id.
    pub async fn booking(&self, who: &Session, service: Uuid, at: &str, duration: i32) -> String {
        let resp = self.book(who, service, at, duration).await;
        resp.expect(201);
        resp.data()["id"].as_str().expect("booking id").to_string()
    }

    /// A login attempt.
    pub async fn login(&self, email: impl AsRef<str>, password: impl AsRef<str>) -> TestResponse {
        let body = json!({"email": email.as_ref(), "password": password.as_ref()});
        self.post("/api/auth/login").json(body).send().await
    }

    /// Statements sent by handlers so far.
    pub fn statements(&self) -> u64 {
        self.state.statements.get()
    }

    /// One row count from the database.
    /// Process ids of the PostgreSQL backends serving the app's own connections.
    pub async fn backends(&self) -> Vec<i32> {
        self.sql()
            .await
            .query(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                 AND application_name = 'booking-api' ORDER BY pid",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    pub async fn count(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> i64 {
        self.sql()
            .await
            .query_one(sql, params)
            .await
            .expect("count query")
            .get(0)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Without this a run leaves every clone behind (about 2 GB for this suite), and a full
        // disk stops PostgreSQL for every test still running.
        let shared = shared();
        let admin = shared.admin_url.clone();
        let database = self.database.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                let _ = rt.block_on(devdb::drop_database(&admin, &database));
            }
        })
        .join();
    }
}

/// Every protected (method, path), for a caller who is `session` and owns `booking` and
/// `project`: the routes a signed-in caller needs, and a project's bookings, which its agent
/// key reaches too.
pub fn protected_routes(
    session: &Session,
    booking: &str,
    project: &str,
) -> Vec<(::http::Method, String)> {
    use ::http::Method;
    vec![
        (Method::GET, "/api/auth/me".into()),
        (Method::PUT, "/api/auth/password".into()),
        (Method::GET, "/api/bookings".into()),
        (Method::POST, "/api/bookings".into()),
        (Method::GET, format!("/api/bookings/{booking}")),
        (Method::PUT, format!("/api/bookings/{booking}")),
        (Method::DELETE, format!("/api/bookings/{booking}")),
        (Method::POST, "/api/services".into()),
        (Method::GET, format!("/api/users/{}", session.user_id)),
        (Method::PUT, format!("/api/users/{}", session.user_id)),
        (Method::GET, "/api/conversations".into()),
        (Method::GET, "/api/projects".into()),
        (Method::POST, "/api/projects".into()),
        (Method::GET, format!("/api/projects/{project}")),
        (Method::PUT, format!("/api/projects/{project}")),
        (Method::DELETE, format!("/api/projects/{project}")),
        (Method::GET, format!("/api/projects/{project}/bookings")),
        (Method::POST, format!("/api/projects/{project}/bookings")),
        (Method::GET, format!("/api/projects/{project}/keys")),
        (Method::POST, format!("/api/projects/{project}/keys")),
        (
            Method::DELETE,
            format!("/api/projects/{project}/keys/{}", Uuid::new_v4()),
        ),
    ]
}

/// A time `days` from now at a fixed minute, as the API writes timestamps.
pub fn future(days: i64, hour: u32) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(days);
    format!("{day}T{hour:02}:00:00.000Z")
}

/// Asserts a JSON value is the contract's envelope and returns it.
pub fn assert_envelope(status: u16, body: &Value) {
    let success = body["success"]
        .as_bool()
        .unwrap_or_else(|| panic!("no `success` in {body}"));
    assert_eq!(
        success,
        status < 400,
        "success flag vs status {status}: {body}"
    );
    if success {
        assert!(body.get("data").is_some(), "success without data: {body}");
    } else {
        assert!(
            body["error"].is_string(),
            "failure without error text: {body}"
        );
    }
}
