//! Lambda function for `/api/conversations`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::conversations::router)
}
