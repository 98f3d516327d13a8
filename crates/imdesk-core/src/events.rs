//! What leaves the core: [`DeskSink`] receives coalesced [`DeskEvent`]s (ids and counts, at
//! most ~30 batches a second) and [`Alert`]s to show. The shell implements it (Tauri events,
//! notify-rust); the CLI and tests implement it with a channel or nothing.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::alerts::Alert;
use crate::view::{ConnectionStatus, ConversationId, DeskEvent};

/// Receives the desk's events and alerts. Called from the desk's tasks: return quickly.
pub trait DeskSink: Send + Sync + 'static {
    /// A coalesced UI notice.
    fn event(&self, event: DeskEvent);
    /// A notification to show (with its sound). The conversation is a view id.
    fn alert(&self, alert: Alert<ConversationId>);
    /// The conversation was answered (our reply is durable) or opened by the agent: its
    /// notifications have nothing left to say and should leave the screen.
    fn withdraw(&self, _conversation: &ConversationId) {}
}

/// A sink that drops everything (headless runs).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl DeskSink for NullSink {
    fn event(&self, _: DeskEvent) {}
    fn alert(&self, _: Alert<ConversationId>) {}
}

/// One raw notice before coalescing.
#[derive(Debug)]
pub(crate) enum Notice {
    Conversations(Vec<ConversationId>),
    Stores,
    Connection(ConnectionStatus),
    Paused(Option<i64>),
    /// Answered once everything queued before it has been handed to the sink.
    Flush(oneshot::Sender<()>),
}

/// The sending side the engine's tasks use.
#[derive(Clone)]
pub(crate) struct Notices(mpsc::UnboundedSender<Notice>);

impl fmt::Debug for Notices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Notices")
    }
}

impl Notices {
    pub(crate) fn conversations(&self, ids: Vec<ConversationId>) {
        if !ids.is_empty() {
            let _ = self.0.send(Notice::Conversations(ids));
        }
    }

    pub(crate) fn stores(&self) {
        let _ = self.0.send(Notice::Stores);
    }

    pub(crate) fn connection(&self, status: ConnectionStatus) {
        let _ = self.0.send(Notice::Connection(status));
    }

    pub(crate) fn paused(&self, until: Option<i64>) {
        let _ = self.0.send(Notice::Paused(until));
    }

    /// Waits until every notice queued before this call has reached the sink.
    pub(crate) async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.0.send(Notice::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// Starts the coalescer: notices are merged over `window` and handed to the sink as at most
/// one event of each kind per window.
pub(crate) fn start(
    runtime: &tokio::runtime::Handle,
    sink: Arc<dyn DeskSink>,
    window: Duration,
    cancel: CancellationToken,
) -> (Notices, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = runtime.spawn(run(rx, sink, window, cancel));
    (Notices(tx), task)
}

async fn run(
    mut rx: mpsc::UnboundedReceiver<Notice>,
    sink: Arc<dyn DeskSink>,
    window: Duration,
    cancel: CancellationToken,
) {
    loop {
        let first = tokio::select! {
            n = rx.recv() => n,
            () = cancel.cancelled() => None,
        };
        let Some(first) = first else { break };
        // Let the batch fill for one window, then emit what it holds; a flush emits at once.
        if !matches!(first, Notice::Flush(_)) {
            tokio::time::sleep(window).await;
        }
        let mut ids = BTreeSet::new();
        let mut stores = false;
        let mut connection = None;
        let mut paused = None;
        let mut flushed = Vec::new();
        let mut take = |n: Notice| match n {
            Notice::Conversations(v) => ids.extend(v),
            Notice::Stores => stores = true,
            Notice::Connection(s) => connection = Some(s),
            Notice::Paused(until) => paused = Some(until),
            Notice::Flush(done) => flushed.push(done),
        };
        take(first);
        while let Ok(n) = rx.try_recv() {
            take(n);
        }
        if !ids.is_empty() {
            sink.event(DeskEvent::ConversationsChanged {
                ids: ids.into_iter().collect(),
            });
        }
        if stores {
            sink.event(DeskEvent::StoresChanged);
        }
        if let Some(status) = connection {
            sink.event(DeskEvent::Connection { status });
        }
        if let Some(until) = paused {
            sink.event(DeskEvent::AlertsPaused { until });
        }
        for done in flushed {
            let _ = done.send(());
        }
    }
}
