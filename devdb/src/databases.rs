//! Databases inside a server, given an admin connection URL: create, clone from a template
//! (one per test, in parallel), drop.

use std::time::Duration;

use anyhow::Context;
use tokio_postgres::error::SqlState;

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn admin(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .context("connecting to the PostgreSQL admin database")?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// Creates `name` unless it exists.
pub async fn create_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let client = admin(admin_url).await?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some();
    if !exists {
        client
            .batch_execute(&format!("CREATE DATABASE {}", quote(name)))
            .await
            .with_context(|| format!("creating database {name}"))?;
    }
    Ok(())
}

/// Creates `name` as a copy of `template`. PostgreSQL refuses while another session is
/// connected to the template (a concurrent clone counts), so that refusal is retried.
pub async fn clone_database(admin_url: &str, template: &str, name: &str) -> anyhow::Result<()> {
    let client = admin(admin_url).await?;
    let sql = format!(
        "CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY",
        quote(name),
        quote(template)
    );
    let mut delay = Duration::from_millis(10);
    for _ in 0..200 {
        match client.batch_execute(&sql).await {
            Ok(()) => return Ok(()),
            Err(err) if err.code() == Some(&SqlState::OBJECT_IN_USE) => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(200));
            }
            Err(err) => return Err(err).with_context(|| format!("cloning {template} into {name}")),
        }
    }
    anyhow::bail!("template {template} stayed busy; could not clone it into {name}")
}

/// Drops `name`, disconnecting anyone still connected.
pub async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    admin(admin_url)
        .await?
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote(name)
        ))
        .await
        .with_context(|| format!("dropping database {name}"))
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(quote("we\"ird"), "\"we\"\"ird\"");
    }
}
