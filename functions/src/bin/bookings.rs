//! Lambda function for `/api/bookings`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::bookings::collection::handle).await
}
