//! Store tokens that outlive the process: the platform rotates a store's refresh token on every
//! refresh, so the pair the configuration started with is dead after the first one. The newest
//! pair is kept where the next start finds it — the OS keyring in the app, or, where no keyring
//! exists (a headless process, a relay), an owner-only JSON file ([`FileEntries`],
//! `IMDESK_TOKENS_FILE`, by default beside the database) — and a token refresher renews each
//! token before its `expireIn` runs out, whether or not anything calls the platform meanwhile
//! (the push link needs a live token to reconnect).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use meituan_api::{MeituanClient, Secret, StoreKey, StoreToken, TokenSink};
use meituan_wire::TimeMs;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::team_settings::TeamKeyring;

/// One store's kept pair, and the configured token it superseded (a store authorised anew in
/// the configuration starts from the new token, not from the kept one).
#[derive(Serialize, Deserialize)]
struct Kept {
    access_token: String,
    refresh_token: Option<String>,
    expires_at_ms: Option<i64>,
    /// The access token the configuration gave when this pair was made from it.
    configured: String,
}

/// Where store tokens are kept: any secret entry store (the app's OS keyring, or
/// [`FileEntries`]). Cheap to clone.
#[derive(Clone)]
pub struct TokenVault {
    entries: Arc<dyn TeamKeyring + Send + Sync>,
    /// The configured access token of each store, so that a saved pair names its origin.
    configured: Arc<Mutex<BTreeMap<String, String>>>,
}

impl std::fmt::Debug for TokenVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenVault")
    }
}

/// The keyring entry of a store's kept token pair.
pub fn pair_entry(key: &StoreKey) -> String {
    format!("store-token-pair:{}:{}", key.store, key.business_id.code())
}

impl TokenVault {
    /// A vault over `entries`.
    pub fn new(entries: Arc<dyn TeamKeyring + Send + Sync>) -> Self {
        Self {
            entries,
            configured: Arc::default(),
        }
    }

    /// The token to start `key` with: the kept pair when it grew from the configured token
    /// (`configured`), else the configured one (with its refresh token, if any).
    pub fn token_for(
        &self,
        key: &StoreKey,
        configured: &Secret,
        refresh_token: Option<&Secret>,
    ) -> StoreToken {
        self.configured
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(pair_entry(key), configured.expose().to_owned());
        let kept = self
            .entries
            .get(&pair_entry(key))
            .and_then(|s| serde_json::from_str::<Kept>(s.expose()).ok())
            .filter(|k| k.configured == configured.expose());
        match kept {
            Some(k) => StoreToken {
                access_token: Secret::new(k.access_token),
                refresh_token: k.refresh_token.map(Secret::new),
                expires_at: k.expires_at_ms.map(TimeMs),
            },
            None => StoreToken {
                access_token: configured.clone(),
                refresh_token: refresh_token.cloned(),
                expires_at: None,
            },
        }
    }

    fn save(&self, key: &StoreKey, token: &StoreToken) -> Result<(), String> {
        let name = pair_entry(key);
        let configured = self
            .configured
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&name)
            .cloned()
            .unwrap_or_default();
        let kept = Kept {
            access_token: token.access_token.expose().to_owned(),
            refresh_token: token.refresh_token.as_ref().map(|s| s.expose().to_owned()),
            expires_at_ms: token.expires_at.map(|t| t.0),
            configured,
        };
        let text = serde_json::to_string(&kept).map_err(|e| e.to_string())?;
        self.entries.set(&name, &Secret::new(text))
    }

    /// Keeps `token` as the pair of `key`, grown from its own access token: the token a store
    /// was just authorised with (onboarding), which the configuration now names.
    pub fn keep(&self, key: &StoreKey, token: &StoreToken) -> Result<(), String> {
        self.configured
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(pair_entry(key), token.access_token.expose().to_owned());
        self.save(key, token)
    }

    /// The client's sink: every new pair is kept at once.
    pub fn sink(&self) -> Arc<dyn TokenSink> {
        Arc::new(self.clone())
    }
}

impl TokenSink for TokenVault {
    fn token_changed(&self, key: &StoreKey, token: &StoreToken) {
        if let Err(e) = self.save(key, token) {
            // The reason names the store and the place, never the token.
            tracing::error!(store = %key, "the refreshed store token could not be kept: {e}");
        }
    }
}

/// The vault of a process without a keyring (the CLI, a relay): an owner-only file,
/// `IMDESK_TOKENS_FILE` or `<database>.tokens.json`.
pub fn file_vault(db_path: &Path) -> TokenVault {
    TokenVault::new(Arc::new(FileEntries::new(FileEntries::default_path(
        db_path,
    ))))
}

/// Secret entries in a JSON file only its owner may read: where no OS keyring exists.
#[derive(Debug)]
pub struct FileEntries {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileEntries {
    /// Entries in `path` (created on the first write, mode 0600).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    /// The file: `IMDESK_TOKENS_FILE`, else `<database>.tokens.json`.
    pub fn default_path(db_path: &Path) -> PathBuf {
        match std::env::var_os("IMDESK_TOKENS_FILE").filter(|p| !p.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => {
                let mut name = db_path.as_os_str().to_owned();
                name.push(".tokens.json");
                PathBuf::from(name)
            }
        }
    }

    fn read(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    fn write(&self, all: &BTreeMap<String, String>) -> Result<(), String> {
        let text = serde_json::to_string_pretty(all).map_err(|e| e.to_string())?;
        let shown = self.path.display().to_string();
        write_private(&self.path, &text).map_err(|e| format!("{shown}: {e}"))
    }
}

/// Writes `text` to `path` through a temporary file, readable by the owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

impl TeamKeyring for FileEntries {
    fn get(&self, entry: &str) -> Option<Secret> {
        let _held = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.read().remove(entry).map(Secret::new)
    }

    fn set(&self, entry: &str, value: &Secret) -> Result<(), String> {
        let _held = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all = self.read();
        all.insert(entry.to_owned(), value.expose().to_owned());
        self.write(&all)
    }

    fn delete(&self, entry: &str) -> Result<(), String> {
        let _held = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all = self.read();
        if all.remove(entry).is_some() {
            self.write(&all)?;
        }
        Ok(())
    }
}

/// How long before its expiry a token is renewed: `margin`, but never later than half of what
/// is left (a short-lived token is renewed at half-life).
fn renew_at(expires_at: i64, now: i64, margin: Duration) -> i64 {
    let margin = i64::try_from(margin.as_millis()).unwrap_or(i64::MAX);
    let left = (expires_at - now).max(0);
    expires_at - margin.min(left / 2)
}

/// Why each store's last token renewal failed (cleared by the next success).
pub(crate) type RenewalFailures = Arc<Mutex<std::collections::HashMap<StoreKey, String>>>;

/// A store token's health at `now` for the rail.
pub(crate) fn health(
    client: &MeituanClient,
    key: &StoreKey,
    failures: &RenewalFailures,
    now: i64,
) -> Option<crate::view::TokenHealth> {
    use crate::view::TokenHealth;
    let token = client.token(key)?;
    let failed = failures
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(key)
        .cloned();
    let expires_at = token.expires_at.map(|t| t.0);
    Some(match (expires_at, failed) {
        (Some(at), reason) if at <= now => TokenHealth::Expired { reason },
        (expires_at, Some(reason)) => TokenHealth::RenewalFailing { expires_at, reason },
        (Some(at), None) if token.refresh_token.is_some() => {
            TokenHealth::Renewing { expires_at: at }
        }
        _ => TokenHealth::Static,
    })
}

/// Renews every store token that can be renewed before it expires, until `stop`: at start
/// for a token whose expiry is unknown (to learn it), then before each expiry. A failed
/// renewal is tried again after `retry` while the token still lives, and its reason kept in
/// `failures` for the rail.
pub(crate) async fn run_refresher(
    client: Arc<MeituanClient>,
    keys: Vec<StoreKey>,
    margin: Duration,
    retry: Duration,
    failures: RenewalFailures,
    stop: CancellationToken,
) {
    let mut failed: std::collections::HashMap<StoreKey, i64> = std::collections::HashMap::new();
    loop {
        let now = client.now().0;
        let mut next: Option<i64> = None;
        for key in &keys {
            let Some(token) = client.token(key) else {
                continue;
            };
            if token.refresh_token.is_none() {
                continue;
            }
            let due = match token.expires_at {
                None => now,
                Some(at) => renew_at(at.0, now, margin),
            };
            let due = failed.get(key).map_or(due, |retry_at| due.max(*retry_at));
            if due <= now {
                match client.refresh(key).await {
                    Ok(_) => {
                        failed.remove(key);
                        failures
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .remove(key);
                    }
                    Err(e) => {
                        tracing::warn!(store = %key, "store token renewal failed: {e}");
                        failures
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(key.clone(), e.to_string());
                        let retry_ms = i64::try_from(retry.as_millis()).unwrap_or(i64::MAX);
                        failed.insert(key.clone(), now + retry_ms);
                    }
                }
                // Look again: the new expiry decides the next renewal.
                next = Some(now);
                continue;
            }
            next = Some(next.map_or(due, |n| n.min(due)));
        }
        let wait = match next {
            Some(at) => Duration::from_millis(u64::try_from((at - now).max(0)).unwrap_or(0)),
            // Nothing to renew now; a token set later (a store added) is looked at hourly.
            None => Duration::from_secs(3600),
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait.max(Duration::from_millis(50))) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meituan_wire::BusinessId;

    #[test]
    fn renewal_comes_at_the_margin_or_at_half_life() {
        let m = Duration::from_secs(30 * 60);
        let hour = 3_600_000;
        assert_eq!(renew_at(10 * hour, 0, m), 10 * hour - hour / 2);
        assert_eq!(renew_at(4_000, 0, m), 2_000);
        assert_eq!(renew_at(100, 200, m), 100);
    }

    #[test]
    fn a_kept_pair_is_used_until_the_store_is_authorised_anew() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let vault = TokenVault::new(Arc::new(FileEntries::new(&path)));
        let key = StoreKey::new("mt1", BusinessId::from_code(2).unwrap());
        let configured = Secret::new("access-0");
        let start = vault.token_for(&key, &configured, Some(&Secret::new("refresh-0")));
        assert_eq!(start.access_token.expose(), "access-0");
        assert_eq!(start.refresh_token.unwrap().expose(), "refresh-0");
        vault.token_changed(
            &key,
            &StoreToken {
                access_token: Secret::new("access-1"),
                refresh_token: Some(Secret::new("refresh-1")),
                expires_at: Some(TimeMs(5)),
            },
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The next start, same configuration: the kept pair.
        let vault = TokenVault::new(Arc::new(FileEntries::new(&path)));
        let kept = vault.token_for(&key, &configured, Some(&Secret::new("refresh-0")));
        assert_eq!(kept.access_token.expose(), "access-1");
        assert_eq!(kept.expires_at, Some(TimeMs(5)));
        // Authorised anew: the configuration's token wins.
        let fresh = vault.token_for(&key, &Secret::new("access-9"), None);
        assert_eq!(fresh.access_token.expose(), "access-9");
        assert!(format!("{vault:?}").find("access").is_none());
    }
}
