//! The `conversations` table: the inbox summary (last message, unread count, order context,
//! reply clock) and the reads and writes of single conversations. Pages and counts are in
//! [`crate::inbox`].

use rusqlite::{named_params, params, Connection, OptionalExtension, Row};

use crate::error::{Result, StoreError};
use crate::messages::SOURCE_MERCHANT;
use crate::options::StoreOptions;

/// How a conversation is keyed (architecture.md, "Conversation model").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationKey {
    /// Store (`epoiId`).
    pub store: String,
    /// 1 two-party, 4 review contact, 5 fans group, 6 rider group.
    pub biz_type: i32,
    /// `open_user_id` for biz_type 1, `group_id` for 4, 5 and 6.
    pub peer_id: i64,
}

impl ConversationKey {
    /// The key of a message, or `None` when the id it is keyed by is missing (or an unknown
    /// biz_type): such a message cannot be placed and belongs in the quarantine.
    pub fn of(
        store: &str,
        biz_type: i32,
        open_user_id: Option<i64>,
        group_id: Option<i64>,
    ) -> Option<Self> {
        Some(Self {
            peer_id: Self::peer_of(biz_type, open_user_id, group_id)?,
            store: store.to_owned(),
            biz_type,
        })
    }

    /// The id a conversation of `biz_type` is keyed by, as in [`ConversationKey::of`].
    pub fn peer_of(biz_type: i32, open_user_id: Option<i64>, group_id: Option<i64>) -> Option<i64> {
        match biz_type {
            1 => open_user_id,
            4..=6 => group_id,
            _ => None,
        }
    }
}

/// Order context of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// No order: a pre-order question (售前咨询).
    PreOrder,
    /// The order is not completed yet (进行中).
    InProgress,
    /// The order is completed; the after-sale window runs 48 h from completion.
    Completed,
}

impl OrderState {
    pub(crate) fn code(self) -> i64 {
        match self {
            OrderState::PreOrder => 0,
            OrderState::InProgress => 1,
            OrderState::Completed => 2,
        }
    }

    pub(crate) fn from_code(code: i64) -> Self {
        match code {
            1 => OrderState::InProgress,
            2 => OrderState::Completed,
            _ => OrderState::PreOrder,
        }
    }
}

/// A running reply clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyClock {
    /// Send time of the earliest unanswered customer message.
    pub awaiting_since_ms: i64,
    /// When the reply is due.
    pub deadline_ms: i64,
    /// An urgent message set (or tightened) the deadline.
    pub urgent: bool,
}

/// A conversation summary row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// Local id.
    pub id: i64,
    /// Its key.
    pub key: ConversationKey,
    /// Customer id (biz_type 1, 6).
    pub open_user_id: Option<i64>,
    /// Group id (biz_type 4, 5, 6).
    pub group_id: Option<i64>,
    /// Group name (biz_type 5).
    pub group_name: Option<String>,
    /// Review id (biz_type 4).
    pub comment_id: Option<i64>,
    /// Rider id (biz_type 6).
    pub rider_id: Option<i64>,
    /// The order this conversation is about now.
    pub order_id: Option<i64>,
    /// Order context.
    pub order_state: OrderState,
    /// When the order completed (from the order endpoint), UTC ms.
    pub order_completed_at_ms: Option<i64>,
    /// Row id of the last message.
    pub last_msg_rowid: Option<i64>,
    /// Send time of the last message.
    pub last_msg_at_ms: i64,
    /// Sender of the last message.
    pub last_msg_source: Option<i32>,
    /// Content type of the last message.
    pub last_msg_type: Option<i32>,
    /// First characters of the last message's text.
    pub last_msg_preview: Option<String>,
    /// Customer messages not yet seen by an agent.
    pub unread_count: i64,
    /// The customer's read time of our messages.
    pub last_read_ms: Option<i64>,
    /// The reply clock, when one runs.
    pub clock: Option<ReplyClock>,
    /// The customer is blocked.
    pub blocked: bool,
    /// Sort key of the inbox (for [`crate::InboxCursor`]).
    pub inbox_key: i64,
}

pub(crate) const CONVERSATION_COLUMNS: &str = "id, store, biz_type, peer_id, open_user_id, \
     group_id, group_name, comment_id, rider_id, order_id, order_state, order_completed_at_ms, \
     last_msg_rowid, last_msg_at_ms, last_msg_source, last_msg_type, last_msg_preview, \
     unread_count, last_read_ms, awaiting_since_ms, deadline_ms, clock_urgent, blocked, inbox_key";

impl Conversation {
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        let awaiting: Option<i64> = row.get(19)?;
        let deadline: Option<i64> = row.get(20)?;
        Ok(Self {
            id: row.get(0)?,
            key: ConversationKey {
                store: row.get(1)?,
                biz_type: row.get(2)?,
                peer_id: row.get(3)?,
            },
            open_user_id: row.get(4)?,
            group_id: row.get(5)?,
            group_name: row.get(6)?,
            comment_id: row.get(7)?,
            rider_id: row.get(8)?,
            order_id: row.get(9)?,
            order_state: OrderState::from_code(row.get(10)?),
            order_completed_at_ms: row.get(11)?,
            last_msg_rowid: row.get(12)?,
            last_msg_at_ms: row.get(13)?,
            last_msg_source: row.get(14)?,
            last_msg_type: row.get(15)?,
            last_msg_preview: row.get(16)?,
            unread_count: row.get(17)?,
            last_read_ms: row.get(18)?,
            clock: match (awaiting, deadline) {
                (Some(awaiting_since_ms), Some(deadline_ms)) => Some(ReplyClock {
                    awaiting_since_ms,
                    deadline_ms,
                    urgent: row.get(21)?,
                }),
                _ => None,
            },
            blocked: row.get(22)?,
            inbox_key: row.get(23)?,
        })
    }
}

/// One conversation by id.
pub fn conversation(
    conn: &Connection,
    _opts: &StoreOptions,
    id: i64,
) -> Result<Option<Conversation>> {
    let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], Conversation::from_row)
        .optional()?)
}

/// One conversation by key.
pub fn find_conversation(
    conn: &Connection,
    _opts: &StoreOptions,
    key: ConversationKey,
) -> Result<Option<Conversation>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE store = ?1 AND biz_type = ?2 AND peer_id = ?3"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(
            params![key.store, key.biz_type, key.peer_id],
            Conversation::from_row,
        )
        .optional()?)
}

/// An agent has seen the conversation: its unread count drops to zero.
pub fn mark_read(conn: &Connection, _opts: &StoreOptions, conversation_id: i64) -> Result<()> {
    let changed = conn
        .prepare_cached("UPDATE conversations SET unread_count = 0 WHERE id = ?1")?
        .execute([conversation_id])?;
    if changed == 0 {
        return Err(StoreError::ConversationNotFound(conversation_id));
    }
    Ok(())
}

/// Records the customer's read time (`userReadTime`, UTC ms); it only moves forward.
pub fn set_customer_read_time(
    conn: &Connection,
    _opts: &StoreOptions,
    conversation_id: i64,
    last_read_ms: i64,
) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE conversations SET last_read_ms = max(coalesce(last_read_ms, 0), ?2)
             WHERE id = ?1",
        )?
        .execute(params![conversation_id, last_read_ms])?;
    if changed == 0 {
        return Err(StoreError::ConversationNotFound(conversation_id));
    }
    Ok(())
}

/// Creates the conversation as ingest would (empty, blocked if its customer is) when the cache
/// has none yet, so that the desk may address a peer before any message was received; returns
/// it. An order id (0 means none, as in pushes) is recorded, and a new one puts the
/// conversation in progress.
pub fn ensure_conversation(
    conn: &Connection,
    opts: &StoreOptions,
    store: String,
    biz_type: i32,
    open_user_id: Option<i64>,
    group_id: Option<i64>,
    order_id: Option<i64>,
) -> Result<Conversation> {
    let key = ConversationKey::of(&store, biz_type, open_user_id, group_id)
        .ok_or(StoreError::NoConversationKey { biz_type })?;
    let id = conn
        .prepare_cached(
            "INSERT INTO conversations (store, biz_type, peer_id, open_user_id, group_id,
                 order_id, order_state, blocked)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?6 IS NULL THEN 0 ELSE 1 END,
                 EXISTS (SELECT 1 FROM blocked WHERE store = ?1 AND open_user_id = ?4))
             ON CONFLICT (store, biz_type, peer_id) DO UPDATE SET
                 order_id = coalesce(excluded.order_id, order_id),
                 order_state = CASE WHEN excluded.order_id IS NOT NULL
                     AND excluded.order_id IS NOT order_id THEN 1 ELSE order_state END
             RETURNING id",
        )?
        .query_row(
            params![
                key.store,
                key.biz_type,
                key.peer_id,
                open_user_id,
                group_id,
                order_id.filter(|&o| o > 0)
            ],
            |r| r.get(0),
        )?;
    conversation(conn, opts, id)?.ok_or(StoreError::ConversationNotFound(id))
}

/// [`unread_receipts`]'s statement.
pub(crate) fn unread_receipts_sql() -> String {
    format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE biz_type = 1 AND last_msg_source = {SOURCE_MERCHANT}
           AND last_msg_at_ms > coalesce(last_read_ms, 0) AND last_msg_at_ms > :since
         ORDER BY last_msg_at_ms DESC LIMIT :limit"
    )
}

/// Two-party conversations whose read receipt may still change: the last message is ours,
/// sent after `since_ms` and after the customer's known read time. Newest first. Read from
/// the index of exactly these conversations (schema version 12), never a scan: the sender is
/// a literal in the SQL, as in the index, so that SQLite can use it.
pub fn unread_receipts(
    conn: &Connection,
    _opts: &StoreOptions,
    since_ms: i64,
    limit: u32,
) -> Result<Vec<Conversation>> {
    let rows = conn
        .prepare_cached(&unread_receipts_sql())?
        .query_map(
            named_params! { ":since": since_ms, ":limit": limit },
            Conversation::from_row,
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The keys of the conversations about an order (to refresh them once it is fetched).
pub fn conversations_of_order(
    conn: &Connection,
    _opts: &StoreOptions,
    order_id: i64,
) -> Result<Vec<ConversationKey>> {
    let rows = conn
        .prepare_cached("SELECT store, biz_type, peer_id FROM conversations WHERE order_id = ?1")?
        .query_map([order_id], |r| {
            Ok(ConversationKey {
                store: r.get(0)?,
                biz_type: r.get(1)?,
                peer_id: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
