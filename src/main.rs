//! `cargo run`: serves the whole API on http://127.0.0.1:3000 (PORT overrides).

// Every request allocates its headers and JSON, and glibc malloc showed high in this server's
// profile under load; mimalloc cost less CPU per request under bench/run. The Lambda
// binaries keep the system allocator: one request at a time, and a smaller bootstrap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One thread runs every request: PostgreSQL shares the machine, and a second worker only adds
// cross-thread wake-ups; measured on 2 cores, the read routes kept their requests/s for less
// server CPU per request. bcrypt still runs on blocking threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    common::telemetry::init_terminal();
    booking_api::local::run().await
}
