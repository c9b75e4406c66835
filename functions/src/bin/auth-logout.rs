//! Lambda function for `/api/auth/logout`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::Function::AuthLogout).await
}
