//! Secrets in the OS keyring (Keychain, Credential Manager, Secret Service): the signKey and
//! store tokens never live in the config file, the SQLite cache or the webview.

use imdesk_core::config::SecretStore;
use imdesk_core::credentials::{sign_key_entry, store_token_entry, SecretSink};
use meituan_api::Secret;

const SERVICE: &str = "imdesk";

/// Reads secrets from the OS keyring; a missing keyring or entry is simply "not there".
#[derive(Debug, Default)]
pub struct OsKeyring;

impl OsKeyring {
    fn get(user: &str) -> Option<Secret> {
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

impl SecretStore for OsKeyring {
    fn sign_key(&self, developer_id: i64) -> Option<Secret> {
        Self::get(&sign_key_entry(developer_id))
    }

    fn store_token(&self, epoi_id: &str, business_id: u8) -> Option<Secret> {
        Self::get(&store_token_entry(epoi_id, business_id))
    }
}

impl OsKeyring {
    fn set(user: &str, secret: &Secret) -> Result<(), String> {
        let entry = keyring::Entry::new(SERVICE, user).map_err(|e| e.to_string())?;
        entry
            .set_password(secret.expose())
            .map_err(|e| e.to_string())
    }
}

impl SecretSink for OsKeyring {
    fn set_sign_key(&self, developer_id: i64, sign_key: &Secret) -> Result<(), String> {
        Self::set(&sign_key_entry(developer_id), sign_key)
    }

    fn set_store_token(
        &self,
        epoi_id: &str,
        business_id: u8,
        token: &Secret,
    ) -> Result<(), String> {
        Self::set(&store_token_entry(epoi_id, business_id), token)
    }
}
