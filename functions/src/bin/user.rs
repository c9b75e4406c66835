//! Lambda function for `/api/users/{id}`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_function(functions::users::handler())
}
