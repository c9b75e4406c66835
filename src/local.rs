//! `cargo run`: the whole API on one local port. With `DATABASE_URL` unset it starts a
//! throwaway PostgreSQL under `target/`, migrates and seeds it, and removes it on Ctrl-C; with
//! `DATABASE_URL` set it migrates that database and leaves its data alone. Either way it
//! migrates as the URL's user (the owner) and serves as the API's own role, as Lambda does.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use common::config::{Environment, Source};
use tokio::net::TcpListener;

use crate::server;

const SEED: &str = include_str!("seed.sql");
/// The seed's project and the development agent key whose hash the seed stores.
pub const SEED_PROJECT: &str = "00000000-0000-4000-8000-000000000401";
pub const SEED_AGENT_KEY: &str =
    "vak_5eed000000000000000000000000000000000000000000000000000000000001";
const DATABASE: &str = "booking";

/// Settings that make sense on a laptop and nowhere else; the environment overrides each.
fn local_default(key: &str) -> Option<String> {
    let value = match key {
        // Plain http on localhost: a Secure cookie would never come back.
        "COOKIE_SECURE" => "false",
        // Front-end dev servers on any local port.
        "ALLOWED_ORIGINS" => "http://localhost:*,http://127.0.0.1:*",
        "DB_POOL_SIZE" => return Some(local_pool_size().to_string()),
        "DB_PIPELINE_DEPTH" => "8",
        _ => return None,
    };
    Some(value.to_string())
}

/// One process serves every route, so its requests take turns on shared connections
/// (`crate::shared`), up to 8 on each. One connection per two cores: PostgreSQL, the server
/// and the clients share this machine, and one busy backend answering a pipeline served the
/// read routes faster than several backends woken for one statement each (bench/run measures
/// it; figures in the README, not here, where they would go stale).
fn local_pool_size() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    (cores / 2).max(1)
}

/// The environment, with local defaults and the database URL we settled on.
pub struct LocalSource {
    database_url: String,
    jwt_secret: Option<String>,
}

impl Source for LocalSource {
    fn get(&self, key: &str) -> Option<String> {
        match key {
            "DATABASE_URL" => Some(self.database_url.clone()),
            "JWT_SECRET" => Environment.get(key).or_else(|| self.jwt_secret.clone()),
            _ => Environment.get(key).or_else(|| local_default(key)),
        }
    }
}

/// A random secret for this run only, so a fresh checkout needs no setup. Tokens do not
/// survive a restart; set JWT_SECRET to keep them.
fn ephemeral_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

pub async fn migrate(url: &str) -> anyhow::Result<()> {
    let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .with_context(|| format!("cannot connect to {}", redact(url)))?;
    let task = tokio::spawn(connection);
    let report = common::db::migrate::run(&mut client).await?;
    for m in report.applied_migrations() {
        tracing::info!(migration = %m, "applied");
    }
    drop(client);
    let _ = task.await;
    Ok(())
}

pub async fn seed(url: &str) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let task = tokio::spawn(connection);
    client
        .batch_execute(&format!("BEGIN; {SEED} COMMIT;"))
        .await
        .context("seeding failed")?;
    drop(client);
    let _ = task.await;
    Ok(())
}

/// `url` signing in as the API's role ([`common::db::migrate::APP_ROLE`]) instead of its user,
/// without a password (trust or peer authentication, as on the throwaway cluster). Anywhere
/// else, set `APP_DATABASE_URL` with the role's password.
pub fn app_role_url(url: &str) -> String {
    let role = common::db::migrate::APP_ROLE;
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        // The key=value form: a later key wins.
        return format!("{url} user={role}");
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host = match rest[..authority_end].rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    format!("{}{role}@{host}", &url[..scheme_end])
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Runs the local server until Ctrl-C (or SIGTERM).
pub async fn run() -> anyhow::Result<()> {
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().context("PORT must be a port number")?,
        Err(_) => 3000,
    };
    let (database_url, cluster) = match Environment.get("DATABASE_URL") {
        Some(url) => {
            tracing::info!(database = %redact(&url), "using DATABASE_URL");
            migrate(&url).await?;
            (url, None)
        }
        None => {
            // A stable port when free, so DATABASE_URL stays the same from run to run.
            let options = devdb::ClusterOptions::new(target_dir().join("devdb"), "server")
                .preferred_port(54329);
            let cluster = devdb::Cluster::start(options).await?;
            let admin = cluster.url("postgres");
            devdb::create_database(&admin, DATABASE).await?;
            let url = cluster.url(DATABASE);
            migrate(&url).await?;
            seed(&url).await?;
            (url, Some(cluster))
        }
    };
    let jwt_secret = Environment.get("JWT_SECRET").is_none().then(|| {
        tracing::warn!("JWT_SECRET is not set: using a random secret for this run only");
        ephemeral_secret()
    });
    // Migrated as the owner above; served as the role that may only read and write rows.
    let app_url = Environment
        .get("APP_DATABASE_URL")
        .unwrap_or_else(|| app_role_url(&database_url));
    let source = LocalSource {
        database_url: app_url.clone(),
        jwt_secret,
    };
    let state = crate::shared::state(&source)?;
    let (pool_size, depth) = (state.config.db.pool_size, source.get("DB_PIPELINE_DEPTH"));
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (set PORT to use another port)"))?;
    println!();
    println!("  Booking API on http://{addr}");
    println!("  Database      {} (migrations)", redact(&database_url));
    println!("                {} (API)", redact(&app_url));
    let noun = if pool_size == 1 {
        "connection"
    } else {
        "connections"
    };
    let depth = depth.unwrap_or_else(|| "1".into());
    println!("  Pool          {pool_size} {noun}, up to {depth} requests each");
    if cluster.is_some() {
        println!("  Throwaway PostgreSQL: removed when you press Ctrl-C");
        println!("  Seed logins   admin@example.com / password123 (ADMIN)");
        println!("                user@example.com / password123 (USER)");
        println!("  Seed project  {SEED_PROJECT} (user@example.com's, Europe/Berlin)");
        println!("  Agent key     {SEED_AGENT_KEY}");
    }
    println!();
    let outcome = server::serve(listener, state, shutdown_signal()).await;
    if let Some(cluster) = cluster {
        tracing::info!("stopping the throwaway PostgreSQL");
        cluster.stop().await;
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::app_role_url;

    #[test]
    fn the_api_role_replaces_the_owner_and_its_password() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:54329/booking",
                "postgres://booking_app@127.0.0.1:54329/booking",
            ),
            (
                "postgresql://owner:s3cr%40t@db.example/booking?sslmode=disable",
                "postgresql://booking_app@db.example/booking?sslmode=disable",
            ),
            (
                "postgres://127.0.0.1/booking",
                "postgres://booking_app@127.0.0.1/booking",
            ),
            (
                "host=127.0.0.1 dbname=booking user=postgres",
                "host=127.0.0.1 dbname=booking user=postgres user=booking_app",
            ),
        ];
        for (owner, app) in cases {
            assert_eq!(app_role_url(owner), app, "{owner}");
        }
    }
}
