//! Lambda function for `/api/bookings`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::bookings::collection::handle).await
}
