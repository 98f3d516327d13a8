//! Small tables the desk writes itself: stores, blocked customers, the order cache, quick
//! replies, drafts and settings.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::conversations::OrderState;
use crate::error::Result;
use crate::options::StoreOptions;

/// A configured store.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreRow {
    /// The developer's store id (`epoiId`).
    pub epoi_id: String,
    /// Display name.
    pub name: String,
    /// 2 (waimai) or 16 (IM business), the API variant the store uses.
    pub business_id: i32,
    /// Last `getPoiIMStatus` value, when fetched.
    pub im_status: Option<i32>,
    /// Notifications muted for this store.
    pub muted: bool,
    /// Last change, UTC ms.
    pub updated_at_ms: i64,
}

impl StoreRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            epoi_id: r.get(0)?,
            name: r.get(1)?,
            business_id: r.get(2)?,
            im_status: r.get(3)?,
            muted: r.get(4)?,
            updated_at_ms: r.get(5)?,
        })
    }
}

/// Inserts or replaces a store.
pub fn upsert_store(conn: &Connection, _opts: &StoreOptions, store: StoreRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO stores (epoi_id, name, business_id, im_status, muted, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (epoi_id) DO UPDATE SET name = excluded.name,
             business_id = excluded.business_id, im_status = excluded.im_status,
             muted = excluded.muted, updated_at_ms = excluded.updated_at_ms",
    )?
    .execute(params![
        store.epoi_id,
        store.name,
        store.business_id,
        store.im_status,
        store.muted,
        store.updated_at_ms
    ])?;
    Ok(())
}

/// Every store, by id.
pub fn stores(conn: &Connection, _opts: &StoreOptions) -> Result<Vec<StoreRow>> {
    let rows = conn
        .prepare_cached(
            "SELECT epoi_id, name, business_id, im_status, muted, updated_at_ms
             FROM stores ORDER BY epoi_id",
        )?
        .query_map([], StoreRow::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Blocks a customer of a store (idempotent); their two-party conversations are marked too.
pub fn block_customer(
    conn: &Connection,
    _opts: &StoreOptions,
    store: String,
    open_user_id: i64,
    reason: String,
    now_ms: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO blocked (store, open_user_id, reason, blocked_at_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO UPDATE SET reason = excluded.reason",
    )?
    .execute(params![store, open_user_id, reason, now_ms])?;
    set_blocked_flag(conn, &store, open_user_id, true)
}

/// Unblocks a customer (idempotent).
pub fn unblock_customer(
    conn: &Connection,
    _opts: &StoreOptions,
    store: String,
    open_user_id: i64,
) -> Result<()> {
    conn.prepare_cached("DELETE FROM blocked WHERE store = ?1 AND open_user_id = ?2")?
        .execute(params![store, open_user_id])?;
    set_blocked_flag(conn, &store, open_user_id, false)
}

fn set_blocked_flag(conn: &Connection, store: &str, user: i64, blocked: bool) -> Result<()> {
    conn.prepare_cached(
        "UPDATE conversations SET blocked = ?3 WHERE store = ?1 AND biz_type = 1 AND peer_id = ?2",
    )?
    .execute(params![store, user, blocked])?;
    Ok(())
}

/// True when the customer is blocked at this store.
pub fn is_blocked(
    conn: &Connection,
    _opts: &StoreOptions,
    store: String,
    open_user_id: i64,
) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM blocked WHERE store = ?1 AND open_user_id = ?2")?
        .exists(params![store, open_user_id])?)
}

/// An order as fetched from the order endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderRecord {
    /// Order id.
    pub order_id: i64,
    /// Store (`epoiId`).
    pub store: String,
    /// The platform's status code, as fetched.
    pub status: i32,
    /// Completion time, UTC ms; `Some` means completed (the after-sale window runs from it).
    pub completed_at_ms: Option<i64>,
    /// The fetched order as JSON, for the order card.
    pub json: String,
    /// When it was fetched, UTC ms.
    pub fetched_at_ms: i64,
}

/// Caches an order and updates the order context of the conversations about it. Several
/// fetches of one order may race (chat opened, send, background poll): `fetched_at_ms` is
/// when the request started, an answer older than the cached one is ignored, and a completed
/// order never goes back to in progress.
pub fn upsert_order(conn: &Connection, _opts: &StoreOptions, order: OrderRecord) -> Result<()> {
    let written = conn
        .prepare_cached(
            "INSERT INTO orders (order_id, store, status, completed_at_ms, json, fetched_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (order_id) DO UPDATE SET store = excluded.store, status = excluded.status,
             completed_at_ms = excluded.completed_at_ms, json = excluded.json,
             fetched_at_ms = excluded.fetched_at_ms
         WHERE excluded.fetched_at_ms >= orders.fetched_at_ms
           AND NOT (orders.completed_at_ms IS NOT NULL AND excluded.completed_at_ms IS NULL)",
        )?
        .execute(params![
            order.order_id,
            order.store,
            order.status,
            order.completed_at_ms,
            order.json,
            order.fetched_at_ms
        ])?;
    if written == 0 {
        return Ok(());
    }
    let state = if order.completed_at_ms.is_some() {
        OrderState::Completed
    } else {
        OrderState::InProgress
    };
    conn.prepare_cached(
        "UPDATE conversations SET order_state = ?2, order_completed_at_ms = ?3 WHERE order_id = ?1",
    )?
    .execute(params![order.order_id, state.code(), order.completed_at_ms])?;
    Ok(())
}

/// A cached order.
pub fn order(
    conn: &Connection,
    _opts: &StoreOptions,
    order_id: i64,
) -> Result<Option<OrderRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT order_id, store, status, completed_at_ms, json, fetched_at_ms
             FROM orders WHERE order_id = ?1",
        )?
        .query_row([order_id], |r| {
            Ok(OrderRecord {
                order_id: r.get(0)?,
                store: r.get(1)?,
                status: r.get(2)?,
                completed_at_ms: r.get(3)?,
                json: r.get(4)?,
                fetched_at_ms: r.get(5)?,
            })
        })
        .optional()?)
}

/// A quick reply (常用语).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QuickReply {
    /// Local id; `None` when creating.
    pub id: Option<i64>,
    /// `None`: for the whole brand; `Some(epoi_id)`: for one store.
    pub store: Option<String>,
    /// Short title (what `/催` matches).
    pub title: String,
    /// Text with `{变量}` placeholders.
    pub text: String,
    /// Position in the list.
    pub sort: i64,
}

/// Creates (id `None`) or updates a quick reply; returns its id.
pub fn save_quick_reply(conn: &Connection, _opts: &StoreOptions, reply: QuickReply) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO quick_replies (id, store, title, text, sort) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET store = excluded.store, title = excluded.title,
             text = excluded.text, sort = excluded.sort",
    )?
    .execute(params![
        reply.id,
        reply.store,
        reply.title,
        reply.text,
        reply.sort
    ])?;
    Ok(reply.id.unwrap_or_else(|| conn.last_insert_rowid()))
}

/// Deletes a quick reply (idempotent).
pub fn delete_quick_reply(conn: &Connection, _opts: &StoreOptions, id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM quick_replies WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// The brand's quick replies plus, when `store` is given, that store's; by sort then id.
pub fn quick_replies(
    conn: &Connection,
    _opts: &StoreOptions,
    store: Option<String>,
) -> Result<Vec<QuickReply>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, store, title, text, sort FROM quick_replies
             WHERE store IS NULL OR store = ?1 ORDER BY sort, id",
        )?
        .query_map([store], |r| {
            Ok(QuickReply {
                id: r.get(0)?,
                store: r.get(1)?,
                title: r.get(2)?,
                text: r.get(3)?,
                sort: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Saves a conversation's draft; an empty text deletes it.
pub fn set_draft(
    conn: &Connection,
    _opts: &StoreOptions,
    conversation_id: i64,
    text: String,
    now_ms: i64,
) -> Result<()> {
    if text.is_empty() {
        conn.prepare_cached("DELETE FROM drafts WHERE conversation_id = ?1")?
            .execute([conversation_id])?;
    } else {
        conn.prepare_cached(
            "INSERT INTO drafts (conversation_id, text, updated_at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (conversation_id) DO UPDATE SET text = excluded.text,
                 updated_at_ms = excluded.updated_at_ms",
        )?
        .execute(params![conversation_id, text, now_ms])?;
    }
    Ok(())
}

/// A conversation's draft.
pub fn draft(
    conn: &Connection,
    _opts: &StoreOptions,
    conversation_id: i64,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT text FROM drafts WHERE conversation_id = ?1")?
        .query_row([conversation_id], |r| r.get(0))
        .optional()?)
}

/// Sets a setting (window size, store filter, last conversation, …).
pub fn set_setting(
    conn: &Connection,
    _opts: &StoreOptions,
    key: String,
    value: String,
) -> Result<()> {
    write_setting(conn, &key, &value)
}

/// [`set_setting`] on an open transaction.
pub(crate) fn write_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// Moves a position setting as [`crate::Mark`] says; returns whether it moved.
pub(crate) fn advance_mark(conn: &Connection, mark: &crate::Mark) -> Result<bool> {
    let stored: u64 = conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([&mark.key], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if stored.saturating_add(1) < mark.from || stored >= mark.to {
        return Ok(false);
    }
    write_setting(conn, &mark.key, &mark.to.to_string())?;
    Ok(true)
}

/// Reads a setting.
pub fn setting(conn: &Connection, _opts: &StoreOptions, key: String) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// [`orders_to_fetch`]'s statement: the conversations about an order that is unknown or open
/// and stale, newest first.
pub(crate) const ORDERS_TO_FETCH_SQL: &str = "SELECT c.store, c.order_id
     FROM conversations c LEFT JOIN orders o ON o.order_id = c.order_id
     WHERE c.order_id > 0 AND c.last_msg_at_ms > ?1
       AND (o.order_id IS NULL OR (o.status NOT IN (8, 9) AND o.fetched_at_ms < ?2))
     ORDER BY c.last_msg_at_ms DESC";

/// Orders worth fetching, most recently active first: referred to by a conversation active
/// after `since_ms`, and either never fetched or still open (not completed 8, not cancelled
/// 9, the platform's final states) and fetched before `stale_before_ms`. As (store, order id),
/// each order once, with the store of its most recently active conversation.
///
/// Walks the conversations about an order newest first (their index, schema version 12) and
/// stops at `limit` orders: a grouped query had to visit and sort every conversation of the
/// window each time.
pub fn orders_to_fetch(
    conn: &Connection,
    _opts: &StoreOptions,
    since_ms: i64,
    stale_before_ms: i64,
    limit: u32,
) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached(ORDERS_TO_FETCH_SQL)?;
    let mut rows = stmt.query(params![since_ms, stale_before_ms])?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut seen = std::collections::HashSet::new();
    let mut due = Vec::new();
    while due.len() < limit {
        let Some(row) = rows.next()? else { break };
        let order_id: i64 = row.get(1)?;
        if seen.insert(order_id) {
            due.push((row.get(0)?, order_id));
        }
    }
    Ok(due)
}
