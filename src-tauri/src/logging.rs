//! Logging to `<data dir>/logs/imdesk.log` and stderr. Logs carry ids and states, never
//! secrets or customer text (architecture rule 8); `IMDESK_LOG` sets the filter.

use std::path::Path;

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Keeps the background log writer alive; dropping it flushes the file.
#[derive(Debug)]
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Installs the global subscriber. A failure to open the file degrades to stderr only.
pub fn init(log_dir: &Path) -> LogGuard {
    let filter =
        || EnvFilter::try_from_env("IMDESK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let file = tracing_appender::rolling::never(log_dir, "imdesk.log");
    let (writer, guard) = tracing_appender::non_blocking(file);
    let registry = tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter()),
        )
        .with(
            fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter()),
        );
    if registry.try_init().is_err() {
        // Already initialised (tests); keep going with whatever is installed.
        return LogGuard(None);
    }
    LogGuard(Some(guard))
}
