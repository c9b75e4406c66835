//! Lambda function for `/api/auth/register`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::auth::register::router)
}
