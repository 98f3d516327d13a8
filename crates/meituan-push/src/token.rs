//! Where connection tokens come from. `meituan-push` does not know `meituan-api`
//! (architecture rule 1): the engine implements [`TokenSource`] with `getConnectionToken` and
//! `getConnectionTokenWithCount`, and this crate asks it for a fresh grant whenever a
//! connection (re)connects, and tells it when the platform refused a socket opened with one of
//! its tokens ([`TokenSource::refused`]), so that it can change the way it gets them.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

use meituan_wire::MsgCipher;
use tokio::sync::Mutex;

use crate::config::CipherFactory;

/// One connection's credentials: the two path segments of the WebSocket URL (§6.2).
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionSlot {
    /// `connectionId` from `getConnectionToken`, or [`crate::endpoint::with_count_connection_id`]
    /// of the `appkey` for `getConnectionTokenWithCount` tokens \[INF\] (that function is the
    /// one place the derivation lives).
    pub connection_id: String,
    /// The connection token. Secret: never logged, redacted in `Debug`.
    pub connection_token: String,
}

impl fmt::Debug for ConnectionSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSlot")
            .field("connection_id", &self.connection_id)
            .field("connection_token", &"<redacted>")
            .finish()
    }
}

/// What one token request returns.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionGrant {
    /// One slot per granted token (at least one on success).
    pub connections: Vec<ConnectionSlot>,
    /// Key for `msg_content`; reloaded on every fetch because it may change (§6.5). Secret.
    pub im_secret: String,
    /// Customers whose messages failed to deliver recently (`userSendFailCount` / `userCount`);
    /// non-zero means something was missed and should be reconciled.
    pub user_send_fail_count: Option<i64>,
}

impl fmt::Debug for ConnectionGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionGrant")
            .field("connections", &self.connections)
            .field("im_secret", &"<redacted>")
            .field("user_send_fail_count", &self.user_send_fail_count)
            .finish()
    }
}

/// Why no token could be had. Implementations must not put secrets in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The request failed (network, platform error code, …).
    #[error("connection token request failed: {0}")]
    Request(String),
    /// The platform answered without any token.
    #[error("the platform granted no connection token")]
    NoToken,
    /// The granted `imSecret` cannot build the cipher.
    #[error("the granted imSecret is unusable: {0}")]
    BadSecret(String),
}

/// Supplies connection tokens. `count` is 1 to 5; a source may return fewer slots (for
/// example when it fell back to `getConnectionToken`, which grants one).
pub trait TokenSource: Send + Sync + 'static {
    /// Requests `count` fresh tokens.
    fn fetch(&self, count: u8) -> impl Future<Output = Result<ConnectionGrant, TokenError>> + Send;

    /// The platform answered the WebSocket upgrade of `slot` with HTTP `status` (403, 409, …)
    /// instead of opening the socket: the token was granted but the push service does not
    /// take it, or not under that connectionId. A source with another way to get tokens
    /// should use it for the next fetch; the connection fetches a fresh token after its
    /// backoff either way. The default does nothing.
    fn refused(&self, slot: &ConnectionSlot, status: u16) {
        let _ = (slot, status);
    }
}

impl<T: TokenSource> TokenSource for Arc<T> {
    fn fetch(&self, count: u8) -> impl Future<Output = Result<ConnectionGrant, TokenError>> + Send {
        T::fetch(self, count)
    }

    fn refused(&self, slot: &ConnectionSlot, status: u16) {
        T::refused(self, slot, status);
    }
}

/// The cipher built from the newest `imSecret`, shared by all connections and replaced
/// atomically whenever a token is fetched (§6.5: the secret may change).
#[derive(Default)]
pub(crate) struct CipherSlot(RwLock<Option<Arc<dyn MsgCipher>>>);

impl CipherSlot {
    pub(crate) fn current(&self) -> Option<Arc<dyn MsgCipher>> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, cipher: Arc<dyn MsgCipher>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some(cipher);
    }
}

/// Hands tokens to connection tasks: the first round shares one batch request for all
/// connections; every later connect asks the source for one fresh token.
pub(crate) struct TokenBroker<S> {
    source: S,
    batch_size: u8,
    cipher_factory: CipherFactory,
    cipher: Arc<CipherSlot>,
    pool: Mutex<BatchPool>,
}

#[derive(Default)]
struct BatchPool {
    requested: bool,
    unused: VecDeque<ConnectionSlot>,
    user_send_fail_count: Option<i64>,
    cipher: Option<Arc<dyn MsgCipher>>,
}

/// A token never used before, the cipher of the grant it came from, and the fail count
/// reported with it.
pub(crate) struct Lease {
    pub slot: ConnectionSlot,
    pub cipher: Arc<dyn MsgCipher>,
    pub user_send_fail_count: Option<i64>,
}

impl<S: TokenSource> TokenBroker<S> {
    pub(crate) fn new(
        source: S,
        batch_size: u8,
        cipher_factory: CipherFactory,
        cipher: Arc<CipherSlot>,
    ) -> Self {
        Self {
            source,
            batch_size,
            cipher_factory,
            cipher,
            pool: Mutex::new(BatchPool::default()),
        }
    }

    /// A token never used before. The first callers wait for the shared batch request; a
    /// caller that finds the batch used up (or failed) fetches one token of its own.
    pub(crate) async fn lease(&self) -> Result<Lease, TokenError> {
        {
            let mut pool = self.pool.lock().await;
            if !pool.requested {
                pool.requested = true;
                let grant = self.source.fetch(self.batch_size).await?;
                pool.cipher = Some(self.install_secret(&grant.im_secret)?);
                pool.user_send_fail_count = grant.user_send_fail_count;
                pool.unused.extend(grant.connections);
            }
            if let Some(cipher) = pool.cipher.clone() {
                if let Some(slot) = pool.unused.pop_front() {
                    let user_send_fail_count = pool.user_send_fail_count;
                    return Ok(Lease {
                        slot,
                        cipher,
                        user_send_fail_count,
                    });
                }
            }
        }
        let grant = self.source.fetch(1).await?;
        let cipher = self.install_secret(&grant.im_secret)?;
        let slot = grant
            .connections
            .into_iter()
            .next()
            .ok_or(TokenError::NoToken)?;
        Ok(Lease {
            slot,
            cipher,
            user_send_fail_count: grant.user_send_fail_count,
        })
    }

    /// The platform refused a socket opened with `slot`: the source hears of it, and the
    /// unused tokens of the same batch are forgotten, since the platform would most likely
    /// refuse them too; their connections fetch fresh ones.
    pub(crate) async fn refused(&self, slot: &ConnectionSlot, status: u16) {
        self.source.refused(slot, status);
        self.pool.lock().await.unused.clear();
    }

    /// Builds the cipher of a new `imSecret` and makes it the shared one.
    fn install_secret(&self, im_secret: &str) -> Result<Arc<dyn MsgCipher>, TokenError> {
        let cipher =
            (self.cipher_factory)(im_secret).map_err(|e| TokenError::BadSecret(e.to_string()))?;
        self.cipher.replace(cipher.clone());
        Ok(cipher)
    }
}
