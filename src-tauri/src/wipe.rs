//! 清除本机数据 (设置 → 数据保留): removes everything this desk keeps — the data directory
//! (database, attachments, logs, crash reports, the webview's own storage) and its keyring
//! entries. The keyring entries go while the app still runs; the directory goes after the
//! event loop has returned, when the engine, the window's web processes and the log file are
//! closed and nothing can write into it again.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use imdesk_core::credentials::{sign_key_entry, store_entries};
use imdesk_core::team_settings::{TeamKeyring, CREDS_ENTRY, URL_ENTRY};
use imdesk_core::DeskConfig;

/// The webview's storage, under the data directory.
pub const WEBVIEW_DIR: &str = "webview";

/// Whether a wipe was asked for, and the keyring entries this desk may have written.
#[derive(Debug, Clone)]
pub struct Wipe {
    requested: Arc<AtomicBool>,
    entries: Arc<Vec<String>>,
}

/// The keyring entries of a configuration: the developer's signKey, each store's token and
/// its kept token pair, and the team's.
fn entries_of(config: &DeskConfig) -> Vec<String> {
    let mut entries: Vec<String> = config
        .developer_id
        .map(sign_key_entry)
        .into_iter()
        .collect();
    for s in &config.stores {
        entries.extend(store_entries(&s.epoi_id, s.business_id));
    }
    entries.extend([URL_ENTRY.to_owned(), CREDS_ENTRY.to_owned()]);
    entries
}

impl Wipe {
    /// The keyring entries of the configuration the app started with.
    pub fn new(config: &DeskConfig) -> Self {
        Self {
            requested: Arc::new(AtomicBool::new(false)),
            entries: Arc::new(entries_of(config)),
        }
    }

    /// Deletes the keyring entries (those of the start's configuration and of `current`, the
    /// configuration as saved since, e.g. stores added in the settings) and marks the data
    /// directory for removal at exit.
    pub fn request(
        &self,
        keyring: &dyn TeamKeyring,
        current: Option<&DeskConfig>,
    ) -> Result<(), String> {
        let mut entries = self.entries.as_ref().clone();
        entries.extend(current.map(entries_of).unwrap_or_default());
        entries.sort();
        entries.dedup();
        for entry in &entries {
            keyring.delete(entry)?;
        }
        self.requested.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Whether [`Wipe::request`] was called.
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }
}

/// Removes the data directory; reports on stderr (the log is gone) when it cannot.
pub fn remove_data_dir(dir: &Path) -> ExitCode {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "imdesk: the data directory {} could not be removed: {e}",
                dir.display()
            );
            ExitCode::FAILURE
        }
    }
}
