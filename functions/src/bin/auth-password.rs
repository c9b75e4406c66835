//! Lambda function for `/api/auth/password`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_function(functions::auth::password::handler())
}
