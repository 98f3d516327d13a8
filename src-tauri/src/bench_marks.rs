//! Markers for the GUI benchmark (`scripts/bench-gui.sh`, issue 25 item 6): with
//! `IMDESK_BENCH_MARKS=1` the app prints `imdesk-bench: <name>` on stderr when the UI reports a
//! moment the benchmark times (the first inbox page painted), and the runner reads the line
//! from the pipe with its own clock. Without the variable nothing is printed; an agent never
//! sets it.

use std::sync::OnceLock;

/// Whether the benchmark asked for markers (read once: the environment does not change).
fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("IMDESK_BENCH_MARKS").is_some_and(|v| v == "1"))
}

/// Prints the marker `name` when markers are on.
pub fn mark(name: &str) {
    if enabled() {
        eprintln!("imdesk-bench: {name}");
    }
}
