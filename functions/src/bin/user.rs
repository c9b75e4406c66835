//! Lambda function for `/api/users/{id}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::users::handle).await
}
