//! Schema migrations: the plain SQL files in `migrations/`, embedded in the binary and applied
//! in order by refinery, which records each in its version table. Run as a step of its own
//! (the `migrate` function, the local server at start, the test template), never per request.

use refinery::Report;

mod embedded {
    refinery::embed_migrations!("../migrations");
}

/// The role the API connects as, created and granted its privileges by
/// `migrations/V2__app_role.sql`; the migrations themselves run as the database owner.
pub const APP_ROLE: &str = "booking_app";

/// Key of the advisory lock that serializes concurrent runners (two deploys, two test runs).
const LOCK_KEY: i64 = 0x0b00_c1e6;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("could not take the migration lock")]
    Lock(#[source] tokio_postgres::Error),
    #[error("migration failed")]
    Migration(#[source] refinery::Error),
}

/// Applies every migration not applied yet, all in one transaction.
pub async fn run(client: &mut tokio_postgres::Client) -> Result<Report, MigrateError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(MigrateError::Lock)?;
    let outcome = embedded::migrations::runner()
        .set_grouped(true)
        .run_async(client)
        .await
        .map_err(MigrateError::Migration);
    // Closing the connection releases the lock too; unlocking early is a courtesy.
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await;
    outcome
}

/// Names of the embedded migrations, in the order they apply (for logs and the migrate
/// function's answer). The runner holds them in file-name order, where V10 sorts before V2.
pub fn names() -> Vec<String> {
    let runner = embedded::migrations::runner();
    let mut migrations: Vec<_> = runner.get_migrations().iter().collect();
    migrations.sort_by_key(|m| m.version());
    migrations.iter().map(|m| m.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn names_come_in_the_order_the_migrations_apply() {
        let names = names();
        let versions: Vec<u32> = names
            .iter()
            .map(|n| {
                n[1..]
                    .split("__")
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap()
            })
            .collect();
        assert!(versions.len() >= 10, "{names:?}");
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    }
}
