//! Lambda function for `/api/projects`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::projects::collection_router)
}
