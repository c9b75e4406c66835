//! Lambda function for `/api/bookings`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_function(functions::bookings::collection::handler())
}
