//! Push-connection health into the status bar's [`ConnectionStatus`], announced on change.

use meituan_push::{ConnectionHealth, ConnectionState};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::events::Notices;
use crate::view::{ConnectionStatus, LinkState, SocketHealth, SocketState};

/// The status before the link starts, and for a desk without one.
pub(crate) fn stopped() -> ConnectionStatus {
    ConnectionStatus {
        state: LinkState::Stopped,
        sockets: Vec::new(),
        quarantined_total: 0,
    }
}

/// The status bar's summary of the sockets.
pub(crate) fn status(health: &[ConnectionHealth]) -> ConnectionStatus {
    let sockets: Vec<SocketHealth> = health
        .iter()
        .map(|h| SocketHealth {
            index: u32::try_from(h.index).unwrap_or(u32::MAX),
            state: match h.state {
                ConnectionState::Open => SocketState::Open,
                ConnectionState::Connecting => SocketState::Connecting,
                ConnectionState::Backoff { .. } => SocketState::Backoff,
                ConnectionState::Stopped => SocketState::Stopped,
            },
            last_frame_at: h.last_frame_at_ms,
            reconnects: u32::try_from(h.reconnects).unwrap_or(u32::MAX),
            quarantined: u32::try_from(h.quarantined).unwrap_or(u32::MAX),
        })
        .collect();
    let open = health
        .iter()
        .filter(|h| h.state == ConnectionState::Open)
        .count();
    let stopped = health.iter().all(|h| h.state == ConnectionState::Stopped);
    let state = if stopped {
        LinkState::Stopped
    } else if open == health.len() {
        LinkState::Online
    } else if open > 0 {
        LinkState::Degraded
    } else {
        LinkState::Offline
    };
    ConnectionStatus {
        state,
        quarantined_total: sockets.iter().map(|s| s.quarantined).sum(),
        sockets,
    }
}

/// Follows the health watch until the link stops, publishing the summary on `status` (the
/// front door reads it) and announcing state changes.
pub(crate) async fn watch(
    status_tx: watch::Sender<ConnectionStatus>,
    notices: Notices,
    mut health: watch::Receiver<Vec<ConnectionHealth>>,
    cancel: CancellationToken,
) {
    let mut last_state = None;
    loop {
        let current = status(&health.borrow_and_update());
        status_tx.send_replace(current.clone());
        // Frame counters change on every push; announce only state changes.
        let shape: Vec<SocketState> = current.sockets.iter().map(|s| s.state).collect();
        if last_state.as_ref() != Some(&shape) {
            last_state = Some(shape);
            notices.connection(current);
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = health.changed() => if changed.is_err() { return },
        }
        // Frames change the watch thousands of times a second under load; look at most 20
        // times a second (the watch keeps only the newest value).
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
