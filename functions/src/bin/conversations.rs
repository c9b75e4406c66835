//! Lambda function for `/api/conversations`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::conversations::handle).await
}
