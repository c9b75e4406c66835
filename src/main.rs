//! `cargo run`: serves the whole API on http://127.0.0.1:3000 (PORT overrides).

// Every request allocates its event, headers and JSON: glibc malloc was 17% of this server's
// CPU on GET /api/bookings, and mimalloc cut that route's CPU per request by about 15%. The
// Lambda binaries keep the system allocator: one request at a time, and a smaller bootstrap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    common::telemetry::init_terminal();
    booking_api::local::run().await
}
