//! Lambda function for `/api/bookings/{id}`.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_api(functions::bookings::item::router)
}
