//! What a function builds once at start-up and reuses for every invocation. Cloned into every
//! request by the router, so it is one shared allocation.

use std::ops::Deref;
use std::sync::Arc;

use crate::auth::JwtKeys;
use crate::auth::password::Passwords;
use crate::config::{Config, ConfigError};
use crate::db::query::{Connections, StatementCounter};
use crate::db::{Db, Pool, build_pool};
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct AppState(Arc<Resources>);

#[derive(Debug)]
pub struct Resources {
    pub config: Config,
    pub keys: JwtKeys,
    pub passwords: Passwords,
    pub connections: Arc<dyn Connections>,
    pub statements: StatementCounter,
}

impl Deref for AppState {
    type Target = Resources;

    fn deref(&self) -> &Resources {
        &self.0
    }
}

impl AppState {
    /// Builds the state without touching the network: the first connection is made on demand.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        Self::with_connections(config, |pool| Arc::new(pool))
    }

    /// The same, with requests getting their connections from `connections(pool)`.
    pub fn with_connections(
        config: Config,
        connections: impl FnOnce(Pool) -> Arc<dyn Connections>,
    ) -> Result<Self, ConfigError> {
        let passwords = Passwords::new(config.auth.bcrypt_cost)
            .map_err(|e| ConfigError(format!("BCRYPT_COST: {e}")))?;
        Ok(Self(Arc::new(Resources {
            keys: JwtKeys::new(&config.auth),
            connections: connections(build_pool(&config.db)?),
            passwords,
            statements: StatementCounter::default(),
            config,
        })))
    }

    /// A database connection for this request.
    pub async fn db(&self) -> Result<Db, ApiError> {
        // PostgreSQL cancels a statement at statement_timeout; allow it a moment to say so.
        let timeout = &self.config.db.statement_timeout;
        let reply = (!timeout.is_zero()).then(|| *timeout + std::time::Duration::from_secs(1));
        Db::acquire(self.connections.as_ref(), &self.statements, reply).await
    }
}
