//! Per-connection health for the status bar, published through a `tokio::sync::watch`.

use std::fmt;

use meituan_wire::StoreId;
use serde::Serialize;
use tokio::sync::watch;

/// What a connection is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Fetching a token or opening the socket.
    Connecting,
    /// The socket is open.
    Open,
    /// Waiting before reconnect attempt `attempt` (1-based), due at `until_ms`.
    Backoff {
        /// Consecutive failed attempts so far.
        attempt: u32,
        /// UTC milliseconds of the next attempt.
        until_ms: i64,
    },
    /// Shut down; it will not reconnect.
    Stopped,
}

/// Why a connection's last session ended. Carries no token or URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Disconnect {
    /// The token source failed.
    TokenUnavailable,
    /// The URL could not be built from `push_url` and the token.
    BadUrl,
    /// TCP, TLS or the WebSocket handshake failed (HTTP status when the server answered).
    ConnectFailed {
        /// HTTP status of a refused upgrade.
        status: Option<u16>,
    },
    /// The handshake did not finish within `connect_timeout`.
    ConnectTimeout,
    /// No frame at all for `dead_after`.
    Silent,
    /// The server closed or reset the socket, with or without a close frame.
    Closed,
    /// Reading or writing the socket failed.
    SocketError,
}

impl fmt::Display for Disconnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TokenUnavailable => f.write_str("no connection token"),
            Self::BadUrl => f.write_str("cannot build the push URL"),
            Self::ConnectFailed { status: Some(s) } => write!(f, "connection refused (HTTP {s})"),
            Self::ConnectFailed { status: None } => f.write_str("connection failed"),
            Self::ConnectTimeout => f.write_str("connection timed out"),
            Self::Silent => f.write_str("no frame within the dead-after window"),
            Self::Closed => f.write_str("closed by the server"),
            Self::SocketError => f.write_str("socket error"),
        }
    }
}

/// One connection's health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionHealth {
    /// Connection number, 0-based, across every scope unit.
    pub index: usize,
    /// The store whose pushes it carries, for a store-scoped connection; `None` for a
    /// developer-scoped one, which carries every store's.
    pub store: Option<StoreId>,
    /// Current state.
    pub state: ConnectionState,
    /// UTC milliseconds of the last frame of any kind (push or keep-alive).
    pub last_frame_at_ms: Option<i64>,
    /// Sessions started after the first one.
    pub reconnects: u64,
    /// Push frames received (quarantined and duplicate ones included; keep-alives not).
    pub frames: u64,
    /// Keep-alive answers received.
    pub keepalives: u64,
    /// Frames dropped because another connection delivered the same message first.
    pub duplicates: u64,
    /// Frames quarantined.
    pub quarantined: u64,
    /// Why the last session ended.
    pub last_disconnect: Option<Disconnect>,
    /// `userSendFailCount` of the last grant: customers whose messages recently failed.
    pub user_send_fail_count: Option<i64>,
}

impl ConnectionHealth {
    /// A connection that has not started yet.
    pub fn new(index: usize, store: Option<StoreId>) -> Self {
        Self {
            index,
            store,
            state: ConnectionState::Connecting,
            last_frame_at_ms: None,
            reconnects: 0,
            frames: 0,
            keepalives: 0,
            duplicates: 0,
            quarantined: 0,
            last_disconnect: None,
            user_send_fail_count: None,
        }
    }
}

/// Frame counters (and the last-frame time) wake the watchers at most this often; the value
/// itself is always current for whoever reads it. Under load they change thousands of times
/// a second, and each wake-up costs every watcher's notify locks.
const COUNTS_NOTIFY_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

/// The write side of the health watch, shared by the connection tasks.
#[derive(Debug, Clone)]
pub(crate) struct HealthBoard {
    tx: std::sync::Arc<watch::Sender<Vec<ConnectionHealth>>>,
    /// When counts last woke the watchers, in milliseconds since `epoch` plus one (0: never).
    notified_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
    epoch: tokio::time::Instant,
}

impl HealthBoard {
    /// A board for one connection per entry of `stores`, each scoped to its store (or, for
    /// `None`, developer-scoped).
    pub(crate) fn new(stores: Vec<Option<StoreId>>) -> Self {
        let (tx, _) = watch::channel(
            stores
                .into_iter()
                .enumerate()
                .map(|(index, store)| ConnectionHealth::new(index, store))
                .collect(),
        );
        Self {
            tx: std::sync::Arc::new(tx),
            notified_ms: std::sync::Arc::default(),
            epoch: tokio::time::Instant::now(),
        }
    }

    /// Applies a counter change to connection `index`'s entry at once, and wakes watchers
    /// only if they were not woken within [`COUNTS_NOTIFY_EVERY`] before `now` (the caller's
    /// reading of the clock, so that a frame costs one). A later change, or the next
    /// keep-alive, wakes them for what they missed.
    pub(crate) fn count(
        &self,
        index: usize,
        now: tokio::time::Instant,
        change: impl FnOnce(&mut ConnectionHealth),
    ) {
        use std::sync::atomic::Ordering;
        self.tx.send_if_modified(|all| {
            if let Some(entry) = all.get_mut(index) {
                change(entry);
            }
            let now = u64::try_from(now.saturating_duration_since(self.epoch).as_millis())
                .unwrap_or(u64::MAX)
                .saturating_add(1);
            let last = self.notified_ms.load(Ordering::Relaxed);
            let wake =
                last == 0 || now.saturating_sub(last) >= COUNTS_NOTIFY_EVERY.as_millis() as u64;
            if wake {
                self.notified_ms.store(now, Ordering::Relaxed);
            }
            wake
        });
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<Vec<ConnectionHealth>> {
        self.tx.subscribe()
    }

    /// Changes connection `index`'s entry and notifies watchers.
    pub(crate) fn update(&self, index: usize, change: impl FnOnce(&mut ConnectionHealth)) {
        self.tx.send_modify(|all| {
            if let Some(entry) = all.get_mut(index) {
                change(entry);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_are_always_current_but_wake_watchers_at_most_once_per_window() {
        let board = HealthBoard::new(vec![None, None]);
        let mut rx = board.subscribe();
        for _ in 0..100 {
            board.count(1, tokio::time::Instant::now(), |h| h.frames += 1);
        }
        assert!(rx.has_changed().unwrap_or(false), "the first count wakes");
        assert_eq!(
            rx.borrow_and_update()[1].frames,
            100,
            "the value is current"
        );
        board.count(1, tokio::time::Instant::now(), |h| h.duplicates += 1);
        assert!(
            !rx.has_changed().unwrap_or(true),
            "within the window: no wake-up"
        );
        assert_eq!(rx.borrow()[1].duplicates, 1, "yet the value is current");
        board.update(0, |h| h.state = ConnectionState::Open);
        assert!(
            rx.has_changed().unwrap_or(false),
            "a state change always wakes"
        );
        rx.borrow_and_update();
        tokio::time::sleep(COUNTS_NOTIFY_EVERY + std::time::Duration::from_millis(5)).await;
        board.count(1, tokio::time::Instant::now(), |h| h.frames += 1);
        assert!(
            rx.has_changed().unwrap_or(false),
            "a new window wakes again"
        );
    }
}
