//! RDS Proxy refuses every connection whose startup packet carries options, so the API sets
//! its statement timeout after connecting. The tests' API reaches PostgreSQL only through a
//! guard that refuses startup options the same way (`support::startup_guard`).

use crate::support::{TestApp, replace_address, startup_guard};

#[tokio::test]
async fn the_guard_refuses_a_connection_with_startup_options() {
    let app = TestApp::spawn().await;
    let url = format!(
        "{}?options=-c%20statement_timeout%3D1000",
        replace_address(&app.database_url, app.guard())
    );
    let err = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .err()
        .expect("a connection with startup options got through the guard");
    let message = err.as_db_error().map(|e| e.message().to_string());
    assert_eq!(message.as_deref(), Some(startup_guard::REFUSAL), "{err:?}");
}

#[tokio::test]
async fn api_connections_carry_the_configured_statement_timeout() {
    let app = TestApp::builder()
        .env("DB_STATEMENT_TIMEOUT_MS", "1234")
        .spawn()
        .await;
    let db = app
        .state
        .db()
        .await
        .expect("the API connects through the guard");
    let rows = db
        .query("SHOW statement_timeout", &[], "show statement_timeout")
        .await
        .expect("SHOW statement_timeout");
    let timeout: String = rows[0].get(0);
    assert_eq!(timeout, "1234ms");
}
