//! Lambda function for `/api/users/{id}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::users::handle).await
}
