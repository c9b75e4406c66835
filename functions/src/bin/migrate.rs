//! Applies pending schema migrations when invoked (once after each deploy).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    functions::run_migrate().await
}
