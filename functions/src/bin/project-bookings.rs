//! Lambda function for `/api/projects/{id}/bookings`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::projects::calendar::router)
}
