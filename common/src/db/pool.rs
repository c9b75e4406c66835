//! The connection pool: built once per process (in `main`), connecting lazily, so a cold start
//! pays for a connection only when the first request needs one. Each connection gets a fresh
//! password when IAM auth is on, and closed connections are replaced without a restart.

use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::{self, Metrics, RecycleError, RecycleResult, Timeouts};
use deadpool_postgres::ClientWrapper;
use secrecy::ExposeSecret;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::iam::IamTokens;
use super::tls;
use crate::config::{ConfigError, DbAuth, DbConfig, TlsMode};

pub type Pool = managed::Pool<PgManager>;
pub type Conn = managed::Object<PgManager>;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("could not create an RDS IAM auth token")]
    Token(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("could not connect to PostgreSQL")]
    Postgres(#[source] tokio_postgres::Error),
    #[error("connecting to PostgreSQL timed out")]
    Timeout,
    #[error(transparent)]
    Config(#[from] ConfigError),
}

pub struct PgManager {
    pg: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    iam: Option<IamTokens>,
    connect_timeout: Duration,
    /// The plan cache mode, and `statement_timeout` when one is configured, for each new
    /// connection.
    session_setup: String,
}

impl std::fmt::Debug for PgManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgManager")
            .field("hosts", &self.pg.get_hosts())
            .field("iam", &self.iam.is_some())
            .finish_non_exhaustive()
    }
}

fn first_tcp_host(pg: &tokio_postgres::Config) -> Option<String> {
    pg.get_hosts().iter().find_map(|h| match h {
        Host::Tcp(name) => Some(name.clone()),
        #[allow(unreachable_patterns)]
        _ => None,
    })
}

impl PgManager {
    /// Connection settings as every connection of this process will use them.
    pub fn new(cfg: &DbConfig) -> Result<Self, ConfigError> {
        let mut pg = cfg.pg.clone();
        pg.connect_timeout(cfg.connect_timeout);
        pg.keepalives(true);
        pg.keepalives_idle(Duration::from_secs(30));
        pg.ssl_mode(match cfg.tls {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            TlsMode::VerifyFull => SslMode::Require,
        });
        // SETs once per new connection, not startup options (`-c statement_timeout=...`):
        // RDS Proxy refuses every connection that sends startup options.
        // Generic plans: every statement here is prepared with parameters, so it is planned
        // once per connection. Left to choose, PostgreSQL plans a statement again on every
        // execution once its statistics make a custom plan look cheaper: after a project's
        // calendar grew, availability's version check took 0.28 ms instead of 0.13 (pgbench
        // -c1), most of it planning.
        let mut session_setup = String::from("SET plan_cache_mode = force_generic_plan");
        let timeout_ms = cfg.statement_timeout.as_millis();
        if timeout_ms > 0 {
            session_setup.push_str(&format!("; SET statement_timeout = {timeout_ms}"));
        }
        let iam = match &cfg.auth {
            DbAuth::Password => None,
            DbAuth::Iam { region } => {
                let host = first_tcp_host(&pg).ok_or("DB_AUTH=iam needs a TCP host")?;
                let port = pg.get_ports().first().copied().unwrap_or(5432);
                let user = pg
                    .get_user()
                    .ok_or("DB_AUTH=iam needs DB_USER")?
                    .to_string();
                Some(
                    IamTokens::new(&host, port, &user, region)
                        .map_err(|e| ConfigError(format!("RDS IAM token setup failed: {e}")))?,
                )
            }
        };
        Ok(Self {
            pg,
            tls: tls::connector(cfg.ca_file.as_deref())?,
            iam,
            connect_timeout: cfg.connect_timeout,
            session_setup,
        })
    }

    async fn connect(&self) -> Result<ClientWrapper, ConnectError> {
        let mut pg = self.pg.clone();
        if let Some(iam) = &self.iam {
            // Boxed: the SDK's futures are large, and would otherwise sit in every
            // connection attempt's state even when IAM auth is off.
            let token = Box::pin(iam.token()).await.map_err(ConnectError::Token)?;
            pg.password(token.expose_secret());
        }
        let (client, connection) = pg
            .connect(self.tls.clone())
            .await
            .map_err(ConnectError::Postgres)?;
        let task = tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::warn!(error = %err, "database connection closed with an error");
            }
        });
        client
            .batch_execute(&self.session_setup)
            .await
            .map_err(ConnectError::Postgres)?;
        Ok(ClientWrapper::new(client, task))
    }
}

impl managed::Manager for PgManager {
    type Type = ClientWrapper;
    type Error = ConnectError;

    async fn create(&self) -> Result<ClientWrapper, ConnectError> {
        // tokio-postgres bounds the TCP connect; this also bounds TLS and authentication.
        tokio::time::timeout(self.connect_timeout * 2, Box::pin(self.connect()))
            .await
            .map_err(|_| ConnectError::Timeout)?
    }

    async fn recycle(
        &self,
        client: &mut ClientWrapper,
        _: &Metrics,
    ) -> RecycleResult<ConnectError> {
        // The "fast" check: no round trip, and nothing (like DISCARD ALL) that would pin an
        // RDS Proxy session. A connection the server closed is noticed here and replaced.
        if client.is_closed() {
            return Err(RecycleError::message("connection closed"));
        }
        Ok(())
    }
}

/// Builds the pool; no connection is made until the first request asks for one.
pub fn build_pool(cfg: &DbConfig) -> Result<Pool, ConfigError> {
    Pool::builder(PgManager::new(cfg)?)
        .max_size(cfg.pool_size)
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(cfg.pool_wait_timeout),
            create: Some(cfg.connect_timeout * 2),
            recycle: Some(cfg.connect_timeout),
        })
        .build()
        .map_err(|e| ConfigError(format!("database pool: {e}")))
}

/// One connection outside any pool, with the same settings (for migrations).
pub async fn connect_once(cfg: &DbConfig) -> Result<ClientWrapper, ConnectError> {
    let manager = PgManager::new(cfg)?;
    managed::Manager::create(&manager).await
}
