//! Ingest: a batch of messages becomes, in one transaction, message rows, search rows,
//! conversation summaries, reply clocks and reply-log rows. Duplicates are no-ops.

use rusqlite::{params, CachedStatement, Connection, OptionalExtension};

use crate::conversations::{ConversationKey, OrderState};
use crate::error::Result;
use crate::messages::{NewMessage, SOURCE_CUSTOMER, SOURCE_MERCHANT};
use crate::options::ClockPolicy;
use crate::search_text::index_text;

/// Characters of a message kept as the conversation's preview.
const PREVIEW_CHARS: usize = 60;

/// What happened to one message of a batch, in input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Stored now.
    Inserted {
        /// Local row id of the message.
        message_id: i64,
        /// Its conversation.
        conversation_id: i64,
    },
    /// Already stored (same store, biz_type and msg_id): nothing changed.
    Duplicate {
        /// Local row id of the earlier copy.
        message_id: i64,
        /// Its conversation.
        conversation_id: i64,
    },
    /// It names no conversation (biz_type 1 without open_user_id, a group kind without
    /// group_id, or an unknown biz_type). Not stored: the caller should quarantine its frame.
    NoConversationKey,
}

/// The parts of a conversation row that ingest reads and rewrites.
#[derive(Debug)]
struct Summary {
    id: i64,
    order_id: Option<i64>,
    order_state: OrderState,
    order_completed_at_ms: Option<i64>,
    last_msg_at_ms: i64,
    unread_count: i64,
    awaiting_since_ms: Option<i64>,
    deadline_ms: Option<i64>,
    clock_urgent: bool,
    /// Reply-log row of the running clock's first message.
    clock_event_id: Option<i64>,
    /// Reply-log row of the urgent message that tightened the running clock.
    urgent_event_id: Option<i64>,
}

/// The statements every message uses, prepared once per batch: looking each up in the
/// statement cache per message (hashing its SQL) cost more than some of the statements.
struct Hot<'c> {
    conn: &'c Connection,
    select_conversation: CachedStatement<'c>,
    insert_message: CachedStatement<'c>,
    insert_search: CachedStatement<'c>,
    update_conversation: CachedStatement<'c>,
    insert_event: CachedStatement<'c>,
    close_events: CachedStatement<'c>,
}

impl<'c> Hot<'c> {
    fn new(conn: &'c Connection) -> Result<Self> {
        Ok(Self {
            conn,
            select_conversation: conn.prepare_cached(
                "SELECT id, order_id, order_state, order_completed_at_ms, last_msg_at_ms,
                     unread_count, awaiting_since_ms, deadline_ms, clock_urgent, clock_event_id,
                     urgent_event_id
                 FROM conversations WHERE store = ?1 AND biz_type = ?2 AND peer_id = ?3",
            )?,
            // A duplicate (same store, biz_type, msg_id) changes nothing.
            insert_message: conn.prepare_cached(
                "INSERT INTO messages (conversation_id, store, biz_type, msg_id, msg_source,
                     msg_type, text, raw_content, decrypt_failed, cts_ms, order_id, open_user_id,
                     group_id, comment_id, rider_id, scene_tag, scene_name, has_reply, group_name,
                     received_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20)
                 ON CONFLICT (store, biz_type, msg_id) DO NOTHING",
            )?,
            insert_search: conn
                .prepare_cached("INSERT INTO message_search (rowid, body) VALUES (?1, ?2)")?,
            // One statement per message: the last-message fields change only for the newest.
            update_conversation: conn.prepare_cached(
                "UPDATE conversations SET
                     order_id = ?2, order_state = ?3, order_completed_at_ms = ?4,
                     unread_count = ?5, awaiting_since_ms = ?6, deadline_ms = ?7,
                     clock_urgent = ?8, group_name = coalesce(?9, group_name),
                     clock_event_id = ?18, urgent_event_id = ?19,
                     comment_id = coalesce(?10, comment_id), rider_id = coalesce(?11, rider_id),
                     last_msg_rowid = CASE WHEN ?12 THEN ?13 ELSE last_msg_rowid END,
                     last_msg_at_ms = CASE WHEN ?12 THEN ?14 ELSE last_msg_at_ms END,
                     last_msg_source = CASE WHEN ?12 THEN ?15 ELSE last_msg_source END,
                     last_msg_type = CASE WHEN ?12 THEN ?16 ELSE last_msg_type END,
                     last_msg_preview = CASE WHEN ?12 THEN ?17 ELSE last_msg_preview END
                 WHERE id = ?1",
            )?,
            insert_event: conn.prepare_cached(
                "INSERT INTO reply_events
                     (store, conversation_id, message_id, customer_at_ms, urgent, started_clock)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            close_events: conn.prepare_cached(
                "UPDATE reply_events SET replied_at_ms = ?3
                 WHERE id IN (?1, ?2) AND replied_at_ms IS NULL",
            )?,
        })
    }
}

/// Stores a batch in the current transaction. See [`IngestOutcome`].
pub(crate) fn ingest_batch(
    conn: &Connection,
    policy: &ClockPolicy,
    messages: &[NewMessage],
) -> Result<Vec<IngestOutcome>> {
    let mut hot = Hot::new(conn)?;
    messages
        .iter()
        .map(|m| ingest_with(&mut hot, policy, m))
        .collect()
}

/// Stores one message (used by the outbox when a send succeeds).
pub(crate) fn ingest_one(
    conn: &Connection,
    policy: &ClockPolicy,
    m: &NewMessage,
) -> Result<IngestOutcome> {
    ingest_with(&mut Hot::new(conn)?, policy, m)
}

fn ingest_with(hot: &mut Hot<'_>, policy: &ClockPolicy, m: &NewMessage) -> Result<IngestOutcome> {
    let Some(key) = ConversationKey::of(&m.store, m.biz_type, m.open_user_id, m.group_id) else {
        return Ok(IngestOutcome::NoConversationKey);
    };
    let mut summary = load_or_create(hot, &key, m)?;
    let raw = if m.text.is_none() {
        Some(m.msg_content.as_str())
    } else {
        None
    };
    let inserted = hot.insert_message.execute(params![
        summary.id,
        m.store,
        m.biz_type,
        m.msg_id,
        m.msg_source,
        m.msg_type,
        m.text,
        raw,
        m.decrypt_failed,
        m.cts_ms,
        m.order_id,
        m.open_user_id,
        m.group_id,
        m.comment_id,
        m.rider_id,
        m.scene_tag,
        m.scene_name,
        m.has_reply,
        m.group_name,
        m.received_at_ms
    ])?;
    if inserted == 0 {
        let (message_id, conversation_id) = hot
            .conn
            .prepare_cached(
                "SELECT id, conversation_id FROM messages
                 WHERE store = ?1 AND biz_type = ?2 AND msg_id = ?3",
            )?
            .query_row(params![m.store, m.biz_type, m.msg_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        return Ok(IngestOutcome::Duplicate {
            message_id,
            conversation_id,
        });
    }
    let message_id = hot.conn.last_insert_rowid();
    if let Some(text) = &m.text {
        let body = index_text(text);
        if !body.is_empty() {
            hot.insert_search.execute(params![message_id, body])?;
        }
    }
    update_summary(hot, policy, &mut summary, m, message_id)?;
    Ok(IngestOutcome::Inserted {
        message_id,
        conversation_id: summary.id,
    })
}

fn load_or_create(hot: &mut Hot<'_>, key: &ConversationKey, m: &NewMessage) -> Result<Summary> {
    let found = hot
        .select_conversation
        .query_row(params![key.store, key.biz_type, key.peer_id], |r| {
            Ok(Summary {
                id: r.get(0)?,
                order_id: r.get(1)?,
                order_state: OrderState::from_code(r.get(2)?),
                order_completed_at_ms: r.get(3)?,
                last_msg_at_ms: r.get(4)?,
                unread_count: r.get(5)?,
                awaiting_since_ms: r.get(6)?,
                deadline_ms: r.get(7)?,
                clock_urgent: r.get(8)?,
                clock_event_id: r.get(9)?,
                urgent_event_id: r.get(10)?,
            })
        })
        .optional()?;
    if let Some(summary) = found {
        return Ok(summary);
    }
    let conn = hot.conn;
    let blocked: bool = match m.open_user_id {
        Some(user) => conn
            .prepare_cached("SELECT 1 FROM blocked WHERE store = ?1 AND open_user_id = ?2")?
            .exists(params![key.store, user])?,
        None => false,
    };
    conn.prepare_cached(
        "INSERT INTO conversations (store, biz_type, peer_id, open_user_id, group_id, blocked)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        key.store,
        key.biz_type,
        key.peer_id,
        m.open_user_id,
        m.group_id,
        blocked
    ])?;
    Ok(Summary {
        id: conn.last_insert_rowid(),
        order_id: None,
        order_state: OrderState::PreOrder,
        order_completed_at_ms: None,
        last_msg_at_ms: 0,
        unread_count: 0,
        awaiting_since_ms: None,
        deadline_ms: None,
        clock_urgent: false,
        clock_event_id: None,
        urgent_event_id: None,
    })
}

/// An order context: order id, state, completion time.
type OrderContext = (Option<i64>, OrderState, Option<i64>);

/// The order context a message implies, with the completion time from the order cache;
/// `None` when the message leaves the conversation's context as it is.
fn order_context(conn: &Connection, s: &Summary, m: &NewMessage) -> Result<Option<OrderContext>> {
    match m.order_id.filter(|&o| o > 0) {
        Some(order) if Some(order) == s.order_id => Ok(None),
        Some(order) => {
            let completed: Option<Option<i64>> = conn
                .prepare_cached("SELECT completed_at_ms FROM orders WHERE order_id = ?1")?
                .query_row([order], |r| r.get(0))
                .optional()?;
            let completed_at = completed.flatten();
            let state = if completed_at.is_some() {
                OrderState::Completed
            } else {
                OrderState::InProgress
            };
            Ok(Some((Some(order), state, completed_at)))
        }
        // A customer writing without an order is asking before ordering.
        None if m.biz_type == 1 && m.msg_source == SOURCE_CUSTOMER => {
            Ok(Some((None, OrderState::PreOrder, None)))
        }
        None => Ok(None),
    }
}

fn update_summary(
    hot: &mut Hot<'_>,
    policy: &ClockPolicy,
    s: &mut Summary,
    m: &NewMessage,
    message_id: i64,
) -> Result<()> {
    let is_latest = m.cts_ms >= s.last_msg_at_ms;
    if is_latest {
        if let Some((order_id, state, completed)) = order_context(hot.conn, s, m)? {
            s.order_id = order_id;
            s.order_state = state;
            s.order_completed_at_ms = completed;
        }
    }
    if m.msg_source == SOURCE_CUSTOMER {
        s.unread_count += 1;
        let starts_clock = m.has_reply == 1 || matches!(m.biz_type, 4..=6);
        if starts_clock {
            start_or_tighten(hot, policy, s, m, message_id)?;
        }
    } else if m.msg_source == SOURCE_MERCHANT {
        if is_latest {
            s.unread_count = 0;
        }
        if s.awaiting_since_ms.is_some_and(|since| m.cts_ms >= since) {
            s.awaiting_since_ms = None;
            s.deadline_ms = None;
            s.clock_urgent = false;
            hot.close_events
                .execute(params![s.clock_event_id, s.urgent_event_id, m.cts_ms])?;
            s.clock_event_id = None;
            s.urgent_event_id = None;
        }
    }
    let preview: Option<String> = m
        .text
        .as_ref()
        .map(|t| t.chars().take(PREVIEW_CHARS).collect());
    hot.update_conversation.execute(params![
        s.id,
        s.order_id,
        s.order_state.code(),
        s.order_completed_at_ms,
        s.unread_count,
        s.awaiting_since_ms,
        s.deadline_ms,
        s.clock_urgent,
        m.group_name,
        m.comment_id,
        m.rider_id,
        is_latest,
        message_id,
        m.cts_ms,
        m.msg_source,
        m.msg_type,
        preview,
        s.clock_event_id,
        s.urgent_event_id
    ])?;
    if is_latest {
        s.last_msg_at_ms = m.cts_ms;
    }
    Ok(())
}

/// A customer message that needs an answer starts the clock, or tightens a running one when
/// it is urgent and due earlier. Each start and each tightening is logged for reply rates.
fn start_or_tighten(
    hot: &mut Hot<'_>,
    policy: &ClockPolicy,
    s: &mut Summary,
    m: &NewMessage,
    message_id: i64,
) -> Result<()> {
    let urgent = policy.is_urgent(m.scene_tag);
    let deadline = m.cts_ms + policy.window_ms(urgent);
    // (log an event?, did it start the clock?)
    let (logged, started) = match (s.awaiting_since_ms, s.deadline_ms) {
        (Some(since), Some(current)) => {
            s.awaiting_since_ms = Some(since.min(m.cts_ms));
            if deadline < current {
                s.deadline_ms = Some(deadline);
                s.clock_urgent |= urgent;
                (urgent, false)
            } else {
                (false, false)
            }
        }
        _ => {
            s.awaiting_since_ms = Some(m.cts_ms);
            s.deadline_ms = Some(deadline);
            s.clock_urgent = urgent;
            (true, true)
        }
    };
    if logged {
        hot.insert_event.execute(params![
            m.store, s.id, message_id, m.cts_ms, urgent, started
        ])?;
        let event = hot.conn.last_insert_rowid();
        if started {
            s.clock_event_id = Some(event);
        } else {
            s.urgent_event_id = Some(event);
        }
    }
    Ok(())
}
