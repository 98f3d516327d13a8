//! Push-connection health into the status bar's [`ConnectionStatus`], announced on change.

use meituan_push::{ConnectionHealth, ConnectionState};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::events::Notices;
use crate::view::{ConnectionStatus, LinkState, SocketHealth, SocketState, TeamStatus};

/// The status before the link starts, and for a desk without one.
pub(crate) fn stopped() -> ConnectionStatus {
    ConnectionStatus {
        state: LinkState::Stopped,
        sockets: Vec::new(),
        quarantined_total: 0,
        team: None,
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
        team: None,
    }
}

/// Follows the health watch until the link stops, publishing the summary on `status` (the
/// front door reads it) and announcing state changes.
pub(crate) async fn watch(
    status_tx: watch::Sender<ConnectionStatus>,
    notices: Notices,
    mut health: watch::Receiver<Vec<ConnectionHealth>>,
    mut team: Option<watch::Receiver<Option<TeamStatus>>>,
    cancel: CancellationToken,
) {
    let mut last_state = None;
    loop {
        let mut current = status(&health.borrow_and_update());
        current.team = team.as_mut().and_then(|t| t.borrow_and_update().clone());
        status_tx.send_replace(current.clone());
        // Frame counters change on every push; announce only state changes (and the team's
        // status line, which its task refreshes every few seconds at most).
        let shape: (Vec<SocketState>, Option<TeamStatus>) = (
            current.sockets.iter().map(|s| s.state).collect(),
            current.team.clone(),
        );
        if last_state.as_ref() != Some(&shape) {
            last_state = Some(shape);
            notices.connection(current);
        }
        let team_changed = async {
            match team.as_mut() {
                Some(t) => t.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = health.changed() => if changed.is_err() { return },
            alive = team_changed => if !alive { team = None },
        }
        // Frames change the watch thousands of times a second under load; look at most 20
        // times a second (the watch keeps only the newest value).
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
