//! How a sandbox run is set up.

use std::time::Duration;

use crate::envelope::Vocabulary;
use crate::faults::Faults;

/// Whose pushes one long connection carries \[INF\] (protocol §6.3, open question 3): the
/// sandbox plays either reading of the document, so the client can be tested under both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushScope {
    /// One set of connections for the developer: `getConnectionToken` needs no store token,
    /// every connection carries every store's pushes, one imSecret for all stores.
    #[default]
    Developer,
    /// Connections per store: the token APIs need the store's `appAuthToken`, a connection
    /// carries only that store's pushes, and each store has its own imSecret (its pushes are
    /// encrypted with it and its replies must be) and its own `getConnectionToken`
    /// connectionId. Tokens of `getConnectionTokenWithCount` still connect under
    /// `{appkey}_WMOPEN` (its response names no connectionId).
    Store,
}

/// Settings of one sandbox run. `SandboxConfig::default()` is a quiet, healthy platform with
/// three stores, suited to tests; the front door turns `chatter` on.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Seed of everything generated: ids, secrets, tokens, names, orders, chatter choices.
    pub seed: u64,
    /// Number of stores (businessIds alternate 16, 2, 16, …).
    pub stores: usize,
    /// Background load in customer messages per second over all stores; 0 = off.
    pub rate: f64,
    /// Faults in force from the start.
    pub faults: Faults,
    /// How refusals are spelled: the standard `OP_*` codes or the alternate vocabulary no
    /// built-in code table knows ([`Sandbox::set_vocabulary`](crate::Sandbox) switches it).
    pub vocabulary: Vocabulary,
    /// Whether simulated customers chat on their own (demo mode).
    pub chatter: bool,
    /// New simulated conversations per minute over all stores.
    pub chatter_per_minute: f64,
    /// How often the simulated customers look around (read, answer, escalate).
    pub chatter_tick: Duration,
    /// How long an ignored simulated customer waits before pressing, then escalating.
    pub escalate_after: Duration,
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// A long connection silent for this long is closed (the platform's 30 s).
    pub idle_timeout: Duration,
    /// Largest accepted difference between `timestamp` and the sandbox clock (10 minutes).
    pub timestamp_skew: Duration,
    /// Lifetime of access tokens (`expireIn`).
    pub token_ttl: Duration,
    /// Lifetime of long-connection tokens.
    pub connection_token_ttl: Duration,
    /// Pushes held while no connection is open; older ones are dropped and counted past this.
    pub pending_capacity: usize,
    /// Developer- or store-scoped long connections.
    pub push_scope: PushScope,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            stores: 3,
            rate: 0.0,
            faults: Faults::default(),
            vocabulary: Vocabulary::Standard,
            chatter: false,
            chatter_per_minute: 6.0,
            chatter_tick: Duration::from_millis(500),
            escalate_after: Duration::from_secs(120),
            port: 0,
            idle_timeout: Duration::from_secs(30),
            timestamp_skew: Duration::from_secs(600),
            token_ttl: Duration::from_secs(30 * 24 * 3600),
            connection_token_ttl: Duration::from_secs(24 * 3600),
            pending_capacity: 200_000,
            push_scope: PushScope::Developer,
        }
    }
}
