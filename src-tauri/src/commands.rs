//! Tauri commands: thin adapters from IPC to the core.

use imdesk_core::view::AppInfo;
use crate::paths::AppPaths;

/// Shell-owned state handed to commands.
#[derive(Debug)]
pub struct ShellState {
    paths: AppPaths,
    demo: bool,
}

impl ShellState {
    /// Builds the state from the resolved directories and the environment.
    pub fn new(paths: AppPaths) -> Self {
        // Demo mode until credentials exist: the same rule as imdesk-core's configuration.
        let demo = std::env::var_os("IMDESK_DEVELOPER_ID").is_none_or(|v| v.is_empty());
        Self { paths, demo }
    }
}

/// Version, data directory and mode of the running app.
#[tauri::command]
pub fn app_info(state: tauri::State<'_, ShellState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: state.paths.data_dir.display().to_string(),
        demo: state.demo,
    }
}
