//! [`DeskOptions`]: the engine's tunables beside the [`crate::DeskConfig`]. Every interval is
//! configurable so that tests run in milliseconds; the defaults suit a desk left open all day.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use imdesk_store::StoreOptions;
use meituan_wire::{Clock, SystemClock};

/// Called right after a batch of pushed messages is committed, with their msg_ids (for
/// benchmarks measuring push-to-commit latency).
pub type CommitObserver = Arc<dyn Fn(&[i64]) + Send + Sync>;

/// How the engine runs.
#[derive(Clone)]
pub struct DeskOptions {
    /// The clock of reply deadlines, alerts and timestamps on our rows (tests inject a
    /// `meituan_wire::FixedClock`).
    pub clock: Arc<dyn Clock>,
    /// Run the push connection (ingest). `imdesk-cli send` turns it off.
    pub run_push: bool,
    /// Run the background workers besides the outbox: read receipts, platform reply rates.
    pub run_pollers: bool,
    /// Team mode: say this agent is here (profile and presence heartbeat). Off for a CLI
    /// call, which acts as an agent without sitting at a desk.
    pub team_presence: bool,
    /// Where renewed store tokens are kept for the next start (the app's keyring, a
    /// headless process's owner-only file); `None` keeps them in memory only.
    pub token_vault: Option<crate::token_vault::TokenVault>,
    /// Renew a store token this long before it expires (at half-life for a shorter one).
    pub token_refresh_margin: Duration,
    /// Redundant push sockets, 1 to 5.
    pub connections: u8,
    /// Push keep-alive interval.
    pub push_keepalive: Duration,
    /// A push socket silent this long is dead.
    pub push_dead_after: Duration,
    /// First and largest reconnect delay of the push sockets.
    pub push_backoff: (Duration, Duration),
    /// Read timeout of platform calls.
    pub api_read_timeout: Duration,
    /// Retries of one platform call inside the client (transient failures).
    pub api_retries: usize,
    /// First and largest delay between the client's retries.
    pub api_retry_delay: (Duration, Duration),
    /// Attempts of one outbox send (each attempt is one client call with its own retries).
    pub send_attempts: u32,
    /// First and largest delay between outbox attempts.
    pub send_backoff: (Duration, Duration),
    /// How often customers' read times are polled.
    pub read_receipt_interval: Duration,
    /// At most this many conversations are polled per round.
    pub read_receipt_batch: u32,
    /// How often conversations' orders are fetched in the background (new orders, and open
    /// ones whose cached copy is older than `order_fresh`), so the inbox shows the real order
    /// state without the agent opening the chat.
    pub order_poll_interval: Duration,
    /// At most this many orders are fetched per round.
    pub order_poll_batch: u32,
    /// How often Meituan's reply-rate figures are fetched.
    pub platform_rates_interval: Duration,
    /// The alert driver looks at the clock at least this often (a manual clock in tests moves
    /// without waking it).
    pub alert_poll: Duration,
    /// Coalescing window of UI events (~30 a second).
    pub event_window: Duration,
    /// Largest ingest batch.
    pub ingest_batch: usize,
    /// Before a send, an order not known to be completed is fetched again when its cached copy
    /// is older than this (the after-sale rule needs the completion time).
    pub order_fresh: Duration,
    /// Local time = UTC + this (peaks and do-not-disturb); China by default.
    pub utc_offset_secs: i32,
    /// Options of the SQLite cache.
    pub store: StoreOptions,
    /// How long after the start the first retention run prunes (then every
    /// `retention_interval`).
    pub retention_first_delay: Duration,
    /// Between retention runs: a day.
    pub retention_interval: Duration,
    /// See [`CommitObserver`].
    pub commit_observer: Option<CommitObserver>,
    /// Start-up work nobody waits for (restoring the alert clocks of every waiting customer)
    /// begins once this gate opens: the app opens it when the window has drawn its first inbox
    /// page. Open by default.
    pub deferred_start: crate::StartGate,
    /// The runtime the engine's tasks run on. `None` (the app): a worker thread of the
    /// engine's own. Tests pass their runtime, so its clock (paused or not) drives the
    /// engine's timers.
    pub runtime: Option<tokio::runtime::Handle>,
}

impl Default for DeskOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            run_push: true,
            run_pollers: true,
            team_presence: true,
            token_vault: None,
            token_refresh_margin: Duration::from_secs(30 * 60),
            connections: 3,
            push_keepalive: Duration::from_secs(10),
            push_dead_after: Duration::from_secs(30),
            push_backoff: (Duration::from_millis(500), Duration::from_secs(60)),
            api_read_timeout: Duration::from_secs(5),
            api_retries: 3,
            api_retry_delay: (Duration::from_millis(200), Duration::from_secs(5)),
            send_attempts: 8,
            send_backoff: (Duration::from_millis(500), Duration::from_secs(30)),
            read_receipt_interval: Duration::from_secs(3),
            read_receipt_batch: 20,
            order_poll_interval: Duration::from_secs(10),
            order_poll_batch: 10,
            platform_rates_interval: Duration::from_secs(600),
            alert_poll: Duration::from_secs(1),
            event_window: Duration::from_millis(33),
            ingest_batch: 1000,
            order_fresh: Duration::from_secs(60),
            utc_offset_secs: 8 * 3600,
            store: StoreOptions::default(),
            retention_first_delay: Duration::from_secs(120),
            retention_interval: Duration::from_secs(24 * 3600),
            commit_observer: None,
            deferred_start: crate::StartGate::open(),
            runtime: None,
        }
    }
}

impl fmt::Debug for DeskOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeskOptions")
            .field("run_push", &self.run_push)
            .field("connections", &self.connections)
            .field("send_attempts", &self.send_attempts)
            .field("read_receipt_interval", &self.read_receipt_interval)
            .finish_non_exhaustive()
    }
}

impl DeskOptions {
    /// Short intervals for tests against the sandbox on loopback.
    pub fn fast() -> Self {
        Self {
            push_keepalive: Duration::from_millis(200),
            push_dead_after: Duration::from_millis(1500),
            push_backoff: (Duration::from_millis(20), Duration::from_millis(200)),
            api_read_timeout: Duration::from_millis(400),
            api_retries: 2,
            api_retry_delay: (Duration::from_millis(5), Duration::from_millis(20)),
            send_attempts: 30,
            send_backoff: (Duration::from_millis(10), Duration::from_millis(50)),
            read_receipt_interval: Duration::from_millis(50),
            order_poll_interval: Duration::from_millis(100),
            platform_rates_interval: Duration::from_secs(600),
            alert_poll: Duration::from_millis(20),
            event_window: Duration::from_millis(10),
            order_fresh: Duration::ZERO,
            ..Self::default()
        }
    }
}
