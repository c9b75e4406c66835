//! `cargo run`: serves the whole API on http://127.0.0.1:3000 (PORT overrides).

// Every request allocates its event, headers and JSON; mimalloc's per-thread free lists cost
// a fraction of glibc malloc's locking here (see bench/run). The Lambda binaries keep the
// system allocator: one request at a time, and a smaller bootstrap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    common::telemetry::init_terminal();
    booking_api::local::run().await
}
