//! Lambda function for `/api/auth/login`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_function(functions::auth::login::handler())
}
