//! Configuration of the push client. Every duration is configurable so that tests run in
//! milliseconds; the defaults follow §6.5 of the protocol document.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use backon::ExponentialBuilder;
use meituan_wire::{AesEcbCipher, CipherError, Clock, MsgCipher, StoreId, SystemClock};

use crate::error::PushError;

/// Fewest redundant connections.
pub const MIN_CONNECTIONS: u8 = 1;
/// Most redundant connections `getConnectionTokenWithCount` grants (§4.2).
pub const MAX_CONNECTIONS: u8 = 5;
/// Longest keep-alive interval, silence limit or connect timeout.
const LONGEST_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Whose pushes one connection carries. **\[INF\]** (§6.3, open question 3): this switch is the
/// one place the assumption lives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConnectionScope {
    /// One connection carries every authorised store's pushes; each frame names its store
    /// with a top-level `epoiId`, and a frame without one is quarantined.
    #[default]
    Developer,
    /// The connection belongs to one store: frames without `epoiId` are that store's, and a
    /// frame naming another store is quarantined as unknown.
    Store(StoreId),
}

/// Exponential reconnect backoff with jitter (via `backon`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    /// Delay before the first retry.
    pub initial: Duration,
    /// Largest delay between retries.
    pub max: Duration,
    /// Growth factor per failed attempt.
    pub factor: f32,
    /// Adds a random extra delay in `[0, delay)` so connections do not retry in lockstep.
    pub jitter: bool,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(60),
            factor: 2.0,
            jitter: true,
        }
    }
}

impl BackoffConfig {
    /// The `backon` builder for one connection's retry schedule; it never runs out.
    pub fn builder(&self) -> ExponentialBuilder {
        let builder = ExponentialBuilder::default()
            .with_min_delay(self.initial)
            .with_max_delay(self.max)
            .with_factor(self.factor)
            .without_max_times();
        if self.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }
}

/// Decides which stores a frame may name. The engine owns the store list and may change it
/// while the client runs, so this is a predicate rather than a fixed set.
#[derive(Clone)]
pub struct KnownStores(Arc<dyn Fn(&StoreId) -> bool + Send + Sync>);

impl KnownStores {
    /// Accepts exactly the stores in `stores`.
    pub fn from_set(stores: HashSet<StoreId>) -> Self {
        Self(Arc::new(move |s| stores.contains(s)))
    }

    /// Accepts the stores for which `known` returns true.
    pub fn from_fn(known: impl Fn(&StoreId) -> bool + Send + Sync + 'static) -> Self {
        Self(Arc::new(known))
    }

    /// Whether frames for `store` are accepted.
    pub fn contains(&self, store: &StoreId) -> bool {
        (self.0)(store)
    }
}

impl fmt::Debug for KnownStores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KnownStores(<predicate>)")
    }
}

/// Builds the `msg_content` cipher from an `imSecret`. The default is
/// [`meituan_wire::AesEcbCipher`]; the cipher itself lives only in `meituan_wire::cipher`.
pub type CipherFactory = Arc<dyn Fn(&str) -> Result<Arc<dyn MsgCipher>, CipherError> + Send + Sync>;

/// The default [`CipherFactory`]: the assumed AES-128-ECB cipher of `meituan_wire`.
pub fn default_cipher_factory() -> CipherFactory {
    Arc::new(|secret| Ok(Arc::new(AesEcbCipher::from_im_secret(secret)?) as Arc<dyn MsgCipher>))
}

/// Everything the push client needs besides its token source.
#[derive(Clone)]
pub struct PushConfig {
    /// Base URL of the push service, e.g. `wss://wpush.meituan.com` (no trailing path).
    pub push_url: String,
    /// Number of redundant connections, 1 to 5 (default 3).
    pub connections: u8,
    /// Interval between client keep-alives (default 10 s).
    pub keepalive: Duration,
    /// A connection with no frame at all for this long is dead (default 30 s).
    pub dead_after: Duration,
    /// Limit for TCP connect + TLS + WebSocket handshake (default 10 s).
    pub connect_timeout: Duration,
    /// Reconnect schedule.
    pub backoff: BackoffConfig,
    /// Frames longer than this (bytes, before decoding) are quarantined (default 64 KiB).
    pub max_frame_bytes: usize,
    /// Developer- or store-scoped connection \[INF\].
    pub scope: ConnectionScope,
    /// Stores frames may name; `None` accepts any store.
    pub known_stores: Option<KnownStores>,
    /// How many recent (store, biz_type, msg_id) keys the cross-connection dedupe remembers.
    pub dedupe_capacity: usize,
    /// Capacity of the event channel handed to the caller.
    pub event_buffer: usize,
    /// Wall clock for `received_at` stamps and health times.
    pub clock: Arc<dyn Clock>,
    /// Builds the cipher from each fetched `imSecret`.
    pub cipher_factory: CipherFactory,
}

impl PushConfig {
    /// Defaults for the given push base URL.
    pub fn new(push_url: impl Into<String>) -> Self {
        Self {
            push_url: push_url.into(),
            connections: 3,
            keepalive: Duration::from_secs(10),
            dead_after: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            backoff: BackoffConfig::default(),
            max_frame_bytes: 64 * 1024,
            scope: ConnectionScope::Developer,
            known_stores: None,
            dedupe_capacity: 8192,
            event_buffer: 1024,
            clock: Arc::new(SystemClock),
            cipher_factory: default_cipher_factory(),
        }
    }

    /// Checks ranges before any task starts: connections 1 to 5, the intervals above zero and
    /// at most a day, the limits above zero and the URL a URL.
    pub fn validate(&self) -> Result<(), PushError> {
        if !(MIN_CONNECTIONS..=MAX_CONNECTIONS).contains(&self.connections) {
            return Err(PushError::Config(format!(
                "connections must be {MIN_CONNECTIONS} to {MAX_CONNECTIONS}, got {}",
                self.connections
            )));
        }
        let intervals = [
            ("keepalive", self.keepalive),
            ("dead_after", self.dead_after),
            ("connect_timeout", self.connect_timeout),
        ];
        if let Some((name, _)) = intervals.iter().find(|(_, d)| d.is_zero()) {
            return Err(PushError::Config(format!("{name} must be above zero")));
        }
        // A bound that keeps every deadline computed from them far from the clock's limits.
        if let Some((name, _)) = intervals.iter().find(|(_, d)| *d > LONGEST_INTERVAL) {
            return Err(PushError::Config(format!("{name} must be at most a day")));
        }
        if self.max_frame_bytes == 0 || self.dedupe_capacity == 0 || self.event_buffer == 0 {
            return Err(PushError::Config(
                "max_frame_bytes, dedupe_capacity and event_buffer must be above zero".into(),
            ));
        }
        url::Url::parse(&self.push_url)
            .map_err(|e| PushError::Config(format!("push_url is not a URL: {e}")))?;
        Ok(())
    }
}

impl fmt::Debug for PushConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushConfig")
            .field("push_url", &self.push_url)
            .field("connections", &self.connections)
            .field("keepalive", &self.keepalive)
            .field("dead_after", &self.dead_after)
            .field("connect_timeout", &self.connect_timeout)
            .field("backoff", &self.backoff)
            .field("max_frame_bytes", &self.max_frame_bytes)
            .field("scope", &self.scope)
            .field("known_stores", &self.known_stores)
            .field("dedupe_capacity", &self.dedupe_capacity)
            .field("event_buffer", &self.event_buffer)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_protocol_guidance() {
        let c = PushConfig::new("wss://wpush.meituan.com");
        assert_eq!(c.connections, 3);
        assert_eq!(c.keepalive, Duration::from_secs(10));
        assert_eq!(c.dead_after, Duration::from_secs(30));
        assert_eq!(c.scope, ConnectionScope::Developer);
        c.validate().unwrap();
    }

    #[test]
    fn connection_count_outside_one_to_five_is_refused() {
        for bad in [0, 6, 255] {
            let mut c = PushConfig::new("wss://wpush.meituan.com");
            c.connections = bad;
            assert!(matches!(c.validate(), Err(PushError::Config(_))), "{bad}");
        }
        let mut c = PushConfig::new("not a url");
        c.connections = 5;
        assert!(c.validate().is_err());
    }

    #[test]
    fn intervals_must_be_above_zero_and_at_most_a_day() {
        let day = Duration::from_secs(24 * 3600);
        for (interval, ok) in [(Duration::ZERO, false), (day, true), (day * 2, false)] {
            let mut c = PushConfig::new("wss://wpush.meituan.com");
            c.dead_after = interval;
            assert_eq!(c.validate().is_ok(), ok, "dead_after {interval:?}");
            let mut c = PushConfig::new("wss://wpush.meituan.com");
            c.keepalive = interval;
            assert_eq!(c.validate().is_ok(), ok, "keepalive {interval:?}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = BackoffConfig {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(4),
            factor: 2.0,
            jitter: false,
        };
        let delays: Vec<_> = backon::BackoffBuilder::build(b.builder()).take(5).collect();
        let secs: Vec<u64> = delays.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![1, 2, 4, 4, 4]);
    }

    #[test]
    fn jittered_backoff_stays_within_one_extra_delay() {
        let b = BackoffConfig {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(100),
            factor: 2.0,
            jitter: true,
        };
        for d in backon::BackoffBuilder::build(b.builder()).take(50) {
            assert!(d >= Duration::from_millis(100) && d <= Duration::from_millis(200));
        }
    }

    #[test]
    fn known_stores_from_a_set() {
        let k = KnownStores::from_set([StoreId::from("s1")].into_iter().collect());
        assert!(k.contains(&StoreId::from("s1")));
        assert!(!k.contains(&StoreId::from("s2")));
    }
}
