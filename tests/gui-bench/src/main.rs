//! The GUI's own cost (issue 25, item 6), measured in one run under a private Xvfb and D-Bus
//! session: the release app in demo mode on a 1M-message cache beside an empty Tauri window
//! built from the same tauri (`tests/gui-baseline`) and drawn as Tauri draws by default; imdesk
//! asks WebKitGTK to paint its tiles on the CPU (`WEBKIT_SKIA_GPU_PAINTING_THREADS=0`, set by
//! the app itself). For the record the empty window is also started with that same switch and
//! reported beside them without a target.
//!
//! 1. **Idle PSS** of the whole process tree (the app and every descendant: WebKitWebProcess,
//!    WebKitNetworkProcess, ...), summed from `/proc/<pid>/smaps_rollup`, after the window has
//!    painted and then settled (`IMDESK_GUI_BENCH_SETTLE_S`, default 20 s; the median of five
//!    samples one second apart). Target: imdesk ≤ 1.3× the empty window.
//! 2. **Start to first page**: from `spawn()` to the marker line the app prints on stderr with
//!    `IMDESK_BENCH_MARKS=1`, read by this process on its own clock. The empty window's page
//!    reports after its first painted frame (two `requestAnimationFrame`s); imdesk's inbox
//!    reports after the first page of the inbox has rendered and painted (Svelte `tick()`, then
//!    the same two frames), which includes the engine opening the 1M-message cache and the
//!    first `inbox_page` answer: what the agent waits for. After an untimed warm-up start of
//!    each, `IMDESK_GUI_BENCH_STARTS` (default 5) alternating starts; medians. Target: imdesk
//!    ≤ 1.5× the empty window.
//! 3. **Growth over a dinner peak**, compressed: the last imdesk run stays up and its own demo
//!    sandbox (found from its `sandbox serving gateway=` log line) is asked through its
//!    `/_sandbox/load` route for the peak hour's customer messages
//!    (`IMDESK_GUI_BENCH_PEAK_MESSAGES`, default 3,600: 300 an hour for each of the 12 demo
//!    stores) in `IMDESK_GUI_BENCH_PEAK_SECS` (default 300 s: 12× compressed), on top of the
//!    demo's own chatter. PSS before (the settled idle figure) and after the peak plus a settle.
//!    Target: growth ≤ 10 %.
//! 4. **Sizes**: the release binaries and the .deb packages of both, as given by the script.
//!
//! `scripts/bench-gui.sh` builds everything and runs this; it is too slow for
//! `scripts/test.sh`. Linux only (`/proc`, Xvfb).

#[cfg(target_os = "linux")]
mod app;
#[cfg(target_os = "linux")]
mod bench;
#[cfg(target_os = "linux")]
mod peak;
#[cfg(target_os = "linux")]
mod seed;
#[cfg(target_os = "linux")]
mod tree;

/// The window harness's process helpers (Xvfb, a private D-Bus session, process groups).
#[cfg(target_os = "linux")]
#[path = "../../src/process.rs"]
#[allow(dead_code)]
mod process;

/// The query benchmarks' message generator (realistic Chinese service chat).
#[cfg(target_os = "linux")]
#[path = "../../../crates/imdesk-store/benches/common/mod.rs"]
mod common;

#[cfg(target_os = "linux")]
fn main() -> anyhow::Result<()> {
    bench::run()
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("bench-gui measures /proc and Xvfb: Linux only");
}
