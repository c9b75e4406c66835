//! Lambda function for `/api/projects/{id}/keys`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::projects::keys::router)
}
