//! Connection tokens for `meituan-push`, from `meituan-api`: `getConnectionTokenWithCount`
//! first, `getConnectionToken` as the fallback. Every grant also refreshes the imSecret the
//! outbox encrypts with (§6.5: it may change on any fetch).

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use meituan_api::im::{GetConnectionToken, GetConnectionTokenWithCount};
use meituan_api::{MeituanClient, StoreKey};
use meituan_push::{ConnectionGrant, ConnectionSlot, TokenError, TokenSource};
use meituan_wire::{AesEcbCipher, MsgCipher};

/// The newest imSecret's cipher, shared by the token source and the outbox, with the time it
/// was fetched: the platform's "content did not decrypt" code is unknown \[INF\], so a failed
/// send with a secret older than `refetch_after` fetches it again whatever the code.
pub(crate) struct SecretSlot {
    current: RwLock<Option<(Arc<dyn MsgCipher>, Instant)>>,
    refetch_after: Duration,
}

impl Default for SecretSlot {
    fn default() -> Self {
        Self::new(crate::config::PlatformCodesConfig::default().secret_refetch_after)
    }
}

impl fmt::Debug for SecretSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretSlot(<redacted>)")
    }
}

impl SecretSlot {
    /// An empty slot whose secret counts as possibly stale once it is `refetch_after` old.
    pub(crate) fn new(refetch_after: Duration) -> Self {
        Self {
            current: RwLock::default(),
            refetch_after,
        }
    }

    pub(crate) fn current(&self) -> Option<Arc<dyn MsgCipher>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|(cipher, _)| cipher.clone())
    }

    /// Whether the secret is old enough that a refusal may mean it rotated (true when none
    /// is known: fetching one can only help).
    pub(crate) fn may_be_stale(&self) -> bool {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_none_or(|(_, at)| at.elapsed() >= self.refetch_after)
    }

    fn install(&self, secret: &str) -> Result<(), TokenError> {
        let cipher = AesEcbCipher::from_im_secret(secret)
            .map_err(|e| TokenError::BadSecret(e.to_string()))?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) =
            Some((Arc::new(cipher), Instant::now()));
        Ok(())
    }
}

/// The engine's [`TokenSource`]: asks the platform on behalf of one authorised store (the
/// connection is developer-scoped [INF], so any store's token will do).
#[derive(Clone)]
pub(crate) struct PlatformTokens {
    pub client: Arc<MeituanClient>,
    pub store: StoreKey,
    pub secret: Arc<SecretSlot>,
}

impl fmt::Debug for PlatformTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformTokens")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl PlatformTokens {
    pub(crate) async fn grant(&self, count: u8) -> Result<ConnectionGrant, TokenError> {
        let request = GetConnectionTokenWithCount {
            required_token_count: i32::from(count.clamp(1, 5)),
        };
        let grant = match self.client.call(&self.store, &request).await {
            Ok(tokens) if !tokens.token_infos.is_empty() => {
                let connection_id = tokens.connection_id();
                ConnectionGrant {
                    user_send_fail_count: tokens
                        .token_infos
                        .iter()
                        .map(|t| t.user_send_fail_count)
                        .max(),
                    connections: tokens
                        .token_infos
                        .iter()
                        .map(|t| ConnectionSlot {
                            connection_id: connection_id.clone(),
                            connection_token: t.connection_token.expose().to_owned(),
                        })
                        .collect(),
                    im_secret: tokens.im_secret.expose().to_owned(),
                }
            }
            first => {
                if let Err(e) = &first {
                    tracing::warn!(store = %self.store, "getConnectionTokenWithCount failed, falling back: {e}");
                }
                let one = self
                    .client
                    .call(&self.store, &GetConnectionToken)
                    .await
                    .map_err(|e| TokenError::Request(e.to_string()))?;
                ConnectionGrant {
                    connections: vec![ConnectionSlot {
                        connection_id: one.connection_id.clone(),
                        connection_token: one.connection_token.expose().to_owned(),
                    }],
                    im_secret: one.im_secret.expose().to_owned(),
                    user_send_fail_count: Some(one.user_count),
                }
            }
        };
        self.secret.install(&grant.im_secret)?;
        Ok(grant)
    }

    /// The current cipher, fetching a secret first when none is known yet.
    pub(crate) async fn cipher(&self, refresh: bool) -> Result<Arc<dyn MsgCipher>, TokenError> {
        if !refresh {
            if let Some(c) = self.secret.current() {
                return Ok(c);
            }
        }
        self.grant(1).await?;
        self.secret.current().ok_or(TokenError::NoToken)
    }
}

impl TokenSource for PlatformTokens {
    async fn fetch(&self, count: u8) -> Result<ConnectionGrant, TokenError> {
        self.grant(count).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_may_be_stale_once_it_is_older_than_the_setting() {
        let slot = SecretSlot::new(Duration::from_secs(3600));
        assert!(slot.may_be_stale(), "none yet");
        slot.install("abcdef0123456789ZZZZ").unwrap();
        assert!(!slot.may_be_stale());
        let always = SecretSlot::new(Duration::ZERO);
        always.install("abcdef0123456789ZZZZ").unwrap();
        assert!(always.may_be_stale());
    }
}
