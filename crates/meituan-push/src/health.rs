//! Per-connection health for the status bar, published through a `tokio::sync::watch`.

use std::fmt;

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
    /// Connection number, 0-based.
    pub index: usize,
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
    pub(crate) fn new(index: usize) -> Self {
        Self {
            index,
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

/// The write side of the health watch, shared by the connection tasks.
#[derive(Debug, Clone)]
pub(crate) struct HealthBoard {
    tx: std::sync::Arc<watch::Sender<Vec<ConnectionHealth>>>,
}

impl HealthBoard {
    pub(crate) fn new(connections: usize) -> Self {
        let (tx, _) = watch::channel((0..connections).map(ConnectionHealth::new).collect());
        Self {
            tx: std::sync::Arc::new(tx),
        }
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
