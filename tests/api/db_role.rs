//! The API's database role: handlers connect as it, and it may read and write rows only, so an
//! injected statement could not drop, empty or change a table. The rest of the suite runs as
//! this role too (see `support::app_role_url`), so a privilege a handler needs and the
//! migrations did not grant fails the test that exercises it.

use tokio_postgres::error::SqlState;

use crate::support::{TestApp, app_role_url};

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect as the API's role: {e}"));
    tokio::spawn(conn);
    client
}

#[tokio::test]
async fn handlers_connect_as_the_api_role_not_the_owner() {
    let app = TestApp::spawn().await;
    let db = app.state.db().await.expect("a connection");
    let row = db
        .query_opt("SELECT current_user::text, session_user::text", &[], "who")
        .await
        .expect("who am I")
        .expect("a row");
    let (current, session): (String, String) = (row.get(0), row.get(1));
    assert_eq!(
        (current.as_str(), session.as_str()),
        (common::db::migrate::APP_ROLE, common::db::migrate::APP_ROLE)
    );
    let owns_anything = app
        .count(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner \
             WHERE r.rolname = $1",
            &[&common::db::migrate::APP_ROLE],
        )
        .await;
    assert_eq!(owns_anything, 0, "the API's role must own no table");
}

#[tokio::test]
async fn the_api_role_cannot_change_the_schema_or_empty_a_table() {
    let app = TestApp::builder().seeded().spawn().await;
    let client = connect(&app_role_url(&app.database_url)).await;
    let attempts = [
        "DROP TABLE bookings",
        "DROP TABLE users CASCADE",
        "TRUNCATE rate_limits",
        "TRUNCATE users CASCADE",
        "ALTER TABLE users ADD COLUMN injected int",
        "ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap",
        "CREATE TABLE injected (id int)",
        "CREATE FUNCTION injected() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "DELETE FROM users",
        "DELETE FROM bookings",
        "UPDATE services SET price = 0",
        "UPDATE project_busy_days SET busy = '{}'",
        "DELETE FROM project_busy_days",
        "SELECT * FROM refinery_schema_history",
        "DELETE FROM refinery_schema_history",
        "CREATE ROLE injected SUPERUSER",
        "GRANT ALL ON refinery_schema_history TO PUBLIC",
    ];
    for sql in attempts {
        let err = client
            .batch_execute(sql)
            .await
            .err()
            .unwrap_or_else(|| panic!("`{sql}` ran as the API's role"));
        assert_eq!(
            err.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "`{sql}`: {err}"
        );
    }
    // Nothing changed: the seed's two users and their bookings are all still there.
    assert_eq!(app.count("SELECT count(*) FROM users", &[]).await, 2);
    assert!(app.count("SELECT count(*) FROM bookings", &[]).await >= 2);
}

#[tokio::test]
async fn every_table_grants_the_api_role_something_except_the_migration_history() {
    let app = TestApp::spawn().await;
    let client = app.sql().await;
    let rows = client
        .query(
            "SELECT c.relname::text, \
                    has_table_privilege($1, c.oid, 'SELECT,INSERT,UPDATE,DELETE') \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1",
            &[&common::db::migrate::APP_ROLE],
        )
        .await
        .expect("table privileges");
    assert!(rows.len() > 1, "no tables found");
    for row in rows {
        let (table, granted): (String, bool) = (row.get(0), row.get(1));
        // A new table needs its GRANT in the migration that creates it.
        let expected = table != "refinery_schema_history";
        assert_eq!(granted, expected, "privileges of booking_app on {table}");
    }
}
