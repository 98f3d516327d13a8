//! The outbox worker: sends queued merchant messages through `meituan-api`, each attempt with
//! the item's own msg_id (so a repeat after a lost response is the same message), encrypting
//! with the imSecret current at that attempt, and records sent or failed with the platform's
//! reason. Items left queued or sending by a crash are resumed at start.

use std::sync::Arc;
use std::time::Duration;

use imdesk_store::{Conversation, OutboxItem, SendFailure, StoreError};
use meituan_api::im::SendMessage;
use meituan_api::{ApiError, TransportError};
use meituan_wire::{
    BizType, CommentId, GroupId, MsgId, MsgSource, MsgType, OpenUserId, OrderId, PushContent,
    RiderId, UnixSeconds,
};

use crate::alerts::AlertInput;
use crate::alerts_driver::AlertCmd;
use crate::attachments::staged_picture;
use crate::convert::conversation_id;
use crate::desk::Inner;
use crate::pictures::{self, UploadFailure};

/// Failure categories in the outbox's numeric `code` column; the message carries the
/// platform's own code and text.
pub(crate) const FAIL_PLATFORM: i64 = 1;
/// The network kept failing.
pub(crate) const FAIL_NETWORK: i64 = 2;
/// Nothing to send with (no credentials, unknown store or conversation).
pub(crate) const FAIL_LOCAL: i64 = 3;

/// How often the worker looks at the outbox even without a wake-up.
const IDLE_LOOK: Duration = Duration::from_secs(30);

pub(crate) async fn run(inner: Arc<Inner>) {
    loop {
        match inner.store.pending_outbox_async().await {
            Ok(items) => {
                for item in items {
                    if inner.cancel.is_cancelled() {
                        return;
                    }
                    send(&inner, item).await;
                }
            }
            Err(e) => tracing::error!("cannot read the outbox: {e}"),
        }
        tokio::select! {
            () = inner.cancel.cancelled() => return,
            () = inner.outbox_wake.notified() => {}
            () = tokio::time::sleep(IDLE_LOOK) => {}
        }
    }
}

/// Whether another attempt may succeed.
fn transient(e: &ApiError, inner: &Inner) -> bool {
    match e {
        ApiError::Transport { kind, .. } => !matches!(kind, TransportError::UnreadableJson { .. }),
        ApiError::Platform { code, .. } => inner
            .platform
            .as_ref()
            .is_some_and(|p| p.client.config().codes.is_rate_limited(code)),
        _ => false,
    }
}

/// The platform refused the content because it did not decrypt: the imSecret rotated.
fn stale_secret(e: &ApiError) -> bool {
    matches!(e, ApiError::Platform { code, msg, .. } if code == "OP_PARAM_INVALID" && msg.contains("msg_content"))
}

fn failure(e: &ApiError) -> SendFailure {
    match e {
        ApiError::Platform {
            code,
            msg,
            trace_id,
            ..
        } => SendFailure {
            code: FAIL_PLATFORM,
            message: format!(
                "{code}: {msg} (traceId {})",
                trace_id.as_deref().unwrap_or("-")
            ),
        },
        ApiError::Transport { kind, .. } => SendFailure {
            code: FAIL_NETWORK,
            message: format!("network: {kind}"),
        },
        other => SendFailure {
            code: FAIL_LOCAL,
            message: other.to_string(),
        },
    }
}

fn request(item: &OutboxItem, conv: &Conversation, content: String, now_ms: i64) -> SendMessage {
    let biz_type = BizType::from(item.biz_type);
    SendMessage {
        biz_type,
        push_content: PushContent {
            msg_id: MsgId(item.msg_id),
            msg_content: content,
            msg_type: MsgType(item.msg_type),
            msg_source: MsgSource::Merchant,
            cts: UnixSeconds(now_ms.div_euclid(1000)),
            // Two-party sends name the order; 0 before ordering (what the pushes carry).
            order_id: (item.biz_type == 1).then(|| OrderId(conv.order_id.unwrap_or(0))),
            open_user_id: conv.open_user_id.map(OpenUserId),
            scene_tag: None,
            scene_name: None,
            has_reply: None,
            comment_id: conv.comment_id.map(CommentId),
            group_id: conv.group_id.map(GroupId),
            group_name: (item.biz_type == 5)
                .then(|| conv.group_name.clone())
                .flatten(),
            rider_id: conv.rider_id.map(RiderId),
        },
        extended_field: None,
    }
}

async fn fail(inner: &Inner, item: &OutboxItem, f: SendFailure) {
    tracing::warn!(outbox = item.id, msg_id = item.msg_id, reason = %f.message, "send failed");
    if let Err(e) = inner.store.mark_failed_async(item.id, f, inner.now()).await {
        tracing::error!(outbox = item.id, "cannot record the failure: {e}");
    }
}

/// Sends one item until it is sent, refused, or out of attempts.
pub(crate) async fn send(inner: &Inner, mut item: OutboxItem) {
    let staged = staged_picture(&item).map(str::to_owned);
    let conv = match inner.store.conversation_async(item.conversation_id).await {
        Ok(Some(c)) => c,
        _ => {
            let f = SendFailure {
                code: FAIL_LOCAL,
                message: "conversation not found".into(),
            };
            return fail(inner, &item, f).await;
        }
    };
    let view_id = conversation_id(&conv.key);
    let (Some(platform), Some(entry)) = (&inner.platform, inner.store_entry(&item.store)) else {
        let f = SendFailure {
            code: FAIL_LOCAL,
            message: "no credentials for this store".into(),
        };
        return fail(inner, &item, f).await;
    };
    let mut refreshed = false;
    let mut attempt: u32 = 0;
    let (first, largest) = inner.opts.send_backoff;
    loop {
        if inner.cancel.is_cancelled() {
            return; // stays queued or sending; resumed after the next start
        }
        attempt += 1;
        match inner.store.mark_sending_async(item.id, inner.now()).await {
            Ok(_) => {}
            Err(StoreError::AlreadySent { .. }) => return,
            Err(e) => return tracing::error!(outbox = item.id, "cannot mark sending: {e}"),
        }
        inner.notices.conversations(vec![view_id.clone()]);
        // A staged picture is uploaded first; its reference then replaces it in the item.
        let uploaded = match pictures::upload_staged(inner, &entry, &item).await {
            Ok(updated) => {
                item = updated;
                Ok(())
            }
            Err(UploadFailure::Api(e)) => Err(e),
            Err(UploadFailure::Local(message)) => {
                let f = SendFailure {
                    code: FAIL_LOCAL,
                    message,
                };
                fail(inner, &item, f).await;
                inner.notices.conversations(vec![view_id]);
                return;
            }
        };
        let result = match (uploaded, platform.tokens.cipher(false).await) {
            (Err(e), _) => Err(e),
            (Ok(()), Ok(cipher)) => {
                let req = request(&item, &conv, cipher.encrypt(&item.text), inner.now());
                platform.client.call(&entry.key, &req).await.map(|_| ())
            }
            (Ok(()), Err(e)) => Err(ApiError::Transport {
                endpoint: "getConnectionToken".into(),
                kind: TransportError::Other,
                trace_id: Some(e.to_string()),
            }),
        };
        match result {
            Ok(()) => {
                // A reply answers everything before it: when our clock runs behind the
                // platform's cts, stamp the reply at the conversation's latest message.
                let latest = match inner.store.conversation_async(conv.id).await {
                    Ok(Some(c)) => c.last_msg_at_ms,
                    _ => 0,
                };
                let sent_at = inner.now().max(latest);
                match inner.store.mark_sent_async(item.id, sent_at).await {
                    Ok(_) => {
                        let _ = inner.alerts.send(AlertCmd::Input(AlertInput::Replied {
                            conversation: view_id.clone(),
                        }));
                    }
                    Err(e) => tracing::error!(outbox = item.id, "cannot mark sent: {e}"),
                }
                pictures::forget_staged(inner, staged.as_deref());
                inner.notices.conversations(vec![view_id]);
                inner.notices.stores();
                return;
            }
            Err(e) if stale_secret(&e) && !refreshed => {
                refreshed = true;
                if let Err(e) = platform.tokens.cipher(true).await {
                    tracing::warn!("cannot refresh the imSecret: {e}");
                }
            }
            Err(e) if transient(&e, inner) && attempt < inner.opts.send_attempts => {
                let factor = 1u32 << attempt.min(16);
                let delay = first.saturating_mul(factor).min(largest);
                tracing::info!(
                    outbox = item.id,
                    attempt,
                    ?delay,
                    "send will be retried: {e}"
                );
                tokio::select! {
                    () = inner.cancel.cancelled() => return,
                    () = tokio::time::sleep(delay) => {}
                }
            }
            Err(e) => {
                fail(inner, &item, failure(&e)).await;
                inner.notices.conversations(vec![view_id]);
                return;
            }
        }
    }
}
