//! Lambda function for `/api/projects/{id}/keys/{keyId}`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::projects::keys::key_router)
}
