//! Secrets in the OS keyring (Keychain, Credential Manager, Secret Service): the signKey,
//! store tokens and the team server's URL and NATS credentials never live in the config file,
//! the SQLite cache or the webview.
//!
//! Debug builds only: `IMDESK_KEYRING_FILE=<path>` keeps the entries in that JSON file instead,
//! for the real-window tests, whose private D-Bus session has no Secret Service. Release
//! builds do not compile the switch.

use imdesk_core::team_settings::TeamKeyring;
use meituan_api::Secret;

const SERVICE: &str = "imdesk";

/// Reads secrets from the OS keyring; a missing keyring or entry is simply "not there".
#[derive(Debug, Default)]
pub struct OsKeyring;

impl OsKeyring {
    fn read_entry(user: &str) -> Option<Secret> {
        #[cfg(debug_assertions)]
        if let Some(file) = test_file::path() {
            return test_file::get(&file, user).map(Secret::new);
        }
        let entry = keyring::Entry::new(SERVICE, user).ok()?;
        match entry.get_password() {
            Ok(value) if !value.trim().is_empty() => Some(Secret::new(value)),
            Ok(_) => None,
            Err(e) => {
                tracing::debug!(entry = user, error = %e, "no keyring secret");
                None
            }
        }
    }
}

impl OsKeyring {
    fn write_entry(user: &str, secret: &Secret) -> Result<(), String> {
        #[cfg(debug_assertions)]
        if let Some(file) = test_file::path() {
            return test_file::set(&file, user, Some(secret.expose()));
        }
        let entry = keyring::Entry::new(SERVICE, user).map_err(|e| e.to_string())?;
        entry
            .set_password(secret.expose())
            .map_err(|e| e.to_string())
    }

    fn delete_entry(user: &str) -> Result<(), String> {
        #[cfg(debug_assertions)]
        if let Some(file) = test_file::path() {
            return test_file::set(&file, user, None);
        }
        let entry = keyring::Entry::new(SERVICE, user).map_err(|e| e.to_string())?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl TeamKeyring for OsKeyring {
    fn get(&self, entry: &str) -> Option<Secret> {
        Self::read_entry(entry)
    }

    fn set(&self, entry: &str, value: &Secret) -> Result<(), String> {
        Self::write_entry(entry, value)
    }

    fn delete(&self, entry: &str) -> Result<(), String> {
        Self::delete_entry(entry)
    }
}

/// The tests' stand-in keyring: a JSON object of entry → secret (debug builds only).
#[cfg(debug_assertions)]
mod test_file {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    pub fn path() -> Option<PathBuf> {
        std::env::var_os("IMDESK_KEYRING_FILE")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
    }

    fn read(file: &Path) -> BTreeMap<String, String> {
        std::fs::read_to_string(file)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    pub fn get(file: &Path, user: &str) -> Option<String> {
        read(file).remove(user).filter(|v| !v.trim().is_empty())
    }

    pub fn set(file: &Path, user: &str, value: Option<&str>) -> Result<(), String> {
        let mut entries = read(file);
        match value {
            Some(v) => entries.insert(user.to_owned(), v.to_owned()),
            None => entries.remove(user),
        };
        let text = serde_json::to_string(&entries).map_err(|e| e.to_string())?;
        std::fs::write(file, text).map_err(|e| e.to_string())
    }
}
