//! Lambda function for `/api/projects/{id}/availability`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::projects::availability::router)
}
