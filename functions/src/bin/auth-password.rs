//! Lambda function for `/api/auth/password`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::auth::password::handle).await
}
