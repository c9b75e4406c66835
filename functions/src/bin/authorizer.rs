//! Lambda authorizer of the HTTP API: verifies the session token, passes the caller on.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    functions::run_authorizer().await
}
