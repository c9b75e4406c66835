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

/// Statements are planned once per connection. Left to choose, PostgreSQL plans a statement
/// again on every execution once its statistics make a custom plan look cheaper (the
/// availability check did, after a project's calendar grew), and always on the first five.
#[tokio::test]
async fn api_statements_run_on_plans_made_once_per_connection() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    for _ in 0..3 {
        app.get("/api/auth/me").as_(&user).send().await.expect(200);
    }
    // Requests one after another share one pooled connection: this one.
    let db = app.state.db().await.expect("the API's connection");
    let rows = db
        .query(
            "SELECT coalesce(sum(generic_plans), 0)::int, coalesce(sum(custom_plans), 0)::int \
             FROM pg_prepared_statements",
            &[],
            "plans of this connection",
        )
        .await
        .expect("pg_prepared_statements");
    let (generic, custom): (i32, i32) = (rows[0].get(0), rows[0].get(1));
    assert!(generic >= 3, "{generic} executions on generic plans");
    assert_eq!(custom, 0, "custom plans made");
}
