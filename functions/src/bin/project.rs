//! Lambda function for `/api/projects/{id}`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::projects::item_router)
}
