//! Lambda function for `/api/auth/me`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::auth::me::router)
}
