//! Structured JSON logs through `tracing`; level from `RUST_LOG` (default `info`).

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber once; later calls (several apps in one test) do nothing.
pub fn init(service: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_target(true)
        .try_init()
        .is_ok();
    if installed {
        tracing::info!(service, "telemetry initialised");
    }
}

/// For tests: logs go through the test harness's capture (shown only for failing tests), at
/// `warn` (and the bus's connection life at `info`) unless `RUST_LOG` says otherwise.
pub fn init_for_tests() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,kuaidi_shared::events=info"));
    let _ = fmt().with_env_filter(filter).with_test_writer().try_init();
}

/// For tools that print their results on stdout (the benchmarks): plain logs on stderr, at
/// `warn` unless `RUST_LOG` says otherwise. Call it first: the first subscriber installed wins.
pub fn init_on_stderr() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
