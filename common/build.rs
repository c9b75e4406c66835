//! Rebuilds this crate when a file is added to migrations/: `embed_migrations!` reads the
//! folder at compile time, and cargo only tracks the files it already embedded.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
