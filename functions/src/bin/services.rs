//! Lambda function for `/api/services`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::services::router)
}
