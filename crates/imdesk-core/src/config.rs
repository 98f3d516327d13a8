//! [`DeskConfig`]: what the desk needs to reach the platform and where its cache lives, from a
//! TOML file overridden by `IMDESK_*` environment variables (architecture.md, "Configuration").
//!
//! Secrets (`IMDESK_SIGN_KEY`, the stores' `app_auth_token`) are held as
//! [`meituan_api::Secret`], whose `Debug` never shows them.

use std::path::{Path, PathBuf};

use meituan_api::{Secret, DEFAULT_BASE_URL};
use serde::Deserialize;

/// The production push base URL.
pub const DEFAULT_PUSH_URL: &str = "wss://wpush.meituan.com";

/// Why a configuration could not be read.
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

/// One authorised store.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StoreCredentials {
    /// The ePoiId.
    pub epoi_id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// 2 or 16.
    pub business_id: u8,
    /// The store's appAuthToken for (store, business_id).
    pub app_auth_token: Secret,
}

/// Everything the engine reads at start.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
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
}

impl Default for DeskConfig {
    fn default() -> Self {
        Self {
            gateway_url: DEFAULT_BASE_URL.to_owned(),
            push_url: DEFAULT_PUSH_URL.to_owned(),
            developer_id: None,
            sign_key: None,
            db_path: PathBuf::from("imdesk.sqlite3"),
            stores: Vec::new(),
        }
    }
}

impl DeskConfig {
    /// Reads `file` when given and present, then applies the `IMDESK_*` environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) if path.exists() => Self::from_toml_file(path)?,
            _ => Self::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Parses a TOML file.
    pub fn from_toml_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            what: path.display().to_string(),
            reason: e.message().to_owned(),
        })
    }

    /// Overrides fields from variables read through `var` (the environment, or a map in tests).
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        if let Some(v) = set("IMDESK_GATEWAY_URL") {
            self.gateway_url = v;
        }
        if let Some(v) = set("IMDESK_PUSH_URL") {
            self.push_url = v;
        }
        if let Some(v) = set("IMDESK_DEVELOPER_ID") {
            self.developer_id = Some(v.trim().parse().map_err(|_| ConfigError::Invalid {
                what: "IMDESK_DEVELOPER_ID".into(),
                reason: "not an integer".into(),
            })?);
        }
        if let Some(v) = set("IMDESK_SIGN_KEY") {
            self.sign_key = Some(Secret::new(v));
        }
        if let Some(v) = set("IMDESK_DB") {
            self.db_path = PathBuf::from(v);
        }
        if let Some(v) = set("IMDESK_STORES") {
            self.stores = serde_json::from_str(&v).map_err(|e| ConfigError::Invalid {
                what: "IMDESK_STORES".into(),
                reason: format!(
                    "not a JSON list of stores (line {} column {})",
                    e.line(),
                    e.column()
                ),
            })?;
        }
        Ok(())
    }

    /// No developer credentials: the app runs its in-process demo platform.
    pub fn is_demo(&self) -> bool {
        self.developer_id.is_none() || self.sign_key.as_ref().is_none_or(Secret::is_blank)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_and_secrets_stay_hidden() {
        let mut c = DeskConfig::default();
        assert!(c.is_demo());
        c.apply_env(|name| {
            Some(match name {
                "IMDESK_DEVELOPER_ID" => "100001".into(),
                "IMDESK_SIGN_KEY" => "topsecret".into(),
                "IMDESK_DB" => "/tmp/x.sqlite3".into(),
                "IMDESK_STORES" => {
                    r#"[{"epoi_id":"mt-1","name":"望京店","business_id":16,"app_auth_token":"tok"}]"#.into()
                }
                _ => return None,
            })
        })
        .unwrap();
        assert!(!c.is_demo());
        assert_eq!(c.stores[0].epoi_id, "mt-1");
        assert_eq!(c.db_path, PathBuf::from("/tmp/x.sqlite3"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("topsecret") && !shown.contains("\"tok\""));
        assert!(c
            .apply_env(|n| (n == "IMDESK_DEVELOPER_ID").then(|| "x".into()))
            .is_err());
    }
}
