//! The outbox worker: delivers queued merchant messages through the [`PlatformPort`], each
//! attempt with the item's own msg_id (so a repeat after a lost response is the same message),
//! and records sent or failed with the platform's reason. Items left queued or sending by a
//! crash are resumed at start. Every state change is published on the [`OutboxHandle`] once it
//! is durable, so waiting for a send never polls the cache.

use std::sync::Arc;
use std::time::Duration;

use imdesk_store::{OutboxItem, SendFailure, Store, StoreError};
use meituan_wire::Clock;
use tokio::sync::{broadcast, Notify};
use tokio_util::sync::CancellationToken;

use crate::alerts::AlertInput;
use crate::alerts_driver::AlertsHandle;
use crate::attachments::{staged_picture, Attachments};
use crate::convert::conversation_id;
use crate::events::Notices;
use crate::port::{local_failure, Delivery, Outgoing, PlatformPort};
use crate::registry::StoreRegistry;

/// How often the worker looks at the outbox even without a wake-up.
const IDLE_LOOK: Duration = Duration::from_secs(30);

/// Outbox state changes kept for slow subscribers; a subscriber that lags re-reads the cache.
const UPDATES: usize = 256;

/// The front door's side of the outbox: wake the worker, and follow items' states.
#[derive(Debug, Clone)]
pub(crate) struct OutboxHandle {
    wake: Arc<Notify>,
    updates: broadcast::Sender<OutboxItem>,
}

impl OutboxHandle {
    pub(crate) fn new() -> Self {
        Self {
            wake: Arc::new(Notify::new()),
            updates: broadcast::channel(UPDATES).0,
        }
    }

    /// Something was queued or retried.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Durable state changes from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<OutboxItem> {
        self.updates.subscribe()
    }

    fn publish(&self, item: &OutboxItem) {
        // No subscriber is fine: nobody is waiting.
        let _ = self.updates.send(item.clone());
    }
}

/// What the worker uses.
#[derive(Debug)]
pub(crate) struct OutboxWorker {
    pub store: Store,
    pub port: Option<Arc<dyn PlatformPort>>,
    pub stores: StoreRegistry,
    pub handle: OutboxHandle,
    pub alerts: AlertsHandle,
    pub notices: Notices,
    pub attachments: Attachments,
    pub clock: Arc<dyn Clock>,
    /// Attempts of one send, and the first and largest delay between them.
    pub attempts: u32,
    pub backoff: (Duration, Duration),
    pub cancel: CancellationToken,
}

impl OutboxWorker {
    pub(crate) async fn run(self) {
        loop {
            match self.store.pending_outbox_async().await {
                Ok(items) => {
                    for item in items {
                        if self.cancel.is_cancelled() {
                            return;
                        }
                        self.send(item).await;
                    }
                }
                Err(e) => tracing::error!("cannot read the outbox: {e}"),
            }
            tokio::select! {
                () = self.cancel.cancelled() => return,
                () = self.handle.wake.notified() => {}
                () = tokio::time::sleep(IDLE_LOOK) => {}
            }
        }
    }

    fn now(&self) -> i64 {
        self.clock.now().0
    }

    async fn fail(&self, item: &OutboxItem, f: SendFailure) {
        tracing::warn!(outbox = item.id, msg_id = item.msg_id, reason = %f.message, "send failed");
        match self.store.mark_failed_async(item.id, f, self.now()).await {
            Ok(failed) => self.handle.publish(&failed),
            Err(e) => tracing::error!(outbox = item.id, "cannot record the failure: {e}"),
        }
    }

    /// Sends one item until it is sent, refused, or out of attempts.
    async fn send(&self, mut item: OutboxItem) {
        let staged = staged_picture(&item).map(str::to_owned);
        let local = |message: &str| local_failure(message);
        let conv = match self.store.conversation_async(item.conversation_id).await {
            Ok(Some(c)) => c,
            _ => return self.fail(&item, local("conversation not found")).await,
        };
        let view_id = conversation_id(&conv.key);
        let (Some(port), Some(entry)) = (&self.port, self.stores.entry(&item.store)) else {
            self.fail(&item, local("no credentials for this store"))
                .await;
            return self.notices.conversations(vec![view_id]);
        };
        let mut attempt: u32 = 0;
        let (first, largest) = self.backoff;
        loop {
            if self.cancel.is_cancelled() {
                return; // stays queued or sending; resumed after the next start
            }
            attempt += 1;
            match self.store.mark_sending_async(item.id, self.now()).await {
                Ok(sending) => self.handle.publish(&sending),
                Err(StoreError::AlreadySent { .. }) => return,
                Err(e) => return tracing::error!(outbox = item.id, "cannot mark sending: {e}"),
            }
            self.notices.conversations(vec![view_id.clone()]);
            // A staged picture is uploaded first; its reference then replaces it in the item.
            let outcome = match self.upload_staged(port.as_ref(), &entry.key, &item).await {
                Ok(updated) => {
                    item = updated;
                    let out = Outgoing {
                        store: &entry.key,
                        item: &item,
                        conversation: &conv,
                        now_ms: self.now(),
                    };
                    port.deliver(out).await
                }
                Err(d) => d,
            };
            match outcome {
                Delivery::Accepted => {
                    // A reply answers everything before it: when our clock runs behind the
                    // platform's cts, stamp the reply at the conversation's latest message.
                    let latest = match self.store.conversation_async(conv.id).await {
                        Ok(Some(c)) => c.last_msg_at_ms,
                        _ => 0,
                    };
                    let sent_at = self.now().max(latest);
                    match self.store.mark_sent_async(item.id, sent_at).await {
                        Ok(sent) => {
                            self.alerts.input(AlertInput::Replied {
                                conversation: view_id.clone(),
                            });
                            self.handle.publish(&sent);
                        }
                        Err(e) => tracing::error!(outbox = item.id, "cannot mark sent: {e}"),
                    }
                    if let Some(name) = staged.as_deref() {
                        self.attachments.remove(name);
                    }
                    self.notices.conversations(vec![view_id]);
                    self.notices.stores();
                    return;
                }
                Delivery::Retry(f) if attempt < self.attempts => {
                    let factor = 1u32 << attempt.min(16);
                    let delay = first.saturating_mul(factor).min(largest);
                    tracing::info!(outbox = item.id, attempt, ?delay, reason = %f.message, "send will be retried");
                    tokio::select! {
                        () = self.cancel.cancelled() => return,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
                Delivery::Retry(f) | Delivery::Refused(f) => {
                    self.fail(&item, f).await;
                    self.notices.conversations(vec![view_id]);
                    return;
                }
            }
        }
    }

    /// The item as it is sent: a staged picture is uploaded and its reference recorded in
    /// the item (same msg_id), so a retry or a restart reuses the upload.
    async fn upload_staged(
        &self,
        port: &dyn PlatformPort,
        store: &meituan_api::StoreKey,
        item: &OutboxItem,
    ) -> Result<OutboxItem, Delivery> {
        let Some(name) = staged_picture(item) else {
            return Ok(item.clone());
        };
        let refused = |message: String| Delivery::Refused(local_failure(message));
        let attachments = self.attachments.clone();
        let owned = name.to_owned();
        let bytes = tokio::task::spawn_blocking(move || attachments.read(&owned))
            .await
            .map_err(|_| refused("the desk is stopping".into()))?
            .map_err(|e| refused(format!("the staged picture is gone: {e}")))?;
        let content = port.upload_picture(store, bytes).await?;
        self.store
            .set_outbox_content_async(item.id, content, self.now())
            .await
            .map_err(|e| refused(format!("cannot record the upload: {e}")))
    }
}
