//! Store rows into view models, and the view's string ids back into store keys.
//!
//! A conversation id is `"{epoiId}|{bizType}|{peer}"`; a message key is `m{rowid}` for a stored
//! message and `o{outboxId}` for an unsent outbox item; a history cursor is `{cts_ms}:{rowid}`.

use imdesk_store::{
    Conversation, ConversationKey, HistoryCursor, MessageRow, OrderState as StoreOrderState,
    OutboxItem, OutboxState, SOURCE_CUSTOMER, SOURCE_MERCHANT,
};

use crate::error::{DeskError, DeskResult};
use crate::view::{
    Author, ChatMessage, ConversationId, ConversationKind, ConversationRow, MessageBody,
    OrderState, SendState,
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

/// A masked label for a customer id: the platform masks names, we show the id's tail.
pub fn customer_label(open_user_id: i64) -> String {
    let mut label = String::with_capacity(16);
    label.push_str("顾客*");
    // The id's last four characters: four digits with their leading zeros, a shorter id
    // whole, a negative one (not issued by the platform) with its sign. Made for every
    // message of a burst, so written without a temporary string or `core::fmt`.
    let mut digits = itoa::Buffer::new();
    let text = digits.format(open_user_id);
    label.push_str(text.get(text.len().saturating_sub(4)..).unwrap_or(text));
    label
}

/// The conversation's title as the inbox shows it.
pub fn title(c: &Conversation) -> String {
    match c.key.biz_type {
        1 => customer_label(c.key.peer_id),
        4 => format!("评价联系 #{}", c.comment_id.unwrap_or(c.key.peer_id)),
        5 => c
            .group_name
            .clone()
            .unwrap_or_else(|| format!("粉丝群 #{}", c.key.peer_id)),
        _ => match c.open_user_id {
            Some(user) => format!("骑手群聊 · {}", customer_label(user)),
            None => format!("骑手群聊 #{}", c.key.peer_id),
        },
    }
}

/// A marker for content that is not text.
fn marker(biz_type: i32, msg_type: i32) -> Option<&'static str> {
    match (biz_type, msg_type) {
        (_, 2) => Some("[图片]"),
        (1, 1) | (4..=6, 0) => None,
        _ => Some("[消息]"),
    }
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
    let last_text = match c.last_msg_type.and_then(|t| marker(c.key.biz_type, t)) {
        Some(m) => m.to_owned(),
        None => c.last_msg_preview.clone().unwrap_or_default(),
    };
    ConversationRow {
        id: conversation_id(&c.key),
        store_id: c.key.store.clone(),
        store_name: store_name.to_owned(),
        kind: kind_of(c.key.biz_type),
        title: title(c),
        last_text,
        last_at: c.last_msg_at_ms,
        last_from_customer: c.last_msg_source == Some(SOURCE_CUSTOMER),
        order_state: order_state(c, now, window_ms),
        scene_tag,
        scene_name,
        urgent: c.clock.is_some_and(|k| k.urgent),
        unread: u32::try_from(c.unread_count.max(0)).unwrap_or(u32::MAX),
        deadline_at: c.clock.map(|k| k.deadline_ms),
        awaiting_since: c.clock.map(|k| k.awaiting_since_ms),
        blocked: c.blocked,
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
        read: ours && last_read_ms.is_some_and(|r| m.cts_ms <= r),
    }
}

/// An unsent outbox item as a chat bubble.
pub fn outbox_message(item: &OutboxItem) -> ChatMessage {
    let (send_state, fail_reason) = match item.state {
        OutboxState::Queued => (SendState::Queued, None),
        OutboxState::Sending => (SendState::Sending, None),
        OutboxState::Sent => (SendState::Sent, None),
        OutboxState::Failed => (
            SendState::Failed,
            item.last_error.as_ref().map(|e| match &e.platform_code {
                Some(code) => format!("{code}: {}", e.message),
                None => e.message.clone(),
            }),
        ),
    };
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
    fn a_customer_is_labelled_by_the_last_four_digits_of_the_id() {
        assert_eq!(customer_label(10_005), "顾客*0005", "leading zeros kept");
        assert_eq!(customer_label(1234), "顾客*1234");
        assert_eq!(customer_label(12), "顾客*12", "a short id whole");
        assert_eq!(customer_label(0), "顾客*0");
        assert_eq!(customer_label(-5), "顾客*-5");
        assert_eq!(customer_label(-123_456), "顾客*3456");
        assert_eq!(customer_label(i64::MAX), "顾客*5807");
        assert_eq!(customer_label(i64::MIN), "顾客*5808");
    }
}
