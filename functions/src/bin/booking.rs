//! Lambda function for `/api/bookings/{id}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::bookings::item::handle).await
}
