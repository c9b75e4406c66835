//! Lambda function for `/api/conversations`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::conversations::handle).await
}
