//! Lambda function for `/api/services`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_function(functions::services::handler())
}
