//! The `conversations` table: the inbox summary (last message, unread count, order context,
//! reply clock), its pages and counts.

use std::collections::BTreeMap;

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use crate::error::{Result, StoreError};
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
    /// Sort key of the inbox (for [`InboxCursor`]).
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

/// Continue an inbox listing after this row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxCursor {
    /// `inbox_key` of the last row shown.
    pub inbox_key: i64,
    /// Its id.
    pub id: i64,
}

impl From<&Conversation> for InboxCursor {
    fn from(c: &Conversation) -> Self {
        Self {
            inbox_key: c.inbox_key,
            id: c.id,
        }
    }
}

/// Which conversations an inbox page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxFilter {
    /// Only this store.
    pub store: Option<String>,
    /// Only this conversation kind.
    pub biz_type: Option<i32>,
    /// Only this order context.
    pub order_state: Option<OrderState>,
    /// Only conversations whose running clock is urgent.
    pub urgent_only: bool,
    /// `Some(true)`: only blocked customers; `Some(false)`: hide them; `None`: all.
    pub blocked: Option<bool>,
    /// Continue after this row.
    pub after: Option<InboxCursor>,
    /// Page size.
    pub limit: u32,
}

impl Default for InboxFilter {
    fn default() -> Self {
        Self {
            store: None,
            biz_type: None,
            order_state: None,
            urgent_only: false,
            blocked: None,
            after: None,
            limit: 200,
        }
    }
}

/// Keys below this belong to conversations with a running clock (see the schema).
const RUNNING_CLOCK_KEY_BOUND: i64 = -(1 << 61);

/// An inbox page: running clocks first by deadline, then the rest by last message, newest
/// first. Served from the conversations table by the `inbox_key` indexes.
pub fn inbox(
    conn: &Connection,
    _opts: &StoreOptions,
    filter: InboxFilter,
) -> Result<Vec<Conversation>> {
    let mut sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE 1");
    let mut args: Vec<Value> = Vec::new();
    if let Some(store) = filter.store {
        sql.push_str(" AND store = ?");
        args.push(Value::Text(store));
    }
    if let Some(biz_type) = filter.biz_type {
        sql.push_str(" AND biz_type = ?");
        args.push(Value::Integer(biz_type.into()));
    }
    if let Some(state) = filter.order_state {
        sql.push_str(" AND order_state = ?");
        args.push(Value::Integer(state.code()));
    }
    if filter.urgent_only {
        sql.push_str(" AND clock_urgent = 1 AND inbox_key < ?");
        args.push(Value::Integer(RUNNING_CLOCK_KEY_BOUND));
    }
    match filter.blocked {
        Some(true) => sql.push_str(" AND blocked = 1"),
        Some(false) => sql.push_str(" AND blocked = 0"),
        None => {}
    }
    if let Some(after) = filter.after {
        sql.push_str(" AND (inbox_key, id) > (?, ?)");
        args.push(Value::Integer(after.inbox_key));
        args.push(Value::Integer(after.id));
    }
    sql.push_str(" ORDER BY inbox_key, id LIMIT ?");
    args.push(Value::Integer(filter.limit.into()));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args), Conversation::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
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

/// Per-store numbers for the store rail and the supervisor view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Store (`epoiId`).
    pub store: String,
    /// Unread customer messages.
    pub unread_messages: i64,
    /// Conversations with unread messages.
    pub unread_conversations: i64,
    /// Conversations with a running reply clock.
    pub waiting: i64,
    /// Of those, clocks past their deadline at `now_ms`.
    pub overdue: i64,
    /// Of the waiting, urgent clocks.
    pub urgent_waiting: i64,
}

/// Counts per store (only stores with something to count appear), ordered by store. The
/// unread part scans the conversations table (≈50,000 rows: a few ms); an index for it would
/// cost every ingest two more index writes.
pub fn store_counts(
    conn: &Connection,
    _opts: &StoreOptions,
    now_ms: i64,
) -> Result<Vec<StoreCounts>> {
    let mut by_store: BTreeMap<String, StoreCounts> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT store, sum(unread_count), count(*) FROM conversations
         WHERE unread_count > 0 GROUP BY store",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let store: String = row.get(0)?;
        let entry = by_store.entry(store.clone()).or_default();
        entry.store = store;
        entry.unread_messages = row.get(1)?;
        entry.unread_conversations = row.get(2)?;
    }
    // Running clocks sit at the front of the inbox index: a range scan, not a table scan.
    let mut stmt = conn.prepare_cached(
        "SELECT store, count(*), sum(deadline_ms < ?1), sum(clock_urgent) FROM conversations
         WHERE inbox_key < ?2 GROUP BY store",
    )?;
    let mut rows = stmt.query([now_ms, RUNNING_CLOCK_KEY_BOUND])?;
    while let Some(row) = rows.next()? {
        let store: String = row.get(0)?;
        let entry = by_store.entry(store.clone()).or_default();
        entry.store = store;
        entry.waiting = row.get(1)?;
        entry.overdue = row.get(2)?;
        entry.urgent_waiting = row.get(3)?;
    }
    Ok(by_store.into_values().collect())
}
