//! Credentials: the developer's id and signKey, and each store's OAuth tokens.
//!
//! Secrets are held in [`Secret`], whose `Debug` and `Display` never show the value. A store
//! token belongs to the integration it was authorised under (§0), so tokens are keyed by
//! [`StoreKey`] = (store, businessId). When the client refreshes a token it hands the new one
//! to the caller's [`TokenSink`] to persist.

use std::fmt;

use meituan_wire::{BusinessId, StoreId, TimeMs};

/// A secret string (signKey, access or refresh token). `Debug`/`Display` print `<redacted>`;
/// read the value with [`Secret::expose`] only where it goes on the wire.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value, for the wire or the keyring only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

impl From<String> for Secret {
    fn from(v: String) -> Self {
        Self(v)
    }
}

impl From<&str> for Secret {
    fn from(v: &str) -> Self {
        Self(v.to_owned())
    }
}

/// The application's identity on the platform: `developerId` and `signKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeveloperCredentials {
    /// Developer id issued by the platform (sent as `developerId`).
    pub developer_id: i64,
    /// The signing key; never sent, only used to compute `sign`.
    pub sign_key: Secret,
}

impl DeveloperCredentials {
    /// Credentials from a developer id and signKey.
    pub fn new(developer_id: i64, sign_key: impl Into<Secret>) -> Self {
        Self {
            developer_id,
            sign_key: sign_key.into(),
        }
    }
}

/// Which store, in which integration, a call acts for. Tokens are keyed by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreKey {
    /// The store's epoiId.
    pub store: StoreId,
    /// The integration the store is authorised under.
    pub business_id: BusinessId,
}

impl StoreKey {
    /// A key for `store` under `business_id`.
    pub fn new(store: impl Into<StoreId>, business_id: BusinessId) -> Self {
        Self {
            store: store.into(),
            business_id,
        }
    }
}

impl fmt::Display for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (businessId {})", self.store, self.business_id)
    }
}

/// A store's OAuth tokens (§3). A token entered by hand has no refresh token and no known
/// expiry; it is used until the platform rejects it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreToken {
    /// The `accessToken`, sent as `appAuthToken`.
    pub access_token: Secret,
    /// The `refreshToken` of the latest token response, if known.
    pub refresh_token: Option<Secret>,
    /// When `access_token` expires, if known.
    pub expires_at: Option<TimeMs>,
}

impl StoreToken {
    /// A token entered directly (configuration or environment), without refresh data.
    pub fn static_token(access_token: impl Into<Secret>) -> Self {
        Self {
            access_token: access_token.into(),
            refresh_token: None,
            expires_at: None,
        }
    }

    /// Whether the token should be refreshed at `now`, given a safety margin, and can be.
    pub fn needs_refresh(&self, now: TimeMs, margin_ms: i64) -> bool {
        match (&self.refresh_token, self.expires_at) {
            (Some(_), Some(expires)) => now.0.saturating_add(margin_ms) >= expires.0,
            _ => false,
        }
    }
}

/// Receives tokens the client obtained (code exchange or refresh) so the caller can keep
/// them, for example in the OS keyring. Called after the client itself switched to the token.
pub trait TokenSink: Send + Sync + fmt::Debug {
    /// `key`'s token is now `token`.
    fn token_changed(&self, key: &StoreKey, token: &StoreToken);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let dev = DeveloperCredentials::new(100_001, "testSignKey");
        let token = StoreToken {
            access_token: Secret::new("tok-abc"),
            refresh_token: Some(Secret::new("ref-xyz")),
            expires_at: Some(TimeMs(5)),
        };
        let shown = format!("{dev:?} {token:?} {}", dev.sign_key);
        for secret in ["testSignKey", "tok-abc", "ref-xyz"] {
            assert!(!shown.contains(secret), "{secret} leaked into {shown}");
        }
        assert!(shown.contains("100001"));
    }

    #[test]
    fn refresh_is_due_only_with_refresh_data_inside_the_margin() {
        let mut token = StoreToken::static_token("t");
        assert!(!token.needs_refresh(TimeMs(i64::MAX - 1), 0));
        token.refresh_token = Some(Secret::new("r"));
        token.expires_at = Some(TimeMs(10_000));
        assert!(!token.needs_refresh(TimeMs(1_000), 5_000));
        assert!(token.needs_refresh(TimeMs(5_000), 5_000));
    }
}
