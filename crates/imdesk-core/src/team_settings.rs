//! 设置 → 团队模式: the team server's URL and NATS credentials go to the OS keyring (through
//! [`TeamKeyring`], implemented by the shell), the agent's name to the config file (`agent`).
//! At start the shell fills a configuration without a team from the keyring
//! ([`fill_team`]) and writes the credentials to a private file, since the NATS client reads
//! a path. Nothing secret is read back to the webview: it sees [`TeamSettingsView`], whose URL
//! has any password masked.

use std::path::{Path, PathBuf};

use meituan_api::Secret;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::config::DeskConfig;
use crate::credentials::CredentialsError;
use crate::team::TeamConfig;

/// The keyring entry (user under the `imdesk` service) of the team server's URL (it may carry
/// a user and password).
pub const URL_ENTRY: &str = "nats:url";
/// The keyring entry of the NATS credentials file's contents (JWT and nkey seed).
pub const CREDS_ENTRY: &str = "nats:creds";
/// The credentials file written at start, under the data directory.
pub const CREDS_FILE: &str = "team/nats.creds";

/// Where the team's secrets are kept (the OS keyring in the app). Errors are short reasons
/// without the secret.
pub trait TeamKeyring {
    /// The secret under `entry`, if any.
    fn get(&self, entry: &str) -> Option<Secret>;
    /// Keeps `value` under `entry`.
    fn set(&self, entry: &str, value: &Secret) -> Result<(), String>;
    /// Forgets `entry` (a missing entry is not an error).
    fn delete(&self, entry: &str) -> Result<(), String>;
}

/// The team mode form. `creds_text` (a file read by the page) wins over `creds_path` (a path
/// typed or picked, read here); both empty keeps the credentials already stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TeamSettingsForm {
    /// `nats://host:4222`, `tls://…`, `ws(s)://…`, comma-separated for several servers;
    /// may carry `user:password@`.
    pub url: String,
    /// A credentials file to read.
    pub creds_path: Option<String>,
    /// A credentials file's contents.
    pub creds_text: Option<String>,
    /// Who this desk is (shown beside the agent's replies).
    pub agent: String,
    /// `agent` or `supervisor` (team mode II); kept as it is when absent.
    #[serde(default)]
    #[ts(optional)]
    pub role: Option<String>,
    /// Open conversations at once; kept as it is when absent.
    #[serde(default)]
    #[ts(optional)]
    pub capacity: Option<u32>,
    /// The stores served (`epoiId`s; empty: all); kept as they are when absent.
    #[serde(default)]
    #[ts(optional)]
    pub stores: Option<Vec<String>>,
}

// Secrets must never reach logs.
impl std::fmt::Debug for TeamSettingsForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamSettingsForm")
            .field("url", &mask_url(&self.url))
            .field("agent", &self.agent)
            .finish_non_exhaustive()
    }
}

/// What the page may know about the team settings: never a password or the credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TeamSettingsView {
    /// The stored server URL with any password masked, or `null` when none is stored.
    pub url: Option<String>,
    /// Whether a credentials file is stored.
    pub creds_stored: bool,
    /// The agent's name in the config file, if set.
    pub agent: Option<String>,
    /// The agent's role, capacity and stores in the config file (team mode II).
    pub role: String,
    pub capacity: u32,
    pub stores: Vec<String>,
    /// The masked URL of the team this window runs as a desk of now (it may come from
    /// `IMDESK_NATS_URL` or the config file, which win over the stored one), or `null`.
    pub running: Option<String>,
}

fn invalid(reason: impl Into<String>) -> CredentialsError {
    CredentialsError::Invalid(reason.into())
}

/// Each comma-separated URL without its password (or bare token), the user kept:
/// `nats://alice:s3cret@host:4222` → `nats://alice@host:4222`.
pub fn without_passwords(url: &str) -> String {
    url.split(',')
        .map(|one| match url::Url::parse(one.trim()) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ = u.set_password(None);
                } else if !u.username().is_empty() {
                    // A bare token in the user part is a secret too.
                    let _ = u.set_username("");
                }
                u.to_string()
            }
            Err(_) => String::new(),
        })
        .filter(|u| !u.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// Masks the password (or a bare token) of each comma-separated URL:
/// `nats://alice:s3cret@host:4222` → `nats://alice:****@host:4222`, `nats://tok@host` →
/// `nats://****@host`.
pub fn mask_url(url: &str) -> String {
    url.split(',')
        .map(|one| {
            let one = one.trim();
            let (scheme, rest) = match one.split_once("://") {
                Some((scheme, rest)) => (Some(scheme), rest),
                None => (None, one),
            };
            let masked = match rest.rsplit_once('@') {
                Some((user_info, host)) => match user_info.split_once(':') {
                    Some((user, _)) => format!("{user}:****@{host}"),
                    None => format!("****@{host}"),
                },
                None => rest.to_owned(),
            };
            match scheme {
                Some(scheme) => format!("{scheme}://{masked}"),
                None => masked,
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Checks a server URL list; returns it trimmed. Errors never quote the URL (it may hold a
/// password).
pub fn check_url(url: &str) -> Result<String, CredentialsError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(invalid("the team server URL is empty"));
    }
    for (i, one) in url.split(',').enumerate() {
        let n = i + 1;
        let parsed = url::Url::parse(one.trim())
            .map_err(|e| invalid(format!("team server URL {n}: {e}")))?;
        if !matches!(parsed.scheme(), "nats" | "tls" | "ws" | "wss") {
            return Err(invalid(format!(
                "team server URL {n}: the scheme must be nats, tls, ws or wss"
            )));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid(format!("team server URL {n} has no host")));
        }
    }
    Ok(url.to_owned())
}

/// Checks that `text` is a NATS credentials file (a user JWT and an nkey seed).
fn check_creds(text: &str) -> Result<(), CredentialsError> {
    if text.contains("BEGIN NATS USER JWT") && text.contains("BEGIN USER NKEY SEED") {
        Ok(())
    } else {
        Err(invalid(
            "not a NATS credentials file (it needs a user JWT and an nkey seed)",
        ))
    }
}

fn read_table(path: &Path) -> Result<toml::Table, CredentialsError> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .parse()
            .map_err(|e: toml::de::Error| file_err(path, e.message().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(toml::Table::new()),
        Err(e) => Err(file_err(path, e.to_string())),
    }
}

fn file_err(path: &Path, reason: String) -> CredentialsError {
    CredentialsError::File {
        path: path.display().to_string(),
        reason,
    }
}

fn write_table(path: &Path, table: &toml::Table) -> Result<(), CredentialsError> {
    let text = toml::to_string(table).map_err(|e| file_err(path, e.to_string()))?;
    crate::credentials::write_atomically(path, &text).map_err(|e| file_err(path, e.to_string()))
}

/// The `agent` key of the config file at `path`, if set.
pub fn file_agent(path: &Path) -> Option<String> {
    let table = read_table(path).ok()?;
    table
        .get("agent")
        .and_then(toml::Value::as_str)
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
}

/// An agent's role, capacity and stores as the config file gives them (`agent_role`,
/// `agent_capacity`, `agent_stores`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentSetup {
    pub role: Option<crate::team::Role>,
    pub capacity: Option<u32>,
    pub stores: Option<Vec<String>>,
}

/// The agent's role, capacity and stores in the config file at `path`.
pub fn file_setup(path: &Path) -> AgentSetup {
    let Ok(table) = read_table(path) else {
        return AgentSetup::default();
    };
    AgentSetup {
        role: match table.get("agent_role").and_then(toml::Value::as_str) {
            Some("supervisor") => Some(crate::team::Role::Supervisor),
            Some("agent") => Some(crate::team::Role::Agent),
            _ => None,
        },
        capacity: table
            .get("agent_capacity")
            .and_then(toml::Value::as_integer)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0),
        stores: table
            .get("agent_stores")
            .and_then(toml::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(toml::Value::as_str)
                    .map(str::to_owned)
                    .collect()
            }),
    }
}

/// Validates the form, writes the URL and credentials to the keyring and the agent's name to
/// the config file at `path` (other keys kept; a `nats_url` there is removed, and `nats_creds`
/// too when new credentials come, since the keyring now holds them). Applies at the next start.
pub fn save_team_settings(
    form: &TeamSettingsForm,
    path: &Path,
    keyring: &dyn TeamKeyring,
) -> Result<(), CredentialsError> {
    let url = check_url(&form.url)?;
    let agent = form.agent.trim();
    if agent.chars().any(char::is_control) {
        return Err(invalid("the agent's name has control characters"));
    }
    if let Some(role) = &form.role {
        if role != "agent" && role != "supervisor" {
            return Err(invalid("the role is `agent` or `supervisor`"));
        }
    }
    if form.capacity == Some(0) || form.capacity.is_some_and(|c| c > 200) {
        return Err(invalid("the capacity is 1 to 200 open conversations"));
    }
    let stores: Option<Vec<String>> = form.stores.as_ref().map(|s| {
        s.iter()
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .collect()
    });
    if stores
        .iter()
        .flatten()
        .any(|s| s.chars().any(|c| c.is_control() || c == ','))
    {
        return Err(invalid("a store id has a control character or a comma"));
    }
    let creds = match (
        form.creds_text.as_deref().filter(|t| !t.trim().is_empty()),
        form.creds_path
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty()),
    ) {
        (Some(text), _) => Some(text.to_owned()),
        (None, Some(file)) => Some(
            std::fs::read_to_string(file)
                .map_err(|e| invalid(format!("the credentials file {file} cannot be read: {e}")))?,
        ),
        (None, None) => None,
    };
    if let Some(text) = &creds {
        check_creds(text)?;
    }
    let mut table = read_table(path)?;
    let keyring_err = |what: &str| {
        let what = what.to_owned();
        move |reason| CredentialsError::Keyring { what, reason }
    };
    keyring
        .set(URL_ENTRY, &Secret::new(url))
        .map_err(keyring_err("team server URL"))?;
    if let Some(text) = creds {
        keyring
            .set(CREDS_ENTRY, &Secret::new(text))
            .map_err(keyring_err("NATS credentials"))?;
        table.remove("nats_creds");
    }
    table.remove("nats_url");
    if agent.is_empty() {
        table.remove("agent");
    } else {
        table.insert("agent".into(), agent.into());
    }
    if let Some(role) = &form.role {
        table.insert("agent_role".into(), role.clone().into());
    }
    if let Some(capacity) = form.capacity {
        table.insert("agent_capacity".into(), i64::from(capacity).into());
    }
    if let Some(stores) = stores {
        table.insert("agent_stores".into(), stores.into());
    }
    write_table(path, &table)
}

/// Leaves team mode: forgets the keyring entries, the team keys of the config file and the
/// credentials file written at start (`creds_file`).
pub fn clear_team_settings(
    path: &Path,
    keyring: &dyn TeamKeyring,
    creds_file: &Path,
) -> Result<(), CredentialsError> {
    for (entry, what) in [
        (URL_ENTRY, "team server URL"),
        (CREDS_ENTRY, "NATS credentials"),
    ] {
        keyring
            .delete(entry)
            .map_err(|reason| CredentialsError::Keyring {
                what: what.into(),
                reason,
            })?;
    }
    let mut table = read_table(path)?;
    let mut had = false;
    for key in [
        "nats_url",
        "nats_creds",
        "agent",
        "agent_role",
        "agent_capacity",
        "agent_stores",
    ] {
        had |= table.remove(key).is_some();
    }
    if had {
        write_table(path, &table)?;
    }
    match std::fs::remove_file(creds_file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(file_err(creds_file, e.to_string()))
        }
        _ => Ok(()),
    }
}

/// What the page shows: the stored URL masked, whether credentials are stored, the agent.
pub fn view(
    keyring: &dyn TeamKeyring,
    path: Option<&Path>,
    running: Option<&TeamConfig>,
) -> TeamSettingsView {
    let setup = path.map(file_setup).unwrap_or_default();
    TeamSettingsView {
        url: keyring.get(URL_ENTRY).map(|u| mask_url(u.expose())),
        creds_stored: keyring.get(CREDS_ENTRY).is_some(),
        agent: path.and_then(file_agent),
        role: match setup.role {
            Some(crate::team::Role::Supervisor) => "supervisor".into(),
            _ => "agent".into(),
        },
        capacity: setup.capacity.unwrap_or(crate::team::DEFAULT_CAPACITY),
        stores: setup.stores.unwrap_or_default(),
        running: running.map(|t| mask_url(&t.url)),
    }
}

/// Completes the team settings from the keyring where the environment and the config file
/// give none: the URL (with `agent`, or the OS user), and the credentials when the URL is the
/// stored one. The credentials are written to `data_dir`/[`CREDS_FILE`] (owner-only) for the
/// NATS client. A configuration with platform credentials is left alone.
pub fn fill_team(
    config: &mut DeskConfig,
    keyring: &dyn TeamKeyring,
    agent: Option<String>,
    setup: AgentSetup,
    data_dir: &Path,
) -> std::io::Result<()> {
    if config.has_credentials() {
        return Ok(());
    }
    let stored_url = keyring.get(URL_ENTRY);
    if config.team.is_none() {
        let Some(url) = &stored_url else {
            return Ok(());
        };
        let mut team = TeamConfig::new(
            url.expose(),
            agent
                .filter(|a| !a.trim().is_empty())
                .unwrap_or_else(crate::config::default_agent),
        );
        team.role = setup.role.unwrap_or(team.role);
        team.capacity = setup.capacity.unwrap_or(team.capacity);
        team.serves = setup.stores.unwrap_or_default();
        config.team = Some(team);
    }
    let Some(team) = &mut config.team else {
        return Ok(());
    };
    if team.creds.is_none() && stored_url.is_some_and(|u| u.expose() == team.url) {
        if let Some(creds) = keyring.get(CREDS_ENTRY) {
            team.creds = Some(write_creds(data_dir, &creds)?);
        }
    }
    Ok(())
}

/// Writes the credentials readable by the owner only; returns the file.
fn write_creds(data_dir: &Path, creds: &Secret) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let file = data_dir.join(CREDS_FILE);
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An older file keeps its mode on open: tighten it before writing.
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    let mut out = options.open(&file)?;
    out.write_all(creds.expose().as_bytes())?;
    out.sync_all()?;
    Ok(file)
}

#[cfg(test)]
#[path = "team_settings_tests.rs"]
mod tests;
