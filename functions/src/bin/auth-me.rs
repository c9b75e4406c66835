//! Lambda function for `/api/auth/me`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::auth::me::handle).await
}
