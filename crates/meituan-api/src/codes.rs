//! The platform's error codes as data: which `code` (and, for a generic code, which words of
//! its `msg`) means what to the client and the desk.
//!
//! The SDK documents only `OP_SUCCESS` (§2.1, open question 7) \[INF\]. The built-in table,
//! `data/platform_codes.toml`, is the project sandbox's vocabulary; a brand corrects it from
//! its configuration file ([`CodeTable`], applied with [`PlatformCodes::overlaid`]) without a
//! new build. Nothing may depend on the table alone, because against the live platform it may
//! know none of the codes: every behaviour keyed on a [`CodeMeaning`] has a fallback that
//! works without it (the proactive token refresh before `expireIn` runs out, the backoff after
//! a burst of failures of any kind in [`crate::config::ErrorBurst`], the imSecret re-fetch by
//! age in the desk, and the platform's own `msg` shown for a code the table does not know).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The built-in table, `data/platform_codes.toml` (the sandbox's codes).
pub const BUILT_IN_TABLE: &str = include_str!("../data/platform_codes.toml");

/// What a platform error code means to imdesk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeMeaning {
    /// The store token expired or is invalid: refresh it, then retry once.
    TokenExpired,
    /// Too many calls: transient, retried with backoff.
    RateLimited,
    /// The customer is blocked by the store.
    CustomerBlocked,
    /// The chat window closed (48 hours after the order completed).
    ChatWindowClosed,
    /// The store's IM switch is off.
    ImClosed,
    /// The content did not decrypt: the imSecret rotated, fetch it again.
    StaleSecret,
    /// A field is missing, malformed or out of range.
    InvalidParam,
    /// The developer credentials (id, signKey) are wrong: no refresh can help.
    CredentialsInvalid,
}

impl CodeMeaning {
    /// Every meaning, in the table's spelling order.
    pub const ALL: [CodeMeaning; 8] = [
        CodeMeaning::TokenExpired,
        CodeMeaning::RateLimited,
        CodeMeaning::CustomerBlocked,
        CodeMeaning::ChatWindowClosed,
        CodeMeaning::ImClosed,
        CodeMeaning::StaleSecret,
        CodeMeaning::InvalidParam,
        CodeMeaning::CredentialsInvalid,
    ];

    /// The table's spelling (`token_expired`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            CodeMeaning::TokenExpired => "token_expired",
            CodeMeaning::RateLimited => "rate_limited",
            CodeMeaning::CustomerBlocked => "customer_blocked",
            CodeMeaning::ChatWindowClosed => "chat_window_closed",
            CodeMeaning::ImClosed => "im_closed",
            CodeMeaning::StaleSecret => "stale_secret",
            CodeMeaning::InvalidParam => "invalid_param",
            CodeMeaning::CredentialsInvalid => "credentials_invalid",
        }
    }

    /// A refusal of this one request while the platform works normally: it says nothing
    /// about the platform's health, so it neither counts towards nor ends an error burst.
    pub fn is_request_specific(self) -> bool {
        matches!(
            self,
            CodeMeaning::TokenExpired
                | CodeMeaning::CustomerBlocked
                | CodeMeaning::ChatWindowClosed
                | CodeMeaning::ImClosed
                | CodeMeaning::StaleSecret
                | CodeMeaning::InvalidParam
        )
    }
}

impl fmt::Display for CodeMeaning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CodeMeaning {
    type Err = CodeTableError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| CodeTableError(format!("`{s}` is not a meaning ({})", meanings())))
    }
}

fn meanings() -> String {
    let names: Vec<&str> = CodeMeaning::ALL.iter().map(|m| m.as_str()).collect();
    format!("one of {}, or `unknown` to forget a code", names.join(", "))
}

/// A table that cannot be used, with the entry at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("platform code table: {0}")]
pub struct CodeTableError(String);

/// A rule for a code whose meaning depends on its message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageRule {
    /// The platform code.
    pub code: String,
    /// Words that occur in the platform's `msg`.
    pub msg_contains: String,
    /// The meaning (a [`CodeMeaning`] spelling).
    pub meaning: String,
}

/// A code table as text gives it: the built-in file, or the `[platform_codes]` section of
/// imdesk's configuration that corrects it. Meanings are checked when the table is applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CodeTable {
    /// For an override: start from the built-in table (default) or from nothing.
    #[serde(default)]
    pub inherit: Option<bool>,
    /// The `code` of success (default `OP_SUCCESS`).
    #[serde(default)]
    pub success: Option<String>,
    /// Code → meaning; the meaning `unknown` forgets an inherited code.
    #[serde(default)]
    pub codes: BTreeMap<String, String>,
    /// Rules for codes whose meaning depends on the message; an override's rules come first.
    #[serde(default)]
    pub by_message: Vec<MessageRule>,
}

/// The code table in use: the success code, code → meaning, and the message rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformCodes {
    success: String,
    codes: BTreeMap<String, CodeMeaning>,
    by_message: Vec<(String, String, CodeMeaning)>,
}

impl Default for PlatformCodes {
    fn default() -> Self {
        Self::built_in()
    }
}

impl PlatformCodes {
    /// Only success known: every failure is unknown (what the live platform may look like).
    pub fn only_success(success: impl Into<String>) -> Self {
        Self {
            success: success.into(),
            codes: BTreeMap::new(),
            by_message: Vec::new(),
        }
    }

    /// The built-in table ([`BUILT_IN_TABLE`]). It is parsed by a unit test, so the fallback
    /// to a table that knows only `OP_SUCCESS` cannot happen in a released build.
    pub fn built_in() -> Self {
        Self::from_toml(BUILT_IN_TABLE).unwrap_or_else(|e| {
            tracing::error!("{e}; every platform error code is treated as unknown");
            Self::only_success("OP_SUCCESS")
        })
    }

    /// A whole table from TOML text (`inherit` is not read).
    pub fn from_toml(text: &str) -> Result<Self, CodeTableError> {
        let table: CodeTable =
            toml::from_str(text).map_err(|e| CodeTableError(e.message().to_owned()))?;
        Self::only_success("OP_SUCCESS").with(&table)
    }

    /// This table corrected by `overlay`: its entries replace or forget this table's, its
    /// rules go first. With `inherit = false` the overlay is the whole table.
    pub fn overlaid(&self, overlay: &CodeTable) -> Result<Self, CodeTableError> {
        if overlay.inherit == Some(false) {
            Self::only_success("OP_SUCCESS").with(overlay)
        } else {
            self.clone().with(overlay)
        }
    }

    fn with(mut self, table: &CodeTable) -> Result<Self, CodeTableError> {
        if let Some(success) = &table.success {
            if success.trim().is_empty() {
                return Err(CodeTableError("`success` is empty".into()));
            }
            success.trim().clone_into(&mut self.success);
        }
        for (code, meaning) in &table.codes {
            let code = code.trim().to_owned();
            if meaning.trim() == "unknown" {
                self.codes.remove(&code);
                continue;
            }
            let meaning = meaning
                .parse()
                .map_err(|CodeTableError(e)| CodeTableError(format!("code {code}: {e}")))?;
            self.codes.insert(code, meaning);
        }
        let mut rules = Vec::with_capacity(table.by_message.len());
        for rule in &table.by_message {
            let meaning = rule.meaning.parse().map_err(|CodeTableError(e)| {
                CodeTableError(format!("message rule for {}: {e}", rule.code))
            })?;
            if rule.msg_contains.is_empty() {
                return Err(CodeTableError(format!(
                    "message rule for {}: `msg_contains` is empty",
                    rule.code
                )));
            }
            rules.push((
                rule.code.trim().to_owned(),
                rule.msg_contains.clone(),
                meaning,
            ));
        }
        rules.append(&mut self.by_message);
        self.by_message = rules;
        Ok(self)
    }

    /// The `code` of success.
    pub fn success(&self) -> &str {
        &self.success
    }

    /// Whether `code` is success.
    pub fn is_success(&self, code: &str) -> bool {
        code == self.success
    }

    /// What a failure means, `None` when the table does not know its code: the caller then
    /// falls back to the platform's own `msg` and to the code-free behaviours.
    pub fn meaning(&self, code: &str, msg: &str) -> Option<CodeMeaning> {
        self.by_message
            .iter()
            .find(|(c, words, _)| c == code && msg.contains(words.as_str()))
            .map(|(_, _, m)| *m)
            .or_else(|| self.codes.get(code).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_parses_and_knows_the_sandbox_codes() {
        let t = PlatformCodes::from_toml(BUILT_IN_TABLE).unwrap();
        assert_eq!(t, PlatformCodes::built_in());
        assert!(t.is_success("OP_SUCCESS"));
        let m = |code| t.meaning(code, "");
        assert_eq!(m("OP_AUTH_TOKEN_EXPIRED"), Some(CodeMeaning::TokenExpired));
        assert_eq!(m("OP_RATE_LIMITED"), Some(CodeMeaning::RateLimited));
        assert_eq!(m("OP_USER_BLOCKED"), Some(CodeMeaning::CustomerBlocked));
        assert_eq!(m("OP_CHAT_EXPIRED"), Some(CodeMeaning::ChatWindowClosed));
        assert_eq!(m("OP_IM_CLOSED"), Some(CodeMeaning::ImClosed));
        assert_eq!(m("OP_PARAM_INVALID"), Some(CodeMeaning::InvalidParam));
        assert_eq!(
            t.meaning("OP_PARAM_INVALID", "msg_content: does not decrypt"),
            Some(CodeMeaning::StaleSecret)
        );
        assert_eq!(m("E1234"), None, "an unknown code has no meaning");
    }

    #[test]
    fn an_override_replaces_forgets_and_adds() {
        let overlay: CodeTable = toml::from_str(
            r#"
            [codes]
            "1001" = "token_expired"
            OP_PARAM_INVALID = "unknown"
            [[by_message]]
            code = "500"
            msg_contains = "频繁"
            meaning = "rate_limited"
            "#,
        )
        .unwrap();
        let t = PlatformCodes::built_in().overlaid(&overlay).unwrap();
        assert_eq!(t.meaning("1001", ""), Some(CodeMeaning::TokenExpired));
        assert_eq!(t.meaning("OP_PARAM_INVALID", "x"), None);
        assert_eq!(
            t.meaning("500", "请求过于频繁"),
            Some(CodeMeaning::RateLimited)
        );
        assert_eq!(t.meaning("500", "系统错误"), None);
        assert_eq!(t.meaning("OP_IM_CLOSED", ""), Some(CodeMeaning::ImClosed));
        // Without inheritance only the override counts.
        let alone = CodeTable {
            inherit: Some(false),
            success: Some("0".into()),
            ..overlay
        };
        let t = PlatformCodes::built_in().overlaid(&alone).unwrap();
        assert!(t.is_success("0") && !t.is_success("OP_SUCCESS"));
        assert_eq!(t.meaning("OP_IM_CLOSED", ""), None);
    }

    #[test]
    fn a_bad_meaning_is_a_clear_error() {
        let overlay = CodeTable {
            codes: [("X1".to_owned(), "blocked".to_owned())].into(),
            ..CodeTable::default()
        };
        let e = PlatformCodes::built_in().overlaid(&overlay).unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.contains("X1") && shown.contains("`blocked`") && shown.contains("im_closed"),
            "{shown}"
        );
        assert!(PlatformCodes::from_toml("success = 1").is_err());
        assert!(PlatformCodes::from_toml("success = \" \"").is_err());
    }
}
