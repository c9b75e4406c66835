//! Logging: JSON lines in Lambda (CloudWatch reads them field by field), human-readable
//! lines on a terminal. `RUST_LOG` or `AWS_LAMBDA_LOG_LEVEL` choose the level.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// One level for a whole function (Lambda's log-level setting is one level too). Unlike
/// `EnvFilter` it needs no regex engine, which keeps the authorizer's binary small.
fn lambda_level() -> LevelFilter {
    ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .iter()
        .find_map(|key| std::env::var(key).ok()?.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO)
}

fn filter() -> EnvFilter {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .map(|l| l.to_ascii_lowercase())
        .unwrap_or_else(|| "info".into());
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level))
}

/// For Lambda functions: JSON, no ANSI colours, no timestamps (CloudWatch adds its own).
pub fn init_lambda() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_max_level(lambda_level())
        .with_current_span(false)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init();
}

/// For the local server and tools run from a terminal.
pub fn init_terminal() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_target(false)
        .try_init();
}
