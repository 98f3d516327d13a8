//! The imdesk desktop shell.
//!
//! This crate is a shell in the GitButler sense: it registers commands, bridges core events to
//! the webview and owns the things only a desktop app has (window, tray, notifications,
//! keyring). Business rules live in `imdesk-core`; each command here calls one core function
//! and maps its error, in about fifteen lines.

mod commands;
mod logging;
mod paths;

use std::process::ExitCode;

/// Starts the desktop app and blocks until its last window closes.
pub fn run() -> ExitCode {
    let dirs = match paths::AppPaths::resolve() {
        Ok(dirs) => dirs,
        Err(e) => {
            eprintln!("无法确定数据目录 / cannot determine the data directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _log_guard = logging::init(&dirs.log_dir);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), data_dir = %dirs.data_dir.display(), "imdesk starting");

    let state = commands::ShellState::new(dirs);
    let result = tauri::Builder::default()
        .manage(state)
        .invoke_handler(tauri::generate_handler![commands::app_info])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the window could not be started");
            eprintln!("无法打开窗口 / cannot open the window: {e}");
            ExitCode::FAILURE
        }
    }
}
