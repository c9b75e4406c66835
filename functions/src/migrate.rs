//! The `migrate` function: applies pending migrations to the configured database. Invoke it
//! once after each deploy (`sam remote invoke MigrateFunction`); it is idempotent.

use common::config::DbConfig;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum MigrateFailure {
    #[error("could not connect to the database")]
    Connect(#[source] common::db::pool::ConnectError),
    #[error(transparent)]
    Migrate(#[from] common::db::migrate::MigrateError),
}

/// Applies pending migrations and reports what was applied.
pub async fn run(db: &DbConfig) -> Result<Value, MigrateFailure> {
    let mut client = common::db::pool::connect_once(db)
        .await
        .map_err(MigrateFailure::Connect)?;
    let report = common::db::migrate::run(&mut client).await?;
    let applied: Vec<String> = report
        .applied_migrations()
        .iter()
        .map(|m| m.to_string())
        .collect();
    Ok(json!({"applied": applied, "known": common::db::migrate::names()}))
}
