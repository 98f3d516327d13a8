//! Connection tokens for `meituan-push`, from `meituan-api`: `getConnectionTokenWithCount`
//! first, `getConnectionToken` as the fallback. Every grant also refreshes the imSecret the
//! outbox encrypts with (§6.5: it may change on any fetch).

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use meituan_api::im::{GetConnectionToken, GetConnectionTokenWithCount};
use meituan_api::{MeituanClient, StoreKey};
use meituan_push::{ConnectionGrant, ConnectionSlot, TokenError, TokenSource};
use meituan_wire::{AesEcbCipher, MsgCipher};

/// The newest imSecret's cipher, shared by the token source and the outbox.
#[derive(Default)]
pub(crate) struct SecretSlot(RwLock<Option<Arc<dyn MsgCipher>>>);

impl fmt::Debug for SecretSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretSlot(<redacted>)")
    }
}

impl SecretSlot {
    pub(crate) fn current(&self) -> Option<Arc<dyn MsgCipher>> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn install(&self, secret: &str) -> Result<(), TokenError> {
        let cipher = AesEcbCipher::from_im_secret(secret)
            .map_err(|e| TokenError::BadSecret(e.to_string()))?;
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(cipher));
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
