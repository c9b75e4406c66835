//! Lambda function for `/api/bookings`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::bookings::collection::router)
}
