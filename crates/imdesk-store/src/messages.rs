//! The `messages` table: row types, history pages and export.

use rusqlite::{params, Connection, Row};

use crate::error::Result;
use crate::options::StoreOptions;
use crate::search_text::SearchBody;

/// `msg_source` of a merchant (our side) message.
pub const SOURCE_MERCHANT: i32 = 1;
/// `msg_source` of a customer message.
pub const SOURCE_CUSTOMER: i32 = 2;

/// A message as it enters the store (pushed, fetched, or sent by us). Times are UTC ms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewMessage {
    /// Store (`epoiId`).
    pub store: String,
    /// 1 two-party, 4 review contact, 5 fans group, 6 rider group.
    pub biz_type: i32,
    /// Platform message id (ours for merchant messages we sent).
    pub msg_id: i64,
    /// 1 merchant, 2 customer.
    pub msg_source: i32,
    /// Content type (1/0 text, 2 image, 3 other).
    pub msg_type: i32,
    /// Decrypted text; `None` when it could not be decrypted.
    pub text: Option<String>,
    /// The raw (encrypted) `msg_content`; stored only when `text` is `None`, so that it can be
    /// decrypted again after a key fix.
    pub msg_content: String,
    /// Decryption failed.
    pub decrypt_failed: bool,
    /// Send time, UTC ms (the platform's `cts` seconds × 1000).
    pub cts_ms: i64,
    /// Order id (biz_type 1 and 6); `None` or 0 means no order.
    pub order_id: Option<i64>,
    /// Customer id (biz_type 1 and 6).
    pub open_user_id: Option<i64>,
    /// Group id (biz_type 4, 5, 6).
    pub group_id: Option<i64>,
    /// Review id (biz_type 4).
    pub comment_id: Option<i64>,
    /// Rider id (biz_type 6).
    pub rider_id: Option<i64>,
    /// Scene tag; -1 for a normal message.
    pub scene_tag: i32,
    /// Scene name; empty for a normal message.
    pub scene_name: String,
    /// 0 default, 1 not replied, 2 replied.
    pub has_reply: i32,
    /// Group name (biz_type 5).
    pub group_name: Option<String>,
    /// When we received it, UTC ms.
    pub received_at_ms: i64,
    /// The search text of `text`, made ahead of the writer (`SearchBody::of(text)`); when
    /// `None`, the writer makes it.
    pub search_body: Option<SearchBody>,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    /// Local row id; grows with arrival.
    pub id: i64,
    /// The conversation it belongs to.
    pub conversation_id: i64,
    /// Store (`epoiId`).
    pub store: String,
    /// Conversation kind.
    pub biz_type: i32,
    /// Platform (or our) message id.
    pub msg_id: i64,
    /// 1 merchant, 2 customer.
    pub msg_source: i32,
    /// Content type.
    pub msg_type: i32,
    /// Decrypted text, if any.
    pub text: Option<String>,
    /// Raw `msg_content`, kept only for undecryptable messages.
    pub raw_content: Option<String>,
    /// Decryption failed.
    pub decrypt_failed: bool,
    /// Send time, UTC ms.
    pub cts_ms: i64,
    /// Order id.
    pub order_id: Option<i64>,
    /// Customer id.
    pub open_user_id: Option<i64>,
    /// Group id.
    pub group_id: Option<i64>,
    /// Review id.
    pub comment_id: Option<i64>,
    /// Rider id.
    pub rider_id: Option<i64>,
    /// Scene tag.
    pub scene_tag: i32,
    /// Scene name.
    pub scene_name: String,
    /// Reply flag as pushed.
    pub has_reply: i32,
    /// Group name.
    pub group_name: Option<String>,
    /// When we received it, UTC ms.
    pub received_at_ms: i64,
}

/// The column list matching [`MessageRow::from_row`].
pub(crate) const MESSAGE_COLUMNS: &str = "id, conversation_id, store, biz_type, msg_id, \
     msg_source, msg_type, text, raw_content, decrypt_failed, cts_ms, order_id, open_user_id, \
     group_id, comment_id, rider_id, scene_tag, scene_name, has_reply, group_name, received_at_ms";

impl MessageRow {
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            conversation_id: row.get(1)?,
            store: row.get(2)?,
            biz_type: row.get(3)?,
            msg_id: row.get(4)?,
            msg_source: row.get(5)?,
            msg_type: row.get(6)?,
            text: row.get(7)?,
            raw_content: row.get(8)?,
            decrypt_failed: row.get(9)?,
            cts_ms: row.get(10)?,
            order_id: row.get(11)?,
            open_user_id: row.get(12)?,
            group_id: row.get(13)?,
            comment_id: row.get(14)?,
            rider_id: row.get(15)?,
            scene_tag: row.get(16)?,
            scene_name: row.get(17)?,
            has_reply: row.get(18)?,
            group_name: row.get(19)?,
            received_at_ms: row.get(20)?,
        })
    }
}

/// Where a history page ends: messages strictly older than this (send time, then row id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCursor {
    /// Send time of the oldest message already shown.
    pub cts_ms: i64,
    /// Its row id (breaks ties between messages sent in the same millisecond).
    pub id: i64,
}

/// The last `limit` messages of a conversation before `before` (or the newest), returned
/// oldest first, ready to display. Served by the index (conversation_id, cts_ms).
pub fn history(
    conn: &Connection,
    _opts: &StoreOptions,
    conversation_id: i64,
    before: Option<HistoryCursor>,
    limit: u32,
) -> Result<Vec<MessageRow>> {
    let (cts, id) = before.map_or((i64::MAX, i64::MAX), |c| (c.cts_ms, c.id));
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages
         WHERE conversation_id = ?1 AND (cts_ms < ?2 OR (cts_ms = ?2 AND id < ?3))
         ORDER BY cts_ms DESC, id DESC LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows: Vec<MessageRow> = stmt
        .query_map(
            params![conversation_id, cts, id, limit],
            MessageRow::from_row,
        )?
        .collect::<rusqlite::Result<_>>()?;
    rows.reverse();
    Ok(rows)
}

/// Up to `limit` messages stored after local row id `after_id`, in storage order: a relay
/// publishes its archive from here (the rowid grows with every commit, pushed or sent).
pub fn messages_after(
    conn: &Connection,
    _opts: &StoreOptions,
    after_id: i64,
    limit: u32,
) -> Result<Vec<MessageRow>> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params![after_id, limit], MessageRow::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// One message by its local row id.
pub fn message(conn: &Connection, _opts: &StoreOptions, id: i64) -> Result<Option<MessageRow>> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query_map([id], MessageRow::from_row)?;
    Ok(rows.next().transpose()?)
}

/// Which messages an export (`imdesk-cli export`, the window's export) writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    /// Only this store.
    pub store: Option<String>,
    /// Only messages sent at or after this time (UTC ms).
    pub since_ms: Option<i64>,
    /// Only messages sent before this time (UTC ms).
    pub until_ms: Option<i64>,
    /// Only this conversation (its local row id).
    pub conversation: Option<i64>,
}

/// Calls `each` for every matching message in arrival order, streaming from one reader
/// connection (memory stays flat whatever the size). Stops early when `each` returns `false`.
/// Returns how many messages were visited.
pub fn export_messages(
    conn: &Connection,
    filter: &ExportFilter,
    mut each: impl FnMut(MessageRow) -> bool,
) -> Result<u64> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages
         WHERE (?1 IS NULL OR store = ?1) AND (?2 IS NULL OR cts_ms >= ?2)
             AND (?3 IS NULL OR cts_ms < ?3) AND (?4 IS NULL OR conversation_id = ?4)
         ORDER BY id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params![
        filter.store,
        filter.since_ms,
        filter.until_ms,
        filter.conversation
    ])?;
    let mut visited = 0;
    while let Some(row) = rows.next()? {
        visited += 1;
        if !each(MessageRow::from_row(row)?) {
            break;
        }
    }
    Ok(visited)
}

/// One store's traffic over a time range (the day report).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreActivity {
    /// Store (`epoiId`).
    pub store: String,
    /// Distinct customers who wrote (by `open_user_id`; a group message without one counts
    /// its conversation).
    pub customers: i64,
    /// Customer messages.
    pub customer_messages: i64,
    /// Our messages (replies).
    pub replies: i64,
}

/// Per store with any message sent in `[since_ms, until_ms)`: customers, their messages and
/// our replies; by store id.
pub fn store_activity(
    conn: &Connection,
    _opts: &StoreOptions,
    since_ms: i64,
    until_ms: i64,
) -> Result<Vec<StoreActivity>> {
    let mut stmt = conn.prepare_cached(
        "SELECT store,
             count(DISTINCT coalesce(open_user_id, -conversation_id)) FILTER (WHERE msg_source = 2),
             count(*) FILTER (WHERE msg_source = 2),
             count(*) FILTER (WHERE msg_source = 1)
         FROM messages WHERE cts_ms >= ?1 AND cts_ms < ?2
         GROUP BY store ORDER BY store",
    )?;
    let rows = stmt
        .query_map(params![since_ms, until_ms], |r| {
            Ok(StoreActivity {
                store: r.get(0)?,
                customers: r.get(1)?,
                customer_messages: r.get(2)?,
                replies: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
