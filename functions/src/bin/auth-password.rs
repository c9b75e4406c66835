//! Lambda function for `/api/auth/password`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::auth::password::router)
}
