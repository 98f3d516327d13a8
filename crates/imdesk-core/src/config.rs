//! [`DeskConfig`]: what the desk needs to reach the platform and where its cache lives, from a
//! TOML file in the platform config directory overridden by `IMDESK_*` environment variables
//! (architecture.md, "Configuration"), so headless runs and tests need no file.
//!
//! Loading is a pure function of (file text, environment map), [`DeskConfig::from_sources`];
//! [`DeskConfig::load_default`] only adds the reading of the real file and environment.
//! Precedence: environment, then file, then [`SecretStore`] (the keyring seam, for secrets
//! only), then defaults. Secrets (`IMDESK_SIGN_KEY`, the stores' `app_auth_token`) are held as
//! [`meituan_api::Secret`], whose `Debug` never shows them; errors never quote them.
//!
//! File example (`config.toml`):
//!
//! ```toml
//! gateway_url = "https://api-open-cater.meituan.com"
//! developer_id = 100001
//! sign_key = "…"            # better kept in the keyring
//! db_path = "/home/agent/.local/share/imdesk/imdesk.sqlite3"
//! push_scope = "developer"  # or "store": see `PushScope`
//! [[stores]]
//! epoi_id = "mt-1001"
//! name = "望京店"
//! business_id = 16
//! app_auth_token = "…"      # may be left out when the keyring holds it
//!
//! # What the platform's error codes mean: corrects the built-in table
//! # (meituan-api/data/platform_codes.toml) without a new build. See [`PlatformCodesConfig`].
//! [platform_codes]
//! secret_refetch_after_secs = 300   # a failed send with an older imSecret fetches it again
//! error_burst_after = 5             # failures in a row before every request backs off
//! [platform_codes.codes]
//! "1101" = "token_expired"
//! "1201" = "rate_limited"
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use meituan_api::{CodeTable, PlatformCodes, Secret, StoreKey, DEFAULT_BASE_URL};
use meituan_wire::BusinessId;
use serde::Deserialize;

/// \[INF\] The production push base URL: the host of the publicly seen
/// `wss://wpush.meituan.com/websocket/{connectionId}/{connectionToken}`
/// (`meituan-im-protocol.md` §6.2); the SDK names no push host. Override with
/// `IMDESK_PUSH_URL` or `push_url` if the live platform uses another.
pub const DEFAULT_PUSH_URL: &str = "wss://wpush.meituan.com";
/// The cache file name, inside the platform data directory by default.
pub const DEFAULT_DB_FILE: &str = "imdesk.sqlite3";
/// The configuration file name, inside the platform config directory.
pub const CONFIG_FILE: &str = "config.toml";

/// The environment variables that override the file.
pub const ENV_VARS: [&str; 14] = [
    "IMDESK_GATEWAY_URL",
    "IMDESK_PUSH_URL",
    "IMDESK_DEVELOPER_ID",
    "IMDESK_SIGN_KEY",
    "IMDESK_DB",
    "IMDESK_STORES",
    "IMDESK_PUSH_CONNECTIONS",
    "IMDESK_PUSH_SCOPE",
    "IMDESK_NATS_URL",
    "IMDESK_NATS_CREDS",
    "IMDESK_AGENT",
    "IMDESK_AGENT_ROLE",
    "IMDESK_AGENT_CAPACITY",
    "IMDESK_AGENT_STORES",
];

/// Whose pushes one long connection carries, and so whose imSecret a reply is encrypted
/// with. **\[INF\]** (protocol §6.3, open question 3: nobody outside Meituan knows yet): this
/// setting is the one switch for it (`IMDESK_PUSH_SCOPE`, `push_scope` in the file), so that
/// the live platform's answer is a configuration change, not a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushScope {
    /// One connection set for the developer (the default, the protocol document's working
    /// assumption): tokens asked with any store's token, one imSecret for every store and
    /// both businessIds, frames naming their store.
    #[default]
    Developer,
    /// A connection set, connectionId and imSecret for each store token: each store's
    /// sockets carry that store's pushes only, and its replies are encrypted with its own
    /// secret. `push_connections` then counts sockets per store.
    Store,
}

impl std::str::FromStr for PushScope {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "developer" => Ok(Self::Developer),
            "store" => Ok(Self::Store),
            _ => Err(invalid("push_scope", "not `developer` or `store`")),
        }
    }
}

/// Why a configuration could not be read. Never contains a secret value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file or a variable is not valid.
    #[error("invalid configuration ({what}): {reason}")]
    Invalid {
        /// The file or variable.
        what: String,
        /// What is wrong (never a secret value).
        reason: String,
    },
}

/// One authorised store, as `IMDESK_STORES` and the file's `[[stores]]` list it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StoreCredentials {
    /// The ePoiId.
    pub epoi_id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// 2 or 16 (checked at load).
    pub business_id: u8,
    /// The store's appAuthToken for (store, business_id); blank until a [`SecretStore`]
    /// fills it, when neither the file nor the environment gives it.
    #[serde(default)]
    pub app_auth_token: Secret,
    /// The refresh token of the same grant, when the store was authorised by OAuth: with it
    /// the engine learns the token's expiry at start and renews it before each expiry.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
}

impl StoreCredentials {
    /// The integration, checked.
    pub fn business(&self) -> Result<BusinessId, ConfigError> {
        BusinessId::from_code(i64::from(self.business_id)).map_err(|_| ConfigError::Invalid {
            what: format!("store {}", self.epoi_id),
            reason: format!("business_id {} is not 2 or 16", self.business_id),
        })
    }

    /// The client's key for this store.
    pub fn key(&self) -> Result<StoreKey, ConfigError> {
        Ok(StoreKey::new(self.epoi_id.as_str(), self.business()?))
    }
}

/// The `[platform_codes]` section: what the platform's error codes mean, and the settings of
/// the behaviours that work without knowing them \[INF\] (open question 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformCodesConfig {
    /// The built-in table corrected by the section's `success`, `[codes]` and
    /// `[[by_message]]` (`inherit = false` starts from nothing).
    pub table: PlatformCodes,
    /// A send refused with any code (other than a known refusal such as a blocked customer)
    /// while the imSecret is at least this old fetches the secret again and retries once
    /// (`secret_refetch_after_secs`, default 300; 0 = on every such failure).
    pub secret_refetch_after: std::time::Duration,
    /// Failures in a row, of any kind, after which every request backs off
    /// (`error_burst_after`, default 5; 0 turns it off).
    pub error_burst_after: u32,
}

impl Default for PlatformCodesConfig {
    fn default() -> Self {
        Self {
            table: PlatformCodes::built_in(),
            secret_refetch_after: std::time::Duration::from_secs(300),
            error_burst_after: meituan_api::ErrorBurst::default().after,
        }
    }
}

/// The section as the file gives it.
#[derive(Debug, Default, Deserialize)]
struct PlatformCodesSection {
    #[serde(flatten)]
    table: CodeTable,
    secret_refetch_after_secs: Option<u64>,
    error_burst_after: Option<u32>,
}

impl PlatformCodesSection {
    fn apply(self) -> Result<PlatformCodesConfig, ConfigError> {
        let defaults = PlatformCodesConfig::default();
        Ok(PlatformCodesConfig {
            table: defaults
                .table
                .overlaid(&self.table)
                .map_err(|e| invalid("platform_codes", e.to_string()))?,
            secret_refetch_after: self.secret_refetch_after_secs.map_or(
                defaults.secret_refetch_after,
                std::time::Duration::from_secs,
            ),
            error_burst_after: self.error_burst_after.unwrap_or(defaults.error_burst_after),
        })
    }
}

/// Where secrets live when the file and environment do not give them (the OS keyring,
/// implemented in the shell). Only blank secrets are asked for.
pub trait SecretStore {
    /// The signKey of `developer_id`.
    fn sign_key(&self, developer_id: i64) -> Option<Secret>;
    /// The appAuthToken of a store.
    fn store_token(&self, epoi_id: &str, business_id: u8) -> Option<Secret>;
}

/// Everything the engine reads at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskConfig {
    /// Gateway base URL (`IMDESK_GATEWAY_URL`).
    pub gateway_url: String,
    /// Push base URL (`IMDESK_PUSH_URL`).
    pub push_url: String,
    /// Developer id (`IMDESK_DEVELOPER_ID`); `None` means demo mode.
    pub developer_id: Option<i64>,
    /// signKey (`IMDESK_SIGN_KEY`).
    pub sign_key: Option<Secret>,
    /// The SQLite file (`IMDESK_DB`).
    pub db_path: PathBuf,
    /// Stores (`IMDESK_STORES`, a JSON list).
    pub stores: Vec<StoreCredentials>,
    /// Redundant push connections per scope unit, 1 to 5 (`IMDESK_PUSH_CONNECTIONS`): in
    /// total, for the developer scope; for each store, in the store scope (a store then has
    /// the redundancy the platform recommends for one credential set, §4.2). `None` keeps
    /// [`crate::DeskOptions::connections`] (3, as the platform recommends).
    pub push_connections: Option<u8>,
    /// Whose pushes a connection carries (`IMDESK_PUSH_SCOPE`, `developer` or `store`).
    pub push_scope: PushScope,
    /// The platform's error codes and the code-free fallbacks (`[platform_codes]`).
    pub platform_codes: PlatformCodesConfig,
    /// Team mode (`IMDESK_NATS_URL`, `IMDESK_NATS_CREDS`, `IMDESK_AGENT`; `nats_url`,
    /// `nats_creds`, `agent` in the file): with it and no signKey this process is a desk of
    /// the team; `imdesk-cli relay` uses it beside the platform credentials.
    pub team: Option<crate::team::TeamConfig>,
}

impl Default for DeskConfig {
    fn default() -> Self {
        Self {
            gateway_url: DEFAULT_BASE_URL.to_owned(),
            push_url: DEFAULT_PUSH_URL.to_owned(),
            developer_id: None,
            sign_key: None,
            db_path: PathBuf::from(DEFAULT_DB_FILE),
            stores: Vec::new(),
            push_connections: None,
            push_scope: PushScope::default(),
            platform_codes: PlatformCodesConfig::default(),
            team: None,
        }
    }
}

/// The file's shape: every key optional, unknown keys ignored (other parts of the app may
/// keep their own settings in the same file).
#[derive(Debug, Default, Deserialize)]
struct FileConfig {
    gateway_url: Option<String>,
    push_url: Option<String>,
    developer_id: Option<i64>,
    sign_key: Option<Secret>,
    db_path: Option<PathBuf>,
    stores: Option<Vec<StoreCredentials>>,
    push_connections: Option<u8>,
    push_scope: Option<PushScope>,
    platform_codes: Option<PlatformCodesSection>,
    nats_url: Option<String>,
    nats_creds: Option<PathBuf>,
    agent: Option<String>,
    agent_role: Option<String>,
    agent_capacity: Option<u32>,
    agent_stores: Option<Vec<String>>,
}

fn invalid(what: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        what: what.to_owned(),
        reason: reason.into(),
    }
}

impl DeskConfig {
    /// The configuration from a file's text (if any) and an environment map: a pure function.
    pub fn from_sources(
        file_text: Option<&str>,
        env: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match file_text {
            Some(text) => Self::from_toml(text, "config file")?,
            None => Self::default(),
        };
        config.apply_env(|name| env.get(name).cloned())?;
        config.check()?;
        Ok(config)
    }

    /// Parses TOML text; `what` names the source in errors.
    pub fn from_toml(text: &str, what: &str) -> Result<Self, ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| invalid(what, e.message()))?;
        let defaults = Self::default();
        Ok(Self {
            gateway_url: file.gateway_url.unwrap_or(defaults.gateway_url),
            push_url: file.push_url.unwrap_or(defaults.push_url),
            developer_id: file.developer_id,
            sign_key: file.sign_key,
            db_path: file.db_path.unwrap_or(defaults.db_path),
            stores: file.stores.unwrap_or_default(),
            push_connections: file.push_connections,
            push_scope: file.push_scope.unwrap_or_default(),
            team: match file.nats_url {
                Some(url) => Some(crate::team::TeamConfig {
                    creds: file.nats_creds,
                    role: match file.agent_role.as_deref() {
                        Some(r) => parse_role(r, what)?,
                        None => crate::team::Role::Agent,
                    },
                    capacity: file.agent_capacity.unwrap_or(crate::team::DEFAULT_CAPACITY),
                    serves: file.agent_stores.unwrap_or_default(),
                    ..crate::team::TeamConfig::new(url, file.agent.unwrap_or_else(default_agent))
                }),
                None => None,
            },
            platform_codes: match file.platform_codes {
                Some(section) => section.apply()?,
                None => defaults.platform_codes,
            },
        })
    }

    /// Parses a TOML file.
    pub fn from_toml_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Reads `file` when given and present, then applies the process's `IMDESK_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let text = match file {
            Some(path) if path.exists() => Some(std::fs::read_to_string(path).map_err(
                |source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                },
            )?),
            _ => None,
        };
        Self::from_sources(text.as_deref(), &process_env())
    }

    /// Loads from the platform config file ([`DeskConfig::default_path`]) and the process
    /// environment. A cache path left at its relative default moves to the platform data
    /// directory.
    pub fn load_default() -> Result<Self, ConfigError> {
        let mut config = Self::load(Self::default_path().as_deref())?;
        if config.db_path == Path::new(DEFAULT_DB_FILE) {
            if let Some(dirs) = project_dirs() {
                config.db_path = dirs.data_dir().join(DEFAULT_DB_FILE);
            }
        }
        Ok(config)
    }

    /// `config.toml` in the platform config directory (for example
    /// `~/.config/imdesk/config.toml` on Linux), if the platform has one.
    pub fn default_path() -> Option<PathBuf> {
        project_dirs().map(|d| d.config_dir().join(CONFIG_FILE))
    }

    /// Overrides fields from variables read through `var` (the environment, or a map in
    /// tests). Empty variables are ignored.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        if let Some(v) = set("IMDESK_GATEWAY_URL") {
            self.gateway_url = v.trim().to_owned();
        }
        if let Some(v) = set("IMDESK_PUSH_URL") {
            self.push_url = v.trim().to_owned();
        }
        if let Some(v) = set("IMDESK_DEVELOPER_ID") {
            let id = v.trim().parse();
            self.developer_id =
                Some(id.map_err(|_| invalid("IMDESK_DEVELOPER_ID", "not an integer"))?);
        }
        if let Some(v) = set("IMDESK_SIGN_KEY") {
            self.sign_key = Some(Secret::new(v));
        }
        if let Some(v) = set("IMDESK_DB") {
            self.db_path = PathBuf::from(v);
        }
        if let Some(v) = set("IMDESK_PUSH_CONNECTIONS") {
            let n = v.trim().parse();
            self.push_connections =
                Some(n.map_err(|_| invalid("IMDESK_PUSH_CONNECTIONS", "not a number 1 to 5"))?);
        }
        if let Some(v) = set("IMDESK_PUSH_SCOPE") {
            self.push_scope = v
                .parse()
                .map_err(|_| invalid("IMDESK_PUSH_SCOPE", "not `developer` or `store`"))?;
        }
        if let Some(v) = set("IMDESK_NATS_URL") {
            let team = self
                .team
                .get_or_insert_with(|| crate::team::TeamConfig::new("", default_agent()));
            team.url = v.trim().to_owned();
        }
        if let Some(team) = &mut self.team {
            if let Some(v) = set("IMDESK_NATS_CREDS") {
                team.creds = Some(PathBuf::from(v.trim()));
            }
            if let Some(v) = set("IMDESK_AGENT") {
                team.agent = v.trim().to_owned();
            }
            if let Some(v) = set("IMDESK_AGENT_ROLE") {
                team.role = parse_role(&v, "IMDESK_AGENT_ROLE")?;
            }
            if let Some(v) = set("IMDESK_AGENT_CAPACITY") {
                team.capacity = v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| invalid("IMDESK_AGENT_CAPACITY", "not a number above 0"))?;
            }
            if let Some(v) = set("IMDESK_AGENT_STORES") {
                team.serves = v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
        }
        if let Some(v) = set("IMDESK_STORES") {
            self.stores = serde_json::from_str(&v).map_err(|e| {
                let at = format!("line {} column {}", e.line(), e.column());
                invalid("IMDESK_STORES", format!("not a JSON list of stores ({at})"))
            })?;
        }
        Ok(())
    }

    /// Fills blank secrets from `secrets` (the keyring seam); given values win.
    pub fn fill_secrets(&mut self, secrets: &dyn SecretStore) {
        if let Some(id) = self.developer_id {
            if self.sign_key.as_ref().is_none_or(Secret::is_blank) {
                self.sign_key = secrets.sign_key(id).or(self.sign_key.take());
            }
        }
        for store in &mut self.stores {
            if store.app_auth_token.is_blank() {
                if let Some(token) = secrets.store_token(&store.epoi_id, store.business_id) {
                    store.app_auth_token = token;
                }
            }
        }
    }

    /// Whether developer credentials are present; without them the app runs demo mode.
    pub fn has_credentials(&self) -> bool {
        self.developer_id.is_some() && self.sign_key.as_ref().is_some_and(|k| !k.is_blank())
    }

    /// No developer credentials and no team: the app runs its in-process demo platform.
    pub fn is_demo(&self) -> bool {
        !self.has_credentials() && self.team.is_none()
    }

    /// A desk of a team: a NATS server to mirror and no platform credentials of its own.
    pub fn is_team_desk(&self) -> bool {
        !self.has_credentials() && self.team.is_some()
    }

    fn check(&self) -> Result<(), ConfigError> {
        for (what, value) in [
            ("gateway_url", &self.gateway_url),
            ("push_url", &self.push_url),
        ] {
            url::Url::parse(value).map_err(|e| invalid(what, e.to_string()))?;
        }
        if let Some(n) = self.push_connections {
            use meituan_push::config::{MAX_CONNECTIONS, MIN_CONNECTIONS};
            if !(MIN_CONNECTIONS..=MAX_CONNECTIONS).contains(&n) {
                return Err(invalid(
                    "push_connections",
                    format!("{n} connections; the platform grants {MIN_CONNECTIONS} to {MAX_CONNECTIONS}"),
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for store in &self.stores {
            store.business()?;
            if !seen.insert((store.epoi_id.as_str(), store.business_id)) {
                return Err(invalid(
                    "stores",
                    format!("store {} is listed twice", store.epoi_id),
                ));
            }
        }
        Ok(())
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("com", "imdesk", "imdesk")
}

/// The process's `IMDESK_*` variables (non-Unicode values are ignored).
fn process_env() -> HashMap<String, String> {
    ENV_VARS
        .iter()
        .filter_map(|name| std::env::var(name).ok().map(|v| ((*name).to_owned(), v)))
        .collect()
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;

fn parse_role(text: &str, what: &str) -> Result<crate::team::Role, ConfigError> {
    match text.trim() {
        "agent" => Ok(crate::team::Role::Agent),
        "supervisor" => Ok(crate::team::Role::Supervisor),
        _ => Err(invalid(what, "not `agent` or `supervisor`")),
    }
}

/// The agent's name when `IMDESK_AGENT` does not give one: the OS user.
pub(crate) fn default_agent() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "agent".to_owned())
}
