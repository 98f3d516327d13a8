//! Where imdesk keeps its files: the platform data directory, or `IMDESK_DATA_DIR` (tests and
//! portable installs use it to run side by side without touching the user's data).

use std::path::PathBuf;

/// The directories the shell writes to.
#[derive(Debug, Clone)]
pub struct AppPaths {
    /// Root of everything imdesk stores (SQLite cache, logs).
    pub data_dir: PathBuf,
    /// Where the log file lives; the end-to-end harness collects it on failure.
    pub log_dir: PathBuf,
    /// Crash reports (`crash-<ms>.txt`), offered at the next start.
    pub crash_dir: PathBuf,
}

impl AppPaths {
    /// Resolves the directories and creates the data directory. The log and crash
    /// directories are created by their writers, whose failure only costs the file.
    pub fn resolve() -> std::io::Result<Self> {
        let data_dir = match std::env::var_os("IMDESK_DATA_DIR") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => directories::ProjectDirs::from("com", "imdesk", "imdesk")
                .map(|p| p.data_dir().to_path_buf())
                .ok_or_else(|| std::io::Error::other("no home directory"))?,
        };
        std::fs::create_dir_all(&data_dir)?;
        Ok(Self {
            log_dir: data_dir.join("logs"),
            crash_dir: data_dir.join("crashes"),
            data_dir,
        })
    }
}
