//! `cargo run`: serves the whole API on http://127.0.0.1:3000 (PORT overrides).

// Every request allocates its event, headers and JSON: glibc malloc was 17% of this server's
// CPU on GET /api/bookings, and mimalloc cut that route's CPU per request by about 15%. The
// Lambda binaries keep the system allocator: one request at a time, and a smaller bootstrap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One thread runs every request: PostgreSQL shares the machine, and a second worker only adds
// cross-thread wake-ups. On 2 cores it served the four read routes at the same requests/s
// (within 5%) for 17-22% less server CPU per request. bcrypt still runs on blocking threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    common::telemetry::init_terminal();
    booking_api::local::run().await
}
