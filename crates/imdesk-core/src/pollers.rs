//! Background polls of the platform: customers' read times (read receipts), the orders the
//! conversations refer to, and Meituan's own reply-rate figures. Each is bounded per round and
//! stops with the desk.

use std::collections::BTreeMap;
use std::time::Duration;

use imdesk_store::{Conversation, Store};
use meituan_api::im::{GetReversionRateAndRightsList, ReversionRate, UserReadTime};
use meituan_wire::OpenUserId;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::convert::conversation_id;
use crate::detail::ContextFetcher;
use crate::events::Notices;
use crate::options::DeskOptions;
use crate::platform::record_poll;
use crate::port::MeituanLink;
use crate::registry::StoreRegistry;

/// What the pollers use: they exist only with a direct Meituan link.
#[derive(Debug, Clone)]
pub(crate) struct Pollers {
    pub store: Store,
    pub meituan: MeituanLink,
    pub stores: StoreRegistry,
    pub context: ContextFetcher,
    pub notices: Notices,
    pub opts: DeskOptions,
    pub cancel: CancellationToken,
}

/// The longest wait before an order whose fetch keeps failing is tried again.
const MAX_ORDER_BACKOFF_MS: i64 = 10 * 60 * 1000;

impl Pollers {
    fn now(&self) -> i64 {
        self.opts.clock.now().0
    }

    async fn pause(&self, every: Duration) -> bool {
        tokio::select! {
            () = self.cancel.cancelled() => false,
            () = tokio::time::sleep(every) => true,
        }
    }

    /// Polls `userReadTime` for conversations with unread merchant messages; a message is read
    /// when `cts_ms <= last_read_time`, which the history computes from the stored read time.
    pub(crate) async fn read_receipts(self) {
        let inner = &self;
        while inner.pause(inner.opts.read_receipt_interval).await {
            let since = inner.now() - 24 * 3600 * 1000;
            let limit = inner.opts.read_receipt_batch;
            let convs = inner.store.unread_receipts_async(since, limit).await;
            let convs = match convs {
                Ok(convs) => convs,
                Err(e) => {
                    tracing::warn!("read receipts: cannot list conversations: {e}");
                    continue;
                }
            };
            let mut changed = Vec::new();
            for conv in convs {
                if let Some(view_id) = inner.poll_one(conv).await {
                    changed.push(view_id);
                }
            }
            inner.notices.conversations(changed);
        }
    }

    /// Polls one conversation; returns its view id when the read time moved.
    async fn poll_one(&self, conv: Conversation) -> Option<String> {
        let inner = self;
        let id = conv.id;
        let platform = &inner.meituan;
        let entry = inner.stores.entry(&conv.key.store)?;
        let user = conv.open_user_id?;
        let read = match platform
            .client
            .call(
                &entry.key,
                &UserReadTime {
                    open_user_id: OpenUserId(user),
                },
            )
            .await
        {
            Ok(r) => r.last_read_time.0,
            Err(e) => {
                tracing::debug!(conversation = id, "userReadTime failed: {e}");
                return None;
            }
        };
        if conv.last_read_ms.is_some_and(|known| known >= read) || read <= 0 {
            return None;
        }
        inner
            .store
            .set_customer_read_time_async(id, read)
            .await
            .ok()?;
        Some(conversation_id(&conv.key))
    }

    /// Keeps the order context of active conversations current, so a complaint about a completed
    /// order shows "after-sale" in the inbox (and the after-sale window is known) before the agent
    /// opens the chat.
    pub(crate) async fn orders(self) {
        let inner = &self;
        // Orders whose fetch failed (or whose store is no longer configured) wait before the next
        // try, doubling each time, so they never starve the others or spend the rate limit.
        let mut backoff: BTreeMap<i64, (u32, i64)> = BTreeMap::new();
        let round = i64::try_from(inner.opts.order_poll_interval.as_millis()).unwrap_or(i64::MAX);
        while inner.pause(inner.opts.order_poll_interval).await {
            let now = inner.now();
            let fresh = i64::try_from(inner.opts.order_fresh.as_millis()).unwrap_or(i64::MAX);
            let (since, stale_before) = (now - 3 * 24 * 3600 * 1000, now.saturating_sub(fresh));
            // Ask for more than a round's worth: orders in back-off are skipped below.
            let limit = inner.opts.order_poll_batch.saturating_mul(4);
            let due = inner
                .store
                .orders_to_fetch_async(since, stale_before, limit)
                .await;
            let due = match due {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!("orders: cannot list conversations: {e}");
                    continue;
                }
            };
            let now = inner.now();
            let batch = usize::try_from(inner.opts.order_poll_batch).unwrap_or(usize::MAX);
            let due: Vec<(String, i64)> = due
                .into_iter()
                .filter(|(_, o)| backoff.get(o).is_none_or(|(_, next)| *next <= now))
                .take(batch)
                .collect();
            for (store, order_id) in due {
                let fetched = inner.context.order(&store, order_id).await;
                if !fetched {
                    let (failures, _) = backoff.get(&order_id).copied().unwrap_or((0, 0));
                    let wait = round
                        .saturating_mul(1_i64 << failures.min(16))
                        .min(MAX_ORDER_BACKOFF_MS);
                    backoff.insert(order_id, (failures + 1, now.saturating_add(wait)));
                    continue;
                }
                backoff.remove(&order_id);
                let keys = inner
                    .store
                    .conversations_of_order_async(order_id)
                    .await
                    .unwrap_or_default();
                inner
                    .notices
                    .conversations(keys.iter().map(conversation_id).collect());
            }
        }
    }

    /// Fetches `getReversionRateAndRightsList` for every store now and then, recording each
    /// store's figures of the day (with ours beside them) in SQLite, where the rates page and
    /// the status bar read them, and publishing the newest on `rates` (a team relay's
    /// heartbeat carries them to the agents).
    pub(crate) async fn platform_rates(
        self,
        rates: watch::Sender<BTreeMap<String, ReversionRate>>,
    ) {
        loop {
            for key in self.stores.keys() {
                match self
                    .meituan
                    .client
                    .call(&key, &GetReversionRateAndRightsList)
                    .await
                {
                    Ok(rate) => {
                        let store = key.store.as_str();
                        let recorded =
                            record_poll(&self.store, &self.opts, store, &rate, self.now()).await;
                        if let Err(e) = recorded {
                            tracing::warn!(store, "reply rates not recorded: {e}");
                        }
                        rates.send_modify(|all| {
                            all.insert(store.to_owned(), rate);
                        });
                    }
                    Err(e) => tracing::debug!(store = %key.store, "reply rates unavailable: {e}"),
                }
            }
            if !self.pause(self.opts.platform_rates_interval).await {
                return;
            }
        }
    }
}
