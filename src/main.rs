//! `cargo run`: serves the whole API on http://127.0.0.1:3000 (PORT overrides).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    common::telemetry::init_terminal();
    booking_api::local::run().await
}
