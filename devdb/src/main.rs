//! `cargo run -p devdb`: a throwaway PostgreSQL for ad-hoc use (e.g. under `cargo lambda
//! watch`); prints its URL and postmaster pid, and removes it on Ctrl-C.

use std::path::PathBuf;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var_os("DEVDB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/devdb"));
    let cluster = devdb::Cluster::start(devdb::ClusterOptions::new(base, "adhoc")).await?;
    println!("DATABASE_URL={}", cluster.url("postgres"));
    println!("POSTMASTER_PID={}", cluster.pid());
    tokio::signal::ctrl_c().await?;
    cluster.stop().await;
    Ok(())
}
