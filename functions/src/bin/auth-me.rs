//! Lambda function for `/api/auth/me`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::auth::me::handle).await
}
