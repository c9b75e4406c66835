//! Lambda function for `/api/services`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::services::handle).await
}
