//! The desk's write side: sending (through the outbox), read state, quick replies, drafts,
//! alert settings and per-store mute.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::broadcast;

use imdesk_store::{ConversationKey, NewOutboxMessage, OutboxState, QuickReply as StoreQuickReply};
use meituan_api::im::MsgRead;
use meituan_wire::{MsgId, OpenUserId, StoreId};

use crate::alerts::AlertSettings;
use crate::convert::{conversation_id, outbox_message, MessageKey};
use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::settings::{ALERT_SETTINGS_KEY, URGENT_TAGS_KEY};
use crate::view::{ChatMessage, ConversationId, QuickReply};

/// The failure recorded on a failed item, as the error the front doors show; `codes` says
/// what a platform code means.
fn send_failed(
    item: &imdesk_store::OutboxItem,
    codes: Option<&meituan_api::PlatformCodes>,
) -> DeskError {
    use imdesk_store::FailureKind;
    let (code, reason) = match item.last_error.clone() {
        Some(f) => {
            let code = match (f.kind, f.platform_code) {
                (_, Some(code)) => code,
                (FailureKind::Network, None) => "network".to_owned(),
                (FailureKind::Conflict, None) => "conflict".to_owned(),
                (FailureKind::Uncertain, None) => "uncertain".to_owned(),
                (FailureKind::Platform | FailureKind::Local, None) => "local".to_owned(),
            };
            (code, f.message)
        }
        None => ("local".to_owned(), String::new()),
    };
    let platform = item
        .last_error
        .as_ref()
        .and_then(|f| f.platform_code.as_ref());
    DeskError::SendFailed {
        id: item.id,
        meaning: platform
            .and(codes)
            .and_then(|codes| codes.meaning(&code, &reason)),
        code,
        reason,
    }
}

impl Desk {
    /// Writes a merchant text to the outbox (durable before this returns) and wakes the outbox
    /// worker, which sends it. Refused locally, with the matching error code, when the text is
    /// empty or too long, the customer is blocked, or the after-sale window has closed.
    pub async fn send_text(&self, conversation_id: &str, text: &str) -> DeskResult<ChatMessage> {
        // A team's desks share one msg_id space: each desk's ids carry its own salt. The
        // reply is sent against what this desk has seen of the conversation now, when the
        // agent pressed send (before anything below waits).
        let msg_id = match &self.team {
            Some(t) => {
                let key = crate::convert::parse_conversation_id(conversation_id)?;
                let id = t.next_msg_id(self.now());
                t.remember_seen(id, &key);
                Some(id)
            }
            None => None,
        };
        let checked = async {
            let conv = self.conversation_for_send(conversation_id).await?;
            self.may_answer(&conv.key).await?;
            Ok::<_, DeskError>(conv)
        };
        let conv = match checked.await {
            Ok(conv) => conv,
            Err(e) => {
                if let (Some(t), Some(id)) = (&self.team, msg_id) {
                    t.forget_seen(id);
                }
                return Err(e);
            }
        };
        let item = self
            .store
            .enqueue_outbox_async(NewOutboxMessage {
                conversation_id: conv.id,
                msg_id,
                msg_type: if conv.key.biz_type == 1 { 1 } else { 0 },
                text: text.to_owned(),
                now_ms: self.now(),
            })
            .await?;
        self.outbox.wake();
        self.notices.conversations(vec![conversation_id.to_owned()]);
        Ok(outbox_message(&item))
    }

    /// The conversation a send goes to, with a current order context: the after-sale rule
    /// needs the completion time, so an order not known to be completed is fetched again
    /// unless its cached copy is fresh.
    pub(crate) async fn conversation_for_send(
        &self,
        conversation_id: &str,
    ) -> DeskResult<imdesk_store::Conversation> {
        let mut conv = self.conversation_by_id(conversation_id).await?;
        if conv.key.biz_type == 1 {
            if let Some(o) = conv.order_id {
                let fresh_ms = i64::try_from(self.opts.order_fresh.as_millis()).unwrap_or(i64::MAX);
                let stale = match self.store.order_async(o).await? {
                    None => true,
                    Some(r) => {
                        r.completed_at_ms.is_none() && self.now() - r.fetched_at_ms >= fresh_ms
                    }
                };
                if stale && self.refresh_order(&conv).await {
                    conv = self.conversation_by_id(conversation_id).await?;
                }
            }
        }
        Ok(conv)
    }

    /// Queues a failed send again (same msg_id, so it can never be delivered twice).
    pub async fn retry_send(&self, message_key: &str) -> DeskResult<ChatMessage> {
        let MessageKey::Outbox(id) = MessageKey::parse(message_key)? else {
            return Err(DeskError::Invalid(format!(
                "{message_key} is not an unsent message"
            )));
        };
        let store = &self.store;
        let item = store
            .outbox_item_async(id)
            .await?
            .ok_or_else(|| DeskError::not_found("outbox item", id))?;
        if item.state == OutboxState::Sent {
            return Ok(outbox_message(&item));
        }
        if let Some(team) = &self.team {
            let uncertain = item
                .last_error
                .as_ref()
                .is_some_and(|f| f.kind == imdesk_store::FailureKind::Uncertain);
            if uncertain {
                return Err(DeskError::Invalid(format!(
                    "{message_key} may have reached the customer: check, then send it as a new message"
                )));
            }
            // Confirmed by the agent after reading what was new: sent against what the desk
            // has seen now.
            if let Some(conv) = store.conversation_async(item.conversation_id).await? {
                team.remember_seen(item.msg_id, &conv.key);
            }
        }
        // A new attempt starts from "sending", which the worker resumes like any pending item.
        let item = store.mark_sending_async(id, self.now()).await?;
        self.outbox.wake();
        Ok(outbox_message(&item))
    }

    /// Waits until an outbox item is sent (its bubble) or has failed (the platform's reason as
    /// [`DeskError::SendFailed`]), for at most `timeout`. Follows the outbox worker's durable
    /// state changes; the cache is read once, and again only if this waiter fell behind.
    pub async fn wait_sent(&self, message_key: &str, timeout: Duration) -> DeskResult<ChatMessage> {
        let MessageKey::Outbox(id) = MessageKey::parse(message_key)? else {
            return Err(DeskError::Invalid(format!(
                "{message_key} is not an outbox item"
            )));
        };
        // Subscribed before the first read, so no change can fall between the two.
        let mut updates = self.outbox.subscribe();
        let read = || async {
            self.store
                .outbox_item_async(id)
                .await?
                .ok_or_else(|| DeskError::not_found("outbox item", id))
        };
        let mut item = read().await?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match item.state {
                OutboxState::Sent => return Ok(outbox_message(&item)),
                OutboxState::Failed => {
                    let codes = self.meituan.as_ref().map(|m| &m.client.config().codes);
                    return Err(send_failed(&item, codes));
                }
                _ => {}
            }
            item = loop {
                match tokio::time::timeout_at(deadline, updates.recv()).await {
                    Err(_) => {
                        return Err(DeskError::SendFailed {
                            id,
                            code: "network".into(),
                            reason: "not sent in time; it stays queued".into(),
                            meaning: None,
                        })
                    }
                    Ok(Ok(update)) if update.id == id => break update,
                    Ok(Ok(_)) => {}
                    Ok(Err(broadcast::error::RecvError::Lagged(_))) => break read().await?,
                    Ok(Err(broadcast::error::RecvError::Closed)) => return Err(DeskError::Stopped),
                }
            };
        }
    }

    /// The conversation for a store and peer, created empty when the cache has none yet (the
    /// CLI's `send` may address a customer before any message was received).
    pub async fn open_conversation(
        &self,
        store: &str,
        biz_type: i32,
        open_user_id: Option<i64>,
        order_id: Option<i64>,
        group_id: Option<i64>,
    ) -> DeskResult<ConversationId> {
        if self.stores.entry(store).is_none() {
            return Err(DeskError::not_found("store", store));
        }
        let key =
            ConversationKey::of(store, biz_type, open_user_id, group_id).ok_or_else(|| {
                DeskError::Invalid("biz_type 1 needs open_user_id; 4, 5 and 6 need group_id".into())
            })?;
        self.store
            .ensure_conversation_async(store.to_owned(), biz_type, open_user_id, group_id, order_id)
            .await?;
        Ok(conversation_id(&key))
    }

    /// An agent has seen the conversation: unread to zero locally, and `msgRead` for its
    /// latest customer message on the platform in the background.
    pub async fn mark_read(&self, conversation_id: &str) -> DeskResult<()> {
        let conv = self.conversation_by_id(conversation_id).await?;
        let store = &self.store;
        store.mark_read_async(conv.id).await?;
        self.alerts.opened(conversation_id.to_owned());
        self.notices.conversations(vec![conversation_id.to_owned()]);
        self.notices.stores();
        let (Some(user), Some(platform), Some(entry)) = (
            conv.open_user_id,
            self.meituan.clone(),
            self.stores.entry(&conv.key.store),
        ) else {
            return Ok(());
        };
        let recent = store.history_async(conv.id, None, 20).await?;
        let Some(last) = recent
            .iter()
            .rev()
            .find(|m| m.msg_source == imdesk_store::SOURCE_CUSTOMER)
        else {
            return Ok(());
        };
        let request = MsgRead {
            open_user_id: OpenUserId(user),
            msg_id: MsgId(last.msg_id),
        };
        tokio::spawn(async move {
            if let Err(e) = platform.client.call(&entry.key, &request).await {
                tracing::debug!(store = %entry.key.store, "msgRead failed: {e}");
            }
        });
        Ok(())
    }

    /// Quick replies of the brand plus, when given, one store's.
    pub async fn quick_replies(&self, store: Option<String>) -> DeskResult<Vec<QuickReply>> {
        let rows = self.store.quick_replies_async(store).await?;
        let mut out = self.shared_quick_replies();
        out.extend(rows.into_iter().map(|r| QuickReply {
            id: r.id.unwrap_or_default(),
            store: r.store,
            title: r.title,
            text: r.text,
            shared: None,
        }));
        Ok(out)
    }

    /// Creates (id 0) or updates a quick reply; returns it with its id.
    pub async fn save_quick_reply(&self, reply: QuickReply) -> DeskResult<QuickReply> {
        if reply.title.trim().is_empty() || reply.text.trim().is_empty() {
            return Err(DeskError::Invalid(
                "a quick reply needs a title and a text".into(),
            ));
        }
        let id = self
            .store
            .save_quick_reply_async(StoreQuickReply {
                id: (reply.id > 0).then_some(reply.id),
                store: reply.store.clone(),
                title: reply.title.clone(),
                text: reply.text.clone(),
                sort: 100,
            })
            .await?;
        Ok(QuickReply { id, ..reply })
    }

    /// Deletes a quick reply.
    pub async fn delete_quick_reply(&self, id: i64) -> DeskResult<()> {
        Ok(self.store.delete_quick_reply_async(id).await?)
    }

    /// Saves the composer's draft (empty deletes it).
    pub async fn set_draft(&self, conversation_id: &str, text: &str) -> DeskResult<()> {
        let conv = self.conversation_by_id(conversation_id).await?;
        Ok(self
            .store
            .set_draft_async(conv.id, text.to_owned(), self.now())
            .await?)
    }

    /// The alert settings in force.
    pub async fn alert_settings(&self) -> DeskResult<AlertSettings> {
        crate::settings::load_alert_settings(&self.store).await
    }

    /// Validates, persists and applies alert settings (per-store mute included).
    pub async fn set_alert_settings(&self, settings: AlertSettings) -> DeskResult<()> {
        settings
            .validate()
            .map_err(|e| DeskError::Invalid(e.to_string()))?;
        let json =
            serde_json::to_string(&settings).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let store = &self.store;
        store
            .set_setting_async(ALERT_SETTINGS_KEY.into(), json)
            .await?;
        for mut row in store.stores_async().await? {
            let muted = settings
                .muted_stores
                .contains(&StoreId::new(row.epoi_id.clone()));
            if row.muted != muted {
                row.muted = muted;
                store.upsert_store_async(row).await?;
            }
        }
        self.alerts.settings(settings);
        self.notices.stores();
        Ok(())
    }

    /// The scene tags whose messages get the urgent (1-minute) clock.
    pub fn urgent_scene_tags(&self) -> BTreeSet<i32> {
        self.store.clock_policy().urgent_scene_tags
    }

    /// Changes which scene tags are urgent, for messages that arrive from now on (running
    /// clocks keep their deadlines). The store's one policy decides deadlines, inbox order,
    /// alerts and reply rates alike; the platform's 5- and 1-minute windows are not settable.
    pub async fn set_urgent_scene_tags(&self, tags: BTreeSet<i32>) -> DeskResult<()> {
        let json = serde_json::to_string(&tags).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let mut policy = self.store.clock_policy();
        policy.urgent_scene_tags = tags;
        self.store.set_clock_policy(policy)?;
        self.store
            .set_setting_async(URGENT_TAGS_KEY.into(), json)
            .await?;
        Ok(())
    }

    /// Mutes or unmutes a store's non-urgent alerts.
    pub async fn set_store_muted(&self, store: &str, muted: bool) -> DeskResult<()> {
        if self.stores.entry(store).is_none() {
            return Err(DeskError::not_found("store", store));
        }
        let mut settings = self.alert_settings().await?;
        let id = StoreId::new(store);
        if muted {
            settings.muted_stores.insert(id);
        } else {
            settings.muted_stores.remove(&id);
        }
        self.set_alert_settings(settings).await
    }

    /// Pauses non-urgent alerts until `until` (UTC ms), or resumes them with `None`. The
    /// scheduler and the UI hear of it in the order the calls were made.
    pub fn pause_alerts(&self, until: Option<i64>) {
        self.alerts.pause(until, &self.notices);
    }

    /// Pauses non-urgent alerts for `minutes` from now on the desk's clock (`None` resumes);
    /// returns the end of the pause.
    pub fn pause_alerts_for(&self, minutes: Option<u32>) -> Option<i64> {
        let until = minutes.map(|m| self.now() + i64::from(m) * 60_000);
        self.pause_alerts(until);
        self.alerts_paused_until()
    }

    /// The end of the pause in force (UTC ms), if notifications are paused now.
    pub fn alerts_paused_until(&self) -> Option<i64> {
        self.alerts.paused_until()
    }
}
