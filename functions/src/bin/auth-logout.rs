//! Lambda function for `/api/auth/logout`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::auth::logout::router)
}
