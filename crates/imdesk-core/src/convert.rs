//! Store rows into view models, and the view's string ids back into store keys.
//!
//! A conversation id is `"{epoiId}|{bizType}|{peer}"`; a message key is `m{rowid}` for a stored
//! message and `o{outboxId}` for an unsent outbox item; a history cursor is `{cts_ms}:{rowid}`.

use imdesk_store::{
    Conversation, ConversationKey, FailureKind, HistoryCursor, MessageRow,
    OrderState as StoreOrderState, OutboxItem, OutboxState, ReplyClock, SOURCE_CUSTOMER,
    SOURCE_MERCHANT,
};

use crate::error::{DeskError, DeskResult};
use crate::view::{
    Author, ChatMessage, ConversationId, ConversationKind, ConversationRow, ConversationTitle,
    MessageBody, OrderState, SendState,
};

/// The view id of a conversation key.
pub fn conversation_id(key: &ConversationKey) -> ConversationId {
    conversation_id_of(&key.store, key.biz_type, key.peer_id)
}

/// [`conversation_id`] from the key's parts (ingest has them without a key).
pub fn conversation_id_of(store: &str, biz_type: i32, peer_id: i64) -> ConversationId {
    // Made for every message of a burst: sized once (`|`, a one-digit biz_type, `|` and up
    // to 20 digits) and written without `core::fmt`.
    let mut digits = itoa::Buffer::new();
    let mut id = String::with_capacity(store.len() + 23);
    id.push_str(store);
    id.push('|');
    id.push_str(digits.format(biz_type));
    id.push('|');
    id.push_str(digits.format(peer_id));
    id
}

/// Parses a view conversation id.
pub fn parse_conversation_id(id: &str) -> DeskResult<ConversationKey> {
    let bad = || DeskError::Invalid(format!("conversation id `{id}` is malformed"));
    let mut parts = id.rsplitn(3, '|');
    let peer_id = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let biz_type = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let store = parts.next().filter(|s| !s.is_empty()).ok_or_else(bad)?;
    Ok(ConversationKey {
        store: store.to_owned(),
        biz_type,
        peer_id,
    })
}

/// A message key: a stored message or an outbox item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKey {
    /// `m{rowid}`.
    Stored(i64),
    /// `o{id}`.
    Outbox(i64),
}

impl MessageKey {
    /// Parses `m12` / `o3`.
    pub fn parse(key: &str) -> DeskResult<Self> {
        let bad = || DeskError::Invalid(format!("message key `{key}` is malformed"));
        let (kind, num) = key.split_at_checked(1).ok_or_else(bad)?;
        let num: i64 = num.parse().map_err(|_| bad())?;
        match kind {
            "m" => Ok(Self::Stored(num)),
            "o" => Ok(Self::Outbox(num)),
            _ => Err(bad()),
        }
    }
}

/// Formats a history cursor.
pub fn cursor_string(c: HistoryCursor) -> String {
    format!("{}:{}", c.cts_ms, c.id)
}

/// Parses a history cursor.
pub fn parse_cursor(s: &str) -> DeskResult<HistoryCursor> {
    let bad = || DeskError::Invalid(format!("history cursor `{s}` is malformed"));
    let (cts, id) = s.split_once(':').ok_or_else(bad)?;
    Ok(HistoryCursor {
        cts_ms: cts.parse().map_err(|_| bad())?,
        id: id.parse().map_err(|_| bad())?,
    })
}

/// The kind of a biz_type.
pub fn kind_of(biz_type: i32) -> ConversationKind {
    match biz_type {
        4 => ConversationKind::ReviewContact,
        5 => ConversationKind::FansGroup,
        6 => ConversationKind::RiderGroup,
        _ => ConversationKind::TwoParty,
    }
}

/// The biz_type of a kind.
pub fn biz_type_of(kind: ConversationKind) -> i32 {
    match kind {
        ConversationKind::TwoParty => 1,
        ConversationKind::ReviewContact => 4,
        ConversationKind::FansGroup => 5,
        ConversationKind::RiderGroup => 6,
    }
}

/// The view order state of a two-party conversation at `now`.
pub fn order_state(c: &Conversation, now: i64, window_ms: i64) -> Option<OrderState> {
    if c.key.biz_type != 1 {
        return None;
    }
    Some(match c.order_state {
        StoreOrderState::PreOrder => OrderState::PreOrder,
        StoreOrderState::InProgress => OrderState::InProgress,
        StoreOrderState::Completed => match c.order_completed_at_ms {
            Some(done) if now >= done + window_ms => OrderState::Closed,
            _ => OrderState::AfterSale,
        },
    })
}

/// A customer id masked for display: the platform masks names, we show the id's tail.
pub fn masked_customer(open_user_id: i64) -> String {
    let mut masked = String::with_capacity(4);
    push_masked(&mut masked, open_user_id);
    masked
}

/// A customer in Chinese, for text Rust itself shows (notifications).
pub fn customer_label(open_user_id: i64) -> String {
    let mut label = String::with_capacity(16);
    label.push_str("顾客*");
    push_masked(&mut label, open_user_id);
    label
}

fn push_masked(out: &mut String, open_user_id: i64) {
    // The id's last four characters: four digits with their leading zeros, a shorter id
    // whole, a negative one (not issued by the platform) with its sign. Made for every
    // message of a burst, so written without a temporary string or `core::fmt`.
    let mut digits = itoa::Buffer::new();
    let text = digits.format(open_user_id);
    out.push_str(text.get(text.len().saturating_sub(4)..).unwrap_or(text));
}

/// What names the conversation; the UI words it.
pub fn conversation_title(c: &Conversation) -> ConversationTitle {
    let group_id = c.key.peer_id.to_string();
    match c.key.biz_type {
        1 => ConversationTitle::Customer {
            customer: masked_customer(c.key.peer_id),
        },
        4 => ConversationTitle::Review {
            comment_id: c.comment_id.map_or(group_id, |id| id.to_string()),
        },
        5 => ConversationTitle::FansGroup {
            name: c.group_name.clone(),
            group_id,
        },
        _ => ConversationTitle::RiderGroup {
            customer: c.open_user_id.map(masked_customer),
            group_id,
        },
    }
}

/// The conversation's title in Chinese, for text Rust itself shows (notifications).
pub fn title(c: &Conversation) -> String {
    match conversation_title(c) {
        ConversationTitle::Customer { customer } => format!("顾客*{customer}"),
        ConversationTitle::Review { comment_id } => format!("评价联系 #{comment_id}"),
        ConversationTitle::FansGroup {
            name: Some(name), ..
        } => name,
        ConversationTitle::FansGroup { group_id, .. } => format!("粉丝群 #{group_id}"),
        ConversationTitle::RiderGroup {
            customer: Some(customer),
            ..
        } => format!("骑手群聊 · 顾客*{customer}"),
        ConversationTitle::RiderGroup { group_id, .. } => format!("骑手群聊 #{group_id}"),
    }
}

/// Whether a conversation needs the agent now: its clock runs and is urgent or past its
/// deadline at `now`. The urgent filter and the next-urgent key follow this.
pub fn needs_attention(clock: Option<ReplyClock>, now: i64) -> bool {
    clock.is_some_and(|k| k.urgent || k.deadline_ms < now)
}

/// An inbox row; `scene` is the tag and name of the scene message awaiting a reply, if any.
pub fn row(
    c: &Conversation,
    scene: Option<(i32, String)>,
    store_name: &str,
    now: i64,
    window_ms: i64,
) -> ConversationRow {
    let (scene_tag, scene_name) = match scene {
        Some((tag, name)) => (Some(tag), (!name.is_empty()).then_some(name)),
        None => (None, None),
    };
    ConversationRow {
        id: conversation_id(&c.key),
        store_id: c.key.store.clone(),
        store_name: store_name.to_owned(),
        kind: kind_of(c.key.biz_type),
        title: conversation_title(c),
        last_body: c
            .last_msg_type
            .map_or(MessageBody::Text, |t| body(c.key.biz_type, t)),
        last_text: c.last_msg_preview.clone().unwrap_or_default(),
        last_at: c.last_msg_at_ms,
        last_from_customer: c.last_msg_source == Some(SOURCE_CUSTOMER),
        order_state: order_state(c, now, window_ms),
        scene_tag,
        scene_name,
        urgent: c.clock.is_some_and(|k| k.urgent),
        attention: needs_attention(c.clock, now),
        unread: u32::try_from(c.unread_count.max(0)).unwrap_or(u32::MAX),
        deadline_at: c.clock.map(|k| k.deadline_ms),
        awaiting_since: c.clock.map(|k| k.awaiting_since_ms),
        blocked: c.blocked,
        owner: None,
    }
}

fn body(biz_type: i32, msg_type: i32) -> MessageBody {
    match (biz_type, msg_type) {
        (_, 2) => MessageBody::Image,
        (1, 1) | (4..=6, 0) => MessageBody::Text,
        _ => MessageBody::Other,
    }
}

/// A stored message as a chat bubble; `last_read_ms` is the customer's read time.
pub fn chat_message(m: &MessageRow, last_read_ms: Option<i64>) -> ChatMessage {
    let ours = m.msg_source == SOURCE_MERCHANT;
    let author = match (m.msg_source, m.biz_type) {
        (SOURCE_MERCHANT, _) => Author::Merchant,
        (SOURCE_CUSTOMER, 6) if m.open_user_id.is_none() => Author::Rider,
        (SOURCE_CUSTOMER, _) => Author::Customer,
        _ => Author::System,
    };
    ChatMessage {
        key: format!("m{}", m.id),
        msg_id: m.msg_id.to_string(),
        author,
        body: body(m.biz_type, m.msg_type),
        text: m.text.clone(),
        at: m.cts_ms,
        scene_tag: (m.scene_tag > 0).then_some(m.scene_tag),
        scene_name: (!m.scene_name.is_empty()).then(|| m.scene_name.clone()),
        send_state: ours.then_some(SendState::Sent),
        fail_reason: None,
        unseen: None,
        agent: None,
        by_supervisor: None,
        read: ours
            && last_read_ms.is_some_and(|r| {
                meituan_api::im::read_by_customer(
                    meituan_wire::TimeMs(m.cts_ms),
                    meituan_wire::TimeMs(r),
                )
            }),
    }
}

/// An unsent outbox item as a chat bubble.
pub fn outbox_message(item: &OutboxItem) -> ChatMessage {
    let failure = item.last_error.as_ref();
    let kind = failure.map(|e| e.kind);
    let (send_state, fail_reason) = match item.state {
        OutboxState::Queued => (SendState::Queued, None),
        OutboxState::Sending => (SendState::Sending, None),
        OutboxState::Sent => (SendState::Sent, None),
        OutboxState::Failed => (
            match kind {
                Some(FailureKind::Conflict) => SendState::Held,
                Some(FailureKind::Uncertain) => SendState::Uncertain,
                _ => SendState::Failed,
            },
            failure.map(|e| match &e.platform_code {
                Some(code) => format!("{code}: {}", e.message),
                None => e.message.clone(),
            }),
        ),
    };
    let unseen = failure
        .filter(|e| e.kind == FailureKind::Conflict && item.state == OutboxState::Failed)
        .map(|e| crate::team::unseen_of(&e.message));
    ChatMessage {
        key: format!("o{}", item.id),
        msg_id: item.msg_id.to_string(),
        author: Author::Merchant,
        body: body(item.biz_type, item.msg_type),
        // A picture not uploaded yet has no URL to show (the UI shows its local preview).
        text: crate::attachments::staged_picture(item)
            .is_none()
            .then(|| item.text.clone()),
        at: item.created_at_ms,
        scene_tag: None,
        scene_name: None,
        send_state: Some(send_state),
        fail_reason,
        unseen,
        agent: None,
        by_supervisor: None,
        read: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let key = ConversationKey {
            store: "mt|1001".into(),
            biz_type: 4,
            peer_id: 7_012_345_678_901_234_567,
        };
        let id = conversation_id(&key);
        assert_eq!(parse_conversation_id(&id).unwrap(), key);
        assert!(parse_conversation_id("x|y").is_err());
        assert_eq!(MessageKey::parse("o12").unwrap(), MessageKey::Outbox(12));
        assert_eq!(MessageKey::parse("m3").unwrap(), MessageKey::Stored(3));
        assert!(MessageKey::parse("q3").is_err() && MessageKey::parse("").is_err());
        let c = HistoryCursor { cts_ms: 5, id: 9 };
        assert_eq!(parse_cursor(&cursor_string(c)).unwrap(), c);
        assert_eq!(customer_label(88_001_234), "顾客*1234");
    }

    #[test]
    fn a_customer_is_masked_to_the_last_four_digits_of_the_id() {
        assert_eq!(masked_customer(10_005), "0005", "leading zeros kept");
        assert_eq!(masked_customer(1234), "1234");
        assert_eq!(masked_customer(12), "12", "a short id whole");
        assert_eq!(masked_customer(0), "0");
        assert_eq!(masked_customer(-5), "-5");
        assert_eq!(masked_customer(-123_456), "3456");
        assert_eq!(masked_customer(i64::MAX), "5807");
        assert_eq!(masked_customer(i64::MIN), "5808");
    }

    #[test]
    fn attention_is_a_running_clock_that_is_urgent_or_overdue() {
        let clock = |deadline_ms, urgent| {
            Some(ReplyClock {
                awaiting_since_ms: 0,
                deadline_ms,
                urgent,
            })
        };
        assert!(!needs_attention(None, 10));
        assert!(!needs_attention(clock(10, false), 10), "due, not yet past");
        assert!(needs_attention(clock(10, false), 11));
        assert!(needs_attention(clock(100, true), 10));
    }
}
