//! Lambda function for `/api/services`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::services::handle).await
}
