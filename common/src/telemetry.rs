//! Logging: JSON lines in Lambda (CloudWatch reads them field by field), human-readable
//! lines on a terminal. `RUST_LOG` or `AWS_LAMBDA_LOG_LEVEL` choose the level.
//!
//! Whatever the level, other crates log at most INFO: below that they print what passes through
//! them verbatim (lambda_runtime logs every raw event at TRACE, passwords, tokens and cookies
//! included; the AWS SDK logs whole requests and responses), and no log line may carry a
//! password, a token, a cookie or an agent key.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// This workspace's crates: they log no secrets (those travel as `SecretString`), so they get
/// whatever level is asked for.
const OWN_CRATES: [&str; 4] = ["common", "functions", "booking_api", "devdb"];

/// Every other crate at most INFO; ours as the level filter in front decides.
fn dependencies_at_most_info() -> Targets {
    Targets::new()
        .with_default(LevelFilter::INFO)
        .with_targets(OWN_CRATES.map(|krate| (krate, LevelFilter::TRACE)))
}

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
        .finish()
        .with(dependencies_at_most_info())
        .try_init();
}

/// For the local server and tools run from a terminal.
pub fn init_terminal() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_target(false)
        .finish()
        .with(dependencies_at_most_info())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn other_crates_stop_at_info_and_ours_do_not() {
        let targets = dependencies_at_most_info();
        for target in [
            "lambda_runtime::layers::api_response",
            "lambda_http",
            "aws_smithy_runtime",
        ] {
            assert!(targets.would_enable(target, &Level::INFO), "{target}");
            assert!(!targets.would_enable(target, &Level::DEBUG), "{target}");
            assert!(!targets.would_enable(target, &Level::TRACE), "{target}");
        }
        for target in ["common::auth::password", "functions", "booking_api::server"] {
            assert!(targets.would_enable(target, &Level::TRACE), "{target}");
        }
    }
}
