//! Entering real credentials from the settings: the signKey and each store's appAuthToken go
//! to the OS keyring (through [`SecretSink`], implemented by the shell), the rest (developerId,
//! the stores' ids, names and integrations) to the config file. Secrets never reach the file,
//! and nothing reads them back to the webview. The new configuration applies at the next start.

use std::collections::HashSet;
use std::path::Path;

use meituan_api::Secret;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::config::{ConfigError, DeskConfig, SecretStore};
use crate::team_settings::TeamKeyring;

/// The keyring entry (user name under the `imdesk` service) of a developer's signKey.
pub fn sign_key_entry(developer_id: i64) -> String {
    format!("signKey:{developer_id}")
}

/// The keyring entry of a store's appAuthToken.
pub fn store_token_entry(epoi_id: &str, business_id: u8) -> String {
    format!("appAuthToken:{epoi_id}:{business_id}")
}

/// Every keyring entry a store may have: its appAuthToken and its kept token pair
/// ([`crate::token_vault`]), e.g. to remove a store or wipe a desk.
pub fn store_entries(epoi_id: &str, business_id: u8) -> Vec<String> {
    let pair = meituan_wire::BusinessId::from_code(i64::from(business_id))
        .ok()
        .map(|b| crate::token_vault::pair_entry(&meituan_api::StoreKey::new(epoi_id, b)));
    std::iter::once(store_token_entry(epoi_id, business_id))
        .chain(pair)
        .collect()
}

/// Where secrets are written (the OS keyring in the app). Errors are short reasons without
/// the secret.
pub trait SecretSink {
    /// Keeps the signKey of `developer_id`.
    fn set_sign_key(&self, developer_id: i64, sign_key: &Secret) -> Result<(), String>;
    /// Keeps a store's appAuthToken.
    fn set_store_token(&self, epoi_id: &str, business_id: u8, token: &Secret)
        -> Result<(), String>;
}

/// A keyring of named entries (the OS keyring, [`crate::token_vault::FileEntries`]) keeps the
/// signKey and each store's token under their entries.
impl<K: TeamKeyring + ?Sized> SecretSink for K {
    fn set_sign_key(&self, developer_id: i64, sign_key: &Secret) -> Result<(), String> {
        self.set(&sign_key_entry(developer_id), sign_key)
    }
    fn set_store_token(
        &self,
        epoi_id: &str,
        business_id: u8,
        token: &Secret,
    ) -> Result<(), String> {
        self.set(&store_token_entry(epoi_id, business_id), token)
    }
}

impl<K: TeamKeyring + ?Sized> SecretStore for K {
    fn sign_key(&self, developer_id: i64) -> Option<Secret> {
        self.get(&sign_key_entry(developer_id))
    }
    fn store_token(&self, epoi_id: &str, business_id: u8) -> Option<Secret> {
        self.get(&store_token_entry(epoi_id, business_id))
    }
}

/// One store as the agent enters it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreEntryForm {
    /// The store's ePoiId.
    pub epoi_id: String,
    /// Display name.
    pub name: String,
    /// 2 (接单) or 16 (非接单).
    pub business_id: u8,
    /// The store's appAuthToken (blank: keep the stored one, or authorise with `auth_code`).
    pub app_auth_token: String,
    /// An OAuth authorisation code to exchange for the store's tokens instead of a token.
    #[serde(default)]
    pub auth_code: String,
}

/// The credentials form.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsForm {
    /// developerId, digits.
    pub developer_id: String,
    /// signKey.
    pub sign_key: String,
    /// The authorised stores.
    pub stores: Vec<StoreEntryForm>,
}

// Secrets must never reach logs.
impl std::fmt::Debug for CredentialsForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsForm")
            .field("developer_id", &self.developer_id)
            .field("stores", &self.stores.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for StoreEntryForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreEntryForm")
            .field("epoi_id", &self.epoi_id)
            .field("business_id", &self.business_id)
            .finish_non_exhaustive()
    }
}

/// Why the credentials were not saved.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// A field is missing or malformed (never quotes a secret).
    #[error("credentials: {0}")]
    Invalid(String),
    /// The keyring refused a secret.
    #[error("the OS keyring refused the {what}: {reason}")]
    Keyring {
        /// Which secret (`signKey`, or a store's token).
        what: String,
        /// The keyring's reason.
        reason: String,
    },
    /// The config file could not be read, parsed or written.
    #[error("config file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

impl From<CredentialsError> for crate::view::IpcError {
    fn from(e: CredentialsError) -> Self {
        let code = match e {
            CredentialsError::Invalid(_) => crate::view::ErrorCode::Invalid,
            CredentialsError::Keyring { .. } | CredentialsError::File { .. } => {
                crate::view::ErrorCode::Internal
            }
        };
        Self {
            code,
            message: e.to_string(),
            platform_msg: None,
        }
    }
}

fn invalid(reason: impl Into<String>) -> CredentialsError {
    CredentialsError::Invalid(reason.into())
}

/// What the form may know of the stored credentials: ids, names and whether each secret is
/// in the keyring (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoredCredentials {
    /// The stored developerId, if any.
    pub developer_id: Option<String>,
    /// Its signKey is in the keyring.
    pub sign_key_stored: bool,
    /// The stores of the config file.
    pub stores: Vec<StoredStore>,
}

/// One stored store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoredStore {
    pub epoi_id: String,
    pub name: String,
    pub business_id: u8,
    /// Its appAuthToken is in the keyring (a blank token field keeps it).
    pub token_stored: bool,
}

/// The credentials the config file at `path` and the keyring hold now, for the form: adding
/// one store then needs only that store's token.
pub fn stored_credentials(path: &Path, secrets: &dyn SecretStore) -> StoredCredentials {
    let config = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| DeskConfig::from_toml(&text, &path.display().to_string()).ok());
    let Some(config) = config else {
        return StoredCredentials {
            developer_id: None,
            sign_key_stored: false,
            stores: Vec::new(),
        };
    };
    StoredCredentials {
        developer_id: config.developer_id.map(|id| id.to_string()),
        sign_key_stored: config
            .developer_id
            .is_some_and(|id| secrets.sign_key(id).is_some()),
        stores: config
            .stores
            .iter()
            .map(|s| StoredStore {
                epoi_id: s.epoi_id.clone(),
                name: s.name.clone(),
                business_id: s.business_id,
                token_stored: secrets.store_token(&s.epoi_id, s.business_id).is_some(),
            })
            .collect(),
    }
}

/// Checks the form (a blank signKey or token keeps the one in the keyring, if there is one);
/// returns the developer id.
pub(crate) fn check(
    form: &CredentialsForm,
    stored: &dyn SecretStore,
) -> Result<i64, CredentialsError> {
    let developer_id: i64 = form
        .developer_id
        .trim()
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| invalid("developerId must be a positive integer"))?;
    if form.sign_key.trim().is_empty() && stored.sign_key(developer_id).is_none() {
        return Err(invalid("signKey is empty"));
    }
    if form.stores.is_empty() {
        return Err(invalid("at least one store is needed"));
    }
    let mut seen = HashSet::new();
    for s in &form.stores {
        let id = s.epoi_id.trim();
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            return Err(invalid("a store's ePoiId is empty or contains spaces"));
        }
        if !matches!(s.business_id, 2 | 16) {
            return Err(invalid(format!("store {id}: businessId must be 2 or 16")));
        }
        if s.app_auth_token.trim().is_empty()
            && s.auth_code.trim().is_empty()
            && stored.store_token(id, s.business_id).is_none()
        {
            return Err(invalid(format!(
                "store {id}: enter its appAuthToken or an authorisation code"
            )));
        }
        if !seen.insert((id.to_owned(), s.business_id)) {
            return Err(invalid(format!("store {id} is listed twice")));
        }
    }
    Ok(developer_id)
}

/// Validates the form, writes the secrets to `secrets`, then the rest to the config file at
/// `path` (other keys of the file are kept; a `sign_key` or token written there by hand is
/// removed, since the keyring now holds it). Returns the configuration the next start will
/// load from the file (secrets not filled in).
pub fn save_credentials<K: SecretSink + SecretStore>(
    form: &CredentialsForm,
    path: &Path,
    secrets: &K,
) -> Result<DeskConfig, CredentialsError> {
    let developer_id = check(form, secrets)?;
    let file_err = |reason: String| CredentialsError::File {
        path: path.display().to_string(),
        reason,
    };
    let mut table: toml::Table = match std::fs::read_to_string(path) {
        Ok(text) => text
            .parse()
            .map_err(|e: toml::de::Error| file_err(e.message().to_owned()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(e) => return Err(file_err(e.to_string())),
    };
    if !form.sign_key.trim().is_empty() {
        secrets
            .set_sign_key(developer_id, &Secret::new(form.sign_key.trim()))
            .map_err(|reason| CredentialsError::Keyring {
                what: "signKey".into(),
                reason,
            })?;
    }
    for s in form
        .stores
        .iter()
        .filter(|s| !s.app_auth_token.trim().is_empty())
    {
        let id = s.epoi_id.trim();
        secrets
            .set_store_token(id, s.business_id, &Secret::new(s.app_auth_token.trim()))
            .map_err(|reason| CredentialsError::Keyring {
                what: format!("appAuthToken of store {id}"),
                reason,
            })?;
    }
    table.remove("sign_key");
    table.insert("developer_id".into(), toml::Value::Integer(developer_id));
    let stores = form
        .stores
        .iter()
        .map(|s| {
            let mut t = toml::Table::new();
            t.insert("epoi_id".into(), s.epoi_id.trim().into());
            t.insert("name".into(), s.name.trim().into());
            t.insert("business_id".into(), i64::from(s.business_id).into());
            toml::Value::Table(t)
        })
        .collect();
    table.insert("stores".into(), toml::Value::Array(stores));
    let text = toml::to_string(&table).map_err(|e| file_err(e.to_string()))?;
    write_atomically(path, &text).map_err(|e| file_err(e.to_string()))?;
    DeskConfig::from_toml(&text, &path.display().to_string())
        .map_err(|e: ConfigError| file_err(e.to_string()))
}

/// Keys a desk's configuration never carries to another desk: secrets, and what belongs to this
/// machine (its database path).
const NOT_EXPORTED: [&str; 4] = ["sign_key", "nats_creds", "db_path", "app_auth_token"];

/// This desk's configuration for the next desk, without a secret: the config file at `path`
/// less the signKey, tokens, NATS credentials, the team server's password and the database
/// path. Secrets are entered (or authorised) on each desk.
pub fn export_desk_config(path: &Path) -> Result<String, CredentialsError> {
    let file_err = |reason: String| CredentialsError::File {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_err(e.message().to_owned()))?;
    for key in NOT_EXPORTED {
        table.remove(key);
    }
    if let Some(toml::Value::Array(stores)) = table.get_mut("stores") {
        for store in stores.iter_mut().filter_map(toml::Value::as_table_mut) {
            store.remove("app_auth_token");
            store.remove("refresh_token");
        }
    }
    if let Some(url) = table.get("nats_url").and_then(toml::Value::as_str) {
        let bare = crate::team_settings::without_passwords(url);
        table.insert("nats_url".into(), bare.into());
    }
    let body = toml::to_string(&table).map_err(|e| file_err(e.to_string()))?;
    Ok(format!(
        "# imdesk desk configuration, without secrets: enter the signKey, the stores' tokens\n\
         # and the team's credentials on each desk.\n{body}"
    ))
}

/// Takes another desk's exported configuration into the config file at `path`: checked as a
/// whole first (a file carrying a secret, or one that does not load, is refused and nothing
/// is written); this desk's database path is kept. Applies at the next start.
pub fn import_desk_config(text: &str, path: &Path) -> Result<DeskConfig, CredentialsError> {
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        invalid(format!("the configuration file: {}", e.message()))
    })?;
    let secret_in_store = table
        .get("stores")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_table)
        .any(|s| s.contains_key("app_auth_token") || s.contains_key("refresh_token"));
    if let Some(key) = NOT_EXPORTED.iter().find(|k| table.contains_key(**k)) {
        return Err(invalid(format!(
            "the configuration file carries `{key}`: secrets and machine paths are entered on each desk"
        )));
    }
    if secret_in_store {
        return Err(invalid(
            "the configuration file carries a store token: tokens are entered on each desk",
        ));
    }
    let checked = DeskConfig::from_toml(
        &toml::to_string(&table).unwrap_or_default(),
        "the configuration file",
    )
    .map_err(|e| invalid(e.to_string()))?;
    for store in &checked.stores {
        store.business().map_err(|e| invalid(e.to_string()))?;
    }
    let file_err = |reason: String| CredentialsError::File {
        path: path.display().to_string(),
        reason,
    };
    let current: toml::Table = match std::fs::read_to_string(path) {
        Ok(text) => text
            .parse()
            .map_err(|e: toml::de::Error| file_err(e.message().to_owned()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(e) => return Err(file_err(e.to_string())),
    };
    if let Some(db) = current.get("db_path") {
        table.insert("db_path".into(), db.clone());
    }
    let out = toml::to_string(&table).map_err(|e| file_err(e.to_string()))?;
    write_atomically(path, &out).map_err(|e| file_err(e.to_string()))?;
    DeskConfig::from_toml(&out, &path.display().to_string())
        .map_err(|e: ConfigError| file_err(e.to_string()))
}

/// A brand's store list from a CSV file: `epoi_id`, `name`, `businessId` — with a header row
/// naming them (in any order; `epoiId`, `business_id` and the like are understood) or, without
/// one, in that order. Tokens are entered or authorised afterwards, so none is read. Every
/// refusal names the row (as counted in the file) or the column.
pub fn parse_store_csv(text: &str) -> Result<Vec<StoreEntryForm>, CredentialsError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let norm = |s: &str| s.to_ascii_lowercase().replace(['_', ' ', '-'], "");
    let mut columns = (0, 1, 2);
    let mut out: Vec<StoreEntryForm> = Vec::new();
    let mut rows_of: std::collections::HashMap<(String, u8), u64> = Default::default();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| invalid(format!("CSV row {}: {e}", i + 1)))?;
        let row = record.position().map_or(i as u64 + 1, csv::Position::line);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let names: Vec<String> = record.iter().map(norm).collect();
        if i == 0 && names.iter().any(|n| n == "epoiid") {
            let at = |want: &[&str], what: &str| {
                names
                    .iter()
                    .position(|n| want.contains(&n.as_str()))
                    .ok_or_else(|| invalid(format!("CSV header: no `{what}` column")))
            };
            columns = (
                at(&["epoiid"], "epoi_id")?,
                at(&["name", "storename"], "name")?,
                at(&["businessid", "business"], "businessId")?,
            );
            continue;
        }
        let cell = |at: usize| record.get(at).unwrap_or("");
        let (epoi_id, name, business) = (cell(columns.0), cell(columns.1), cell(columns.2));
        if epoi_id.is_empty() || business.is_empty() {
            return Err(invalid(format!(
                "CSV row {row}: needs epoi_id, name and businessId"
            )));
        }
        if epoi_id.chars().any(char::is_whitespace) {
            return Err(invalid(format!("CSV row {row}: the epoi_id has spaces")));
        }
        let business_id: u8 = match business {
            "2" => 2,
            "16" => 16,
            other => {
                return Err(invalid(format!(
                    "CSV row {row}: businessId {other} is not 2 or 16"
                )))
            }
        };
        if let Some(first) = rows_of.insert((epoi_id.to_owned(), business_id), row) {
            return Err(invalid(format!(
                "CSV row {row}: store {epoi_id} is listed twice (first in row {first})"
            )));
        }
        out.push(StoreEntryForm {
            epoi_id: epoi_id.to_owned(),
            name: name.to_owned(),
            business_id,
            app_auth_token: String::new(),
            auth_code: String::new(),
        });
    }
    if out.is_empty() {
        return Err(invalid("the CSV file lists no store"));
    }
    Ok(out)
}

/// Writes `text` next to `path` and renames it into place, so a crash leaves the old file.
pub(crate) fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
