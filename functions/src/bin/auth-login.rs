//! Lambda function for `/api/auth/login`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::auth::login::handle).await
}
