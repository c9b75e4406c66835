//! Lambda function for `/api/users/{id}`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::users::router)
}
