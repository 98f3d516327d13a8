//! Connection tokens for `meituan-push`, from `meituan-api`, and the imSecret each reply is
//! encrypted with.
//!
//! Which API first: `getConnectionToken`. Its response names the `connectionId` the socket URL
//! needs; `getConnectionTokenWithCount` answers only an `appkey`, and the connectionId made
//! from it is a guess (protocol §6.2: "To start with, use `getConnectionToken`"; §4.2). The
//! batch API is asked when the single one fails, and then keeps serving until the push
//! service refuses a socket opened with one of its tokens (an HTTP answer to the upgrade,
//! e.g. 403 or 409): then the next grant comes from `getConnectionToken` again. Every grant
//! also refreshes the imSecret the outbox encrypts with (§6.5: it may change on any fetch).
//!
//! Scope (\[INF\], §6.3, open question 3; switched by [`PushScope`]): [`ScopeUnits`] holds one
//! [`PlatformTokens`] for the developer, or one for each store token; a reply is encrypted
//! with the secret of the unit its store belongs to.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use meituan_api::im::{GetConnectionToken, GetConnectionTokenWithCount};
use meituan_api::{MeituanClient, StoreKey};
use meituan_push::endpoint::with_count_connection_id;
use meituan_push::{
    ConnectionGrant, ConnectionScope, ConnectionSlot, PushUnit, TokenError, TokenSource,
};
use meituan_wire::{AesEcbCipher, MsgCipher};

use crate::config::PushScope;

/// The newest imSecret's cipher, shared by the token source and the outbox, with the time it
/// was fetched: the platform's "content did not decrypt" code is unknown \[INF\], so a failed
/// send with a secret older than `refetch_after` fetches it again whatever the code.
pub(crate) struct SecretSlot {
    current: RwLock<Option<(Arc<dyn MsgCipher>, Instant)>>,
    refetch_after: Duration,
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

/// The two token APIs (§4.1, §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenApi {
    /// `getConnectionToken`: one token and the connectionId it goes with.
    Single,
    /// `getConnectionTokenWithCount`: up to five tokens; the connectionId is derived \[INF\].
    Batch,
}

impl TokenApi {
    fn other(self) -> Self {
        match self {
            Self::Single => Self::Batch,
            Self::Batch => Self::Single,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Single => "getConnectionToken",
            Self::Batch => "getConnectionTokenWithCount",
        }
    }
}

/// Batch tokens remembered to recognise a refused one: more than one grant's worth (five).
const REMEMBERED_BATCH_TOKENS: usize = 16;

/// Which API a unit asks first, and which of its recent tokens came from the batch API.
#[derive(Debug)]
struct TokenPlan {
    first: TokenApi,
    /// Hashes of recent batch tokens (the tokens themselves are secrets; no copy is kept).
    batch_tokens: VecDeque<u64>,
}

impl Default for TokenPlan {
    fn default() -> Self {
        Self {
            // §6.2: "To start with, use getConnectionToken" (see the module doc).
            first: TokenApi::Single,
            batch_tokens: VecDeque::new(),
        }
    }
}

fn token_hash(token: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    token.hash(&mut h);
    h.finish()
}

/// One scope unit's [`TokenSource`]: asks the platform with a store's token and keeps the
/// unit's imSecret. In the developer scope any store's token will do \[INF\], so every store
/// may ask: when the platform refuses one store's token (expired, revoked), the next store asks
/// instead, and one store's lapsed authorisation does not cut the whole brand's pushes.
#[derive(Clone)]
pub(crate) struct PlatformTokens {
    client: Arc<MeituanClient>,
    askers: Arc<[StoreKey]>,
    /// Index in `askers` of the store that was answered last.
    asking: Arc<AtomicUsize>,
    secret: Arc<SecretSlot>,
    plan: Arc<Mutex<TokenPlan>>,
}

impl fmt::Debug for PlatformTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformTokens")
            .field("store", self.store())
            .finish_non_exhaustive()
    }
}

/// Why asking with one store's token failed.
enum AskFailure {
    /// The platform answered and refused this store's token: another store may ask.
    Refused(meituan_api::ApiError),
    /// Anything else (network, an empty grant, a bad secret): another store would fare the same.
    Other(TokenError),
}

impl From<meituan_api::ApiError> for AskFailure {
    fn from(e: meituan_api::ApiError) -> Self {
        use meituan_api::ApiError as E;
        match e {
            E::Platform { .. } | E::OAuth { .. } | E::MissingToken { .. } => Self::Refused(e),
            other => Self::Other(TokenError::Request(other.to_string())),
        }
    }
}

impl From<TokenError> for AskFailure {
    fn from(e: TokenError) -> Self {
        Self::Other(e)
    }
}

impl AskFailure {
    fn into_token_error(self) -> TokenError {
        match self {
            Self::Refused(e) => TokenError::Request(e.to_string()),
            Self::Other(e) => e,
        }
    }
}

impl PlatformTokens {
    /// A unit that asks with `askers`' tokens (at least one), the first one first.
    pub(crate) fn new(
        client: Arc<MeituanClient>,
        askers: Vec<StoreKey>,
        refetch_after: Duration,
    ) -> Self {
        Self {
            client,
            askers: askers.into(),
            asking: Arc::default(),
            secret: Arc::new(SecretSlot::new(refetch_after)),
            plan: Arc::default(),
        }
    }

    /// The store whose token asks now.
    fn store(&self) -> &StoreKey {
        let i = self.asking.load(Ordering::Relaxed);
        &self.askers[i % self.askers.len()]
    }

    fn plan(&self) -> std::sync::MutexGuard<'_, TokenPlan> {
        self.plan.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Fresh tokens: from the API that served last (`getConnectionToken` at first), or, when
    /// that call fails, from the other one, which then serves until it fails or its socket is
    /// refused.
    /// A store whose token the platform refuses hands over to the next one.
    pub(crate) async fn grant(&self, count: u8) -> Result<ConnectionGrant, TokenError> {
        let start = self.asking.load(Ordering::Relaxed);
        let mut refused = None;
        for step in 0..self.askers.len() {
            let i = (start + step) % self.askers.len();
            let store = &self.askers[i];
            match self.grant_with(store, count).await {
                Ok(grant) => {
                    self.asking.store(i, Ordering::Relaxed);
                    self.secret.install(&grant.im_secret)?;
                    return Ok(grant);
                }
                Err(AskFailure::Refused(e)) => {
                    tracing::warn!(%store, "connection tokens refused for this store's token: {e}");
                    refused = Some(AskFailure::Refused(e));
                }
                Err(other) => return Err(other.into_token_error()),
            }
        }
        Err(refused.map_or(TokenError::NoToken, AskFailure::into_token_error))
    }

    async fn grant_with(&self, store: &StoreKey, count: u8) -> Result<ConnectionGrant, AskFailure> {
        let first = self.plan().first;
        match self.ask(store, first, count).await {
            Ok(grant) => Ok(grant),
            Err(e) => {
                let other = first.other();
                let e = match e {
                    AskFailure::Refused(e) => e.to_string(),
                    AskFailure::Other(e) => e.to_string(),
                };
                tracing::warn!(%store, "{} failed, asking {}: {e}", first.name(), other.name());
                let grant = self.ask(store, other, count).await?;
                self.plan().first = other;
                Ok(grant)
            }
        }
    }

    async fn ask(
        &self,
        store: &StoreKey,
        api: TokenApi,
        count: u8,
    ) -> Result<ConnectionGrant, AskFailure> {
        match api {
            TokenApi::Single => {
                let one = self.client.call(store, &GetConnectionToken).await?;
                Ok(ConnectionGrant {
                    connections: vec![ConnectionSlot {
                        connection_id: one.connection_id.clone(),
                        connection_token: one.connection_token.expose().to_owned(),
                    }],
                    im_secret: one.im_secret.expose().to_owned(),
                    user_send_fail_count: Some(one.user_count),
                })
            }
            TokenApi::Batch => {
                let request = GetConnectionTokenWithCount {
                    required_token_count: i32::from(count.clamp(1, 5)),
                };
                let tokens = self.client.call(store, &request).await?;
                if tokens.token_infos.is_empty() {
                    return Err(TokenError::NoToken.into());
                }
                let connection_id = with_count_connection_id(tokens.appkey);
                let connections: Vec<ConnectionSlot> = tokens
                    .token_infos
                    .iter()
                    .map(|t| ConnectionSlot {
                        connection_id: connection_id.clone(),
                        connection_token: t.connection_token.expose().to_owned(),
                    })
                    .collect();
                {
                    let mut plan = self.plan();
                    for slot in &connections {
                        if plan.batch_tokens.len() >= REMEMBERED_BATCH_TOKENS {
                            plan.batch_tokens.pop_front();
                        }
                        plan.batch_tokens
                            .push_back(token_hash(&slot.connection_token));
                    }
                }
                Ok(ConnectionGrant {
                    user_send_fail_count: tokens
                        .token_infos
                        .iter()
                        .map(|t| t.user_send_fail_count)
                        .max(),
                    connections,
                    im_secret: tokens.im_secret.expose().to_owned(),
                })
            }
        }
    }

    /// Whether this unit's imSecret is old enough that a refusal may mean it rotated.
    pub(crate) fn secret_may_be_stale(&self) -> bool {
        self.secret.may_be_stale()
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

    /// A refused batch token means the push service does not take the batch API's tokens, or
    /// not under the derived connectionId: the next grant comes from `getConnectionToken`.
    /// A refused single token (expired, already in use) changes nothing: the connection
    /// fetches a fresh one after its backoff.
    fn refused(&self, slot: &ConnectionSlot, status: u16) {
        let mut plan = self.plan();
        let hash = token_hash(&slot.connection_token);
        if plan.batch_tokens.contains(&hash) {
            plan.batch_tokens.retain(|h| *h != hash);
            if plan.first == TokenApi::Batch {
                tracing::warn!(store = %self.store(), status, "a batch token's socket was refused; back to getConnectionToken");
                plan.first = TokenApi::Single;
            }
        }
    }
}

/// The scope units of a desk (\[INF\], [`PushScope`]): one token source and imSecret for the
/// developer, or one for each store token.
#[derive(Debug, Clone)]
pub(crate) struct ScopeUnits {
    scope: PushScope,
    units: Vec<(ConnectionScope, PlatformTokens)>,
    /// Store scope: each store token's unit.
    by_store: HashMap<StoreKey, usize>,
}

impl ScopeUnits {
    /// The units for `stores` (in order), or `None` without any store to ask with.
    pub(crate) fn new(
        scope: PushScope,
        client: &Arc<MeituanClient>,
        stores: &[StoreKey],
        secret_refetch_after: Duration,
    ) -> Option<Self> {
        if stores.is_empty() {
            return None;
        }
        let (units, by_store) = match scope {
            PushScope::Developer => (
                vec![(
                    ConnectionScope::Developer,
                    // Every store may ask for the developer's connection, first store first.
                    PlatformTokens::new(client.clone(), stores.to_vec(), secret_refetch_after),
                )],
                HashMap::new(),
            ),
            PushScope::Store => {
                let units: Vec<_> = stores
                    .iter()
                    .map(|key| {
                        (
                            ConnectionScope::Store(key.store.clone()),
                            PlatformTokens::new(
                                client.clone(),
                                vec![key.clone()],
                                secret_refetch_after,
                            ),
                        )
                    })
                    .collect();
                let by_store = stores
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (k.clone(), i))
                    .collect();
                (units, by_store)
            }
        };
        Some(Self {
            scope,
            units,
            by_store,
        })
    }

    /// The unit whose imSecret `store`'s replies are encrypted with.
    pub(crate) fn for_store(&self, store: &StoreKey) -> Option<&PlatformTokens> {
        let index = match self.scope {
            PushScope::Developer => 0,
            PushScope::Store => *self.by_store.get(store)?,
        };
        self.units.get(index).map(|(_, tokens)| tokens)
    }

    /// The push client's units.
    pub(crate) fn push_units(&self) -> Vec<PushUnit<PlatformTokens>> {
        self.units
            .iter()
            .map(|(scope, tokens)| PushUnit {
                scope: scope.clone(),
                tokens: tokens.clone(),
            })
            .collect()
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
