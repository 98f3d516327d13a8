//! Data retention (个人信息保护): the settings (设置 → 数据保留), the daily pruning run and
//! "forget this customer". The deleting itself is the store's ([`Store::prune`]): batched
//! through the writer's queue, so ingest keeps flowing while a backlog is pruned.
//!
//! A run that stops on an error (a full disk) is logged and kept as the last run for the
//! settings page; the desk goes on, and the next run starts over. Settings the team mirror
//! keeps (`team.stream_seq`) are never touched.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use imdesk_store::{PruneLimits, Store};
use meituan_wire::Clock;
use tokio_util::sync::CancellationToken;

use crate::convert::parse_conversation_id;
use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::events::Notices;
use crate::view::{IpcError, RetentionRun, RetentionSettings, RetentionView};

/// Settings key of the retention settings (JSON).
const RETENTION_KEY: &str = "retention.settings";
/// Rows deleted per writer job: small enough that an ingest batch queued behind one waits
/// a few milliseconds at most.
const PRUNE_BATCH: u32 = 500;
const DAY_MS: i64 = 24 * 3600 * 1000;
/// The longest retention one can set (ten years).
const MAX_DAYS: u32 = 3650;

/// The last run, shared by the daily task and the settings page.
#[derive(Debug, Clone, Default)]
pub(crate) struct LastRun(Arc<Mutex<Option<RetentionRun>>>);

impl LastRun {
    fn set(&self, run: RetentionRun) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(run);
    }

    fn get(&self) -> Option<RetentionRun> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

async fn load(store: &Store) -> DeskResult<RetentionSettings> {
    let saved = store.setting_async(RETENTION_KEY.into()).await?;
    Ok(saved
        .and_then(|json| match serde_json::from_str(&json) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("saved retention settings unreadable, using defaults: {e}");
                None
            }
        })
        .unwrap_or_default())
}

/// One pruning run at `now_ms`, then a truncating checkpoint so that the deleted rows' old
/// page images leave the WAL too.
async fn run_once(store: &Store, now_ms: i64, last: &LastRun) -> DeskResult<RetentionRun> {
    let settings = load(store).await?;
    let limits = PruneLimits {
        messages_before_ms: Some(now_ms - i64::from(settings.message_days) * DAY_MS),
        orders_completed_before_ms: Some(now_ms - i64::from(settings.order_days) * DAY_MS),
        batch: PRUNE_BATCH,
    };
    let run = match store.prune_async(limits).await {
        Ok(pruned) => {
            if let Err(e) = store.checkpoint_truncate_async().await {
                tracing::warn!("retention: checkpoint after pruning failed: {e}");
            }
            tracing::info!(
                messages = pruned.messages,
                conversations = pruned.conversations,
                orders = pruned.orders,
                "retention: pruned"
            );
            RetentionRun {
                at: now_ms,
                messages: pruned.messages,
                orders: pruned.orders,
                error: None,
            }
        }
        Err(e) => {
            tracing::error!("retention: pruning stopped: {e}");
            let error = DeskError::Store(e);
            last.set(RetentionRun {
                at: now_ms,
                messages: 0,
                orders: 0,
                error: Some(IpcError {
                    code: error.code(),
                    platform_msg: None,
                    message: error.to_string(),
                }),
            });
            return Err(error);
        }
    };
    last.set(run.clone());
    Ok(run)
}

/// The daily run: first `first_delay` after the start, then every `every`.
pub(crate) async fn run_daily(
    store: Store,
    clock: Arc<dyn Clock>,
    first_delay: Duration,
    every: Duration,
    last: LastRun,
    notices: Notices,
    cancel: CancellationToken,
) {
    let mut wait = first_delay;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        wait = every;
        if let Ok(run) = run_once(&store, clock.now().0, &last).await {
            if run.messages > 0 || run.orders > 0 {
                notices.stores();
            }
        }
    }
}

impl Desk {
    /// The retention settings and the last run since this start.
    pub async fn retention(&self) -> DeskResult<RetentionView> {
        Ok(RetentionView {
            settings: load(&self.store).await?,
            last_run: self.retention.get(),
        })
    }

    /// Saves the retention settings (1 to 3,650 days each); the next run applies them.
    pub async fn set_retention(&self, settings: RetentionSettings) -> DeskResult<RetentionView> {
        for days in [settings.message_days, settings.order_days] {
            if !(1..=MAX_DAYS).contains(&days) {
                return Err(DeskError::Invalid(format!(
                    "retention of {days} days is outside 1..={MAX_DAYS}"
                )));
            }
        }
        let json = serde_json::to_string(&settings)
            .map_err(|e| DeskError::Invalid(format!("retention settings: {e}")))?;
        self.store
            .set_setting_async(RETENTION_KEY.into(), json)
            .await?;
        self.retention().await
    }

    /// Prunes now, as the daily run does; a full disk answers [`crate::view::ErrorCode::DiskFull`].
    pub async fn prune_now(&self) -> DeskResult<RetentionRun> {
        let run = run_once(&self.store, self.now(), &self.retention).await?;
        self.notices.stores();
        Ok(run)
    }

    /// Forgets the customer of a two-party conversation: every message they sent or received
    /// at this store (with the search index rows), the conversation with its draft and unsent
    /// replies, and the orders those referred to. Group chats keep the others' messages.
    pub async fn forget_customer(&self, conversation_id: &str) -> DeskResult<()> {
        let key = parse_conversation_id(conversation_id)?;
        if key.biz_type != 1 {
            return Err(DeskError::Invalid(
                "only a two-party conversation has one customer to forget".into(),
            ));
        }
        let pruned = self
            .store
            .forget_customer_async(key.store.clone(), key.peer_id, PRUNE_BATCH)
            .await?;
        if let Err(e) = self.store.checkpoint_truncate_async().await {
            tracing::warn!("forget customer: checkpoint failed: {e}");
        }
        tracing::info!(
            messages = pruned.messages,
            orders = pruned.orders,
            "customer forgotten"
        );
        self.notices.conversations(vec![conversation_id.to_owned()]);
        self.notices.stores();
        Ok(())
    }
}
