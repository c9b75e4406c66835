//! Throwaway PostgreSQL for `cargo run` and `cargo test`: a private cluster started from the
//! server binaries installed on the machine (no Docker, no download), plus databases cloned
//! from a migrated template so every test gets its own.

mod binaries;
mod cluster;
mod databases;

pub use binaries::{PgBinaries, find_binaries};
pub use cluster::{Cluster, ClusterOptions, sweep_stale};
pub use databases::{clone_database, create_database, drop_database};
