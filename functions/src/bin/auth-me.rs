//! Lambda function for `/api/auth/me`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_function(functions::auth::me::handler())
}
