//! Shared harness for imdesk's end-to-end tests.
//!
//! [`window`] drives the real, built app in a real window: it gives each test its own X display
//! (Xvfb) and D-Bus session, starts `tauri-driver` (which starts WebKitWebDriver, which starts
//! the app) in its own process group on free ports, hands the test an [`window::AppWindow`] to
//! click and read, and on failure keeps a screenshot and the app's log under
//! `tests/output/<test name>/`. Everything it starts is torn down, also when the test panics.
//!
//! Linux only: the WebDriver path for WebKitGTK is what CI runs; macOS and Windows builds of the
//! workspace compile this crate to nothing.

#[cfg(target_os = "linux")]
pub mod iconify;
#[cfg(target_os = "linux")]
pub mod notifications;
#[cfg(target_os = "linux")]
pub mod process;
#[cfg(target_os = "linux")]
pub mod sandbox_app;
#[cfg(target_os = "linux")]
pub mod window;

use std::path::PathBuf;

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where a test keeps its artefacts (screenshots, logs): `tests/output/<name>/`.
pub fn output_dir(test_name: &str) -> PathBuf {
    workspace_root()
        .join("tests")
        .join("output")
        .join(test_name)
}
