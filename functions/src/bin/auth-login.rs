//! Lambda function for `/api/auth/login`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::auth::login::router)
}
