//! Lambda function for `/api/auth/register`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_function(functions::auth::register::handler())
}
