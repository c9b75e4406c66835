//! Lambda function for `/api/bookings/{id}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    functions::run_function(functions::bookings::item::handle).await
}
