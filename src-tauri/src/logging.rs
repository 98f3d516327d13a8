//! Logging and crash reports for the desktop shell: the shared setup in
//! `imdesk_core::logs` (daily files under `<data dir>/logs/`, size and age caps, stderr) and
//! the crash hook writing to `<data dir>/crashes/`. Logs carry ids and states, never secrets
//! or customer text (architecture rule 8); `IMDESK_LOG` sets the filter.

use imdesk_core::logs::{self, LogOptions};

use crate::paths::AppPaths;

pub use imdesk_core::logs::LogGuard;

/// Installs the global subscriber and the crash hook. A log directory that cannot be used is
/// reported on stderr and the app goes on logging to stderr only.
pub fn init(paths: &AppPaths) -> LogGuard {
    let guard = logs::init(&LogOptions {
        dir: Some(paths.log_dir.clone()),
        default_filter: "info",
        ansi: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ..LogOptions::default()
    });
    imdesk_core::crash::install(paths.crash_dir.clone(), env!("CARGO_PKG_VERSION"));
    test_panic();
    guard
}

/// `IMDESK_TEST_PANIC=1` panics right after the hook is installed, so the end-to-end harness
/// can check a real crash report. Debug builds only: a release build ignores it.
fn test_panic() {
    if cfg!(debug_assertions) && std::env::var_os("IMDESK_TEST_PANIC").is_some_and(|v| v == "1") {
        tracing::info!(sign_key = "sk-test-planted", "forced test panic requested");
        panic!("IMDESK_TEST_PANIC: forced test panic");
    }
}
