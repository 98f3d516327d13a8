//! Ingest: a batch of messages becomes, in one transaction, message rows, search rows,
//! conversation summaries, reply clocks and reply-log rows. Duplicates are no-ops.
//!
//! Each conversation of a batch is read once, changed in memory by its messages in input
//! order (`ingest_summary`) and written back once at the end of the batch: the summary row
//! and its inbox indexes are the costliest writes of an ingest, so they are not repeated per
//! message. Between batches the writer keeps the summaries it wrote ([`SummaryCache`]), so
//! a burst reads each conversation once rather than once per batch.

use std::collections::HashMap;

use foldhash::fast::RandomState;
use rusqlite::{params, CachedStatement, Connection, OptionalExtension};

use crate::conversations::{ConversationKey, OrderState, ReplyClock};
use crate::error::Result;
use crate::ingest_summary::{preview, ClockEffect, OrderContext, Summary};
use crate::messages::{NewMessage, SOURCE_CUSTOMER, SOURCE_MERCHANT};
use crate::options::ClockPolicy;
use crate::search_text::index_text;

/// What happened to one message of a batch, in input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Stored now.
    Inserted {
        /// Local row id of the message.
        message_id: i64,
        /// Its conversation.
        conversation_id: i64,
        /// A customer message whose conversation now awaits a reply: false for a message that
        /// arrived after our later reply (answered already) and for every other message.
        awaits_reply: bool,
        /// The conversation's reply clock after this message, as the writer just computed and
        /// stored it: alerts take its deadline from here instead of computing their own.
        clock: Option<ReplyClock>,
        /// A customer message whose scene tag is urgent under the policy that computed `clock`
        /// (it alerts as urgent even when an earlier deadline stays in force).
        urgent: bool,
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

/// The statements every message uses, prepared once per batch: looking each up in the
/// statement cache per message (hashing its SQL) cost more than some of the statements.
struct Hot<'c> {
    conn: &'c Connection,
    select_conversation: CachedStatement<'c>,
    insert_message: CachedStatement<'c>,
    insert_search: CachedStatement<'c>,
    insert_event: CachedStatement<'c>,
    close_events: CachedStatement<'c>,
    /// Completion time of orders already looked up in this batch (or, with a cache, since
    /// the cache was last cleared).
    orders: HashMap<i64, Option<i64>, RandomState>,
}

/// Conversation summaries as the writer's last committed ingest left them, so that the next
/// batch need not read them again: in a burst most batches touch the same few hundred
/// conversations, and reading each one back was about a tenth of the writer's time.
///
/// Only the writer thread holds it, and it is trusted only while nothing else has written:
/// the writer clears it for a batch holding any other job, after a failed ingest or commit,
/// and when another connection (another process) has committed since (`data_version`).
#[derive(Debug, Default)]
pub(crate) struct SummaryCache {
    summaries: HashMap<ConversationKey, Summary, RandomState>,
    /// Completion time of the orders looked up so far (see [`Hot::orders`]).
    orders: HashMap<i64, Option<i64>, RandomState>,
    data_version: Option<i64>,
}

/// Conversations (about 200 bytes each), and orders, the cache holds at most; past it, it
/// starts over.
const CACHED_SUMMARIES: usize = 20_000;

impl SummaryCache {
    /// Forgets everything (something else may have changed the conversations).
    pub(crate) fn clear(&mut self) {
        self.summaries.clear();
        self.orders.clear();
    }

    /// Clears the cache if another connection committed since the last call. Call inside the
    /// writer's transaction, so that no other commit can come between the check and the use.
    pub(crate) fn check_other_writers(&mut self, conn: &Connection) {
        let version = conn.query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0));
        match version {
            Ok(version) if self.data_version == Some(version) => {}
            Ok(version) => {
                self.clear();
                self.data_version = Some(version);
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read data_version; summaries are read again");
                self.clear();
                self.data_version = None;
            }
        }
    }

    fn take(&mut self, key: &ConversationKey) -> Option<Summary> {
        self.summaries.remove(key)
    }

    fn keep(&mut self, key: ConversationKey, mut summary: Summary) {
        if self.summaries.len() >= CACHED_SUMMARIES {
            self.clear();
        }
        summary.pending = Default::default();
        self.summaries.insert(key, summary);
    }
}

/// The summary columns ingest writes back (parameters ?1 to ?16).
macro_rules! summary_set {
    () => {
        "UPDATE conversations SET
     unread_count = ?2, awaiting_since_ms = ?3, deadline_ms = ?4, clock_urgent = ?5,
     clock_event_id = ?6, urgent_event_id = ?7, group_name = coalesce(?8, group_name),
     comment_id = coalesce(?9, comment_id), rider_id = coalesce(?10, rider_id),
     last_msg_rowid = CASE WHEN ?11 THEN ?12 ELSE last_msg_rowid END,
     last_msg_at_ms = CASE WHEN ?11 THEN ?13 ELSE last_msg_at_ms END,
     last_msg_source = CASE WHEN ?11 THEN ?14 ELSE last_msg_source END,
     last_msg_type = CASE WHEN ?11 THEN ?15 ELSE last_msg_type END,
     last_msg_preview = CASE WHEN ?11 THEN ?16 ELSE last_msg_preview END"
    };
}

/// Writes a summary back without touching the order columns (and so the order index).
const UPDATE_SUMMARY: &str = concat!(summary_set!(), " WHERE id = ?1");

/// The same, with a changed order context.
const UPDATE_SUMMARY_AND_ORDER: &str = concat!(
    summary_set!(),
    ", order_id = ?17, order_state = ?18, order_completed_at_ms = ?19 WHERE id = ?1"
);

impl<'c> Hot<'c> {
    fn new(conn: &'c Connection, orders: HashMap<i64, Option<i64>, RandomState>) -> Result<Self> {
        Ok(Self {
            conn,
            select_conversation: conn.prepare_cached(
                "SELECT id, order_id, order_state, order_completed_at_ms, last_msg_at_ms,
                     unread_count, awaiting_since_ms, deadline_ms, clock_urgent, clock_event_id,
                     urgent_event_id, last_msg_source
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
            insert_event: conn.prepare_cached(
                "INSERT INTO reply_events
                     (store, conversation_id, message_id, customer_at_ms, urgent, started_clock)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            close_events: conn.prepare_cached(
                "UPDATE reply_events SET replied_at_ms = ?3
                 WHERE id IN (?1, ?2) AND replied_at_ms IS NULL",
            )?,
            orders,
        })
    }
}

/// Stores a batch in the current transaction. See [`IngestOutcome`]. With a `cache`, the
/// batch's conversations are taken from it and, once written, left in it: the caller clears
/// it if the transaction does not commit.
pub(crate) fn ingest_batch(
    conn: &Connection,
    policy: &ClockPolicy,
    messages: &[NewMessage],
    mut cache: Option<&mut SummaryCache>,
) -> Result<Vec<IngestOutcome>> {
    let orders = cache
        .as_deref_mut()
        .map(|c| std::mem::take(&mut c.orders))
        .unwrap_or_default();
    let mut hot = Hot::new(conn, orders)?;
    // Conversations of this batch, in first-seen order (with their keys), and where each
    // sits. The slots are keyed by the messages' own fields: a message of a conversation
    // already seen in the batch is matched without allocating its key.
    let mut summaries: Vec<Summary> = Vec::new();
    let mut keys: Vec<ConversationKey> = Vec::new();
    let mut slots: HashMap<(&str, i32, i64), usize, RandomState> = HashMap::default();
    let mut outcomes = Vec::with_capacity(messages.len());
    for (index, m) in messages.iter().enumerate() {
        let Some(peer_id) = ConversationKey::peer_of(m.biz_type, m.open_user_id, m.group_id) else {
            outcomes.push(IngestOutcome::NoConversationKey);
            continue;
        };
        let slot_key = (m.store.as_str(), m.biz_type, peer_id);
        let slot = match slots.get(&slot_key) {
            Some(&slot) => slot,
            None => {
                let key = ConversationKey {
                    store: m.store.clone(),
                    biz_type: m.biz_type,
                    peer_id,
                };
                let cached = cache.as_deref_mut().and_then(|c| c.take(&key));
                let summary = match cached {
                    Some(summary) => summary,
                    None => load_or_create(&mut hot, &key, m)?,
                };
                summaries.push(summary);
                keys.push(key);
                slots.insert(slot_key, summaries.len() - 1);
                summaries.len() - 1
            }
        };
        let summary = &mut summaries[slot];
        outcomes.push(ingest_with(&mut hot, policy, summary, m, index)?);
    }
    for summary in &summaries {
        write_summary(conn, summary, messages)?;
    }
    if let Some(cache) = cache {
        for (key, summary) in keys.into_iter().zip(summaries) {
            cache.keep(key, summary);
        }
        // After the summaries: a full cache starting over in `keep` would drop these too.
        if hot.orders.len() < CACHED_SUMMARIES {
            cache.orders = std::mem::take(&mut hot.orders);
        }
    }
    Ok(outcomes)
}

/// Stores one message (used by the outbox when a send succeeds).
pub(crate) fn ingest_one(
    conn: &Connection,
    policy: &ClockPolicy,
    m: &NewMessage,
) -> Result<IngestOutcome> {
    let outcomes = ingest_batch(conn, policy, std::slice::from_ref(m), None)?;
    Ok(outcomes
        .into_iter()
        .next()
        .unwrap_or(IngestOutcome::NoConversationKey))
}

fn ingest_with(
    hot: &mut Hot<'_>,
    policy: &ClockPolicy,
    summary: &mut Summary,
    m: &NewMessage,
    index: usize,
) -> Result<IngestOutcome> {
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
        let made;
        let body = match &m.search_body {
            Some(body) => {
                // A body made from other text would leave the message unfindable by its own.
                debug_assert_eq!(body.as_str(), index_text(text), "stale search body");
                body.as_str()
            }
            None => {
                made = index_text(text);
                made.as_str()
            }
        };
        if !body.is_empty() {
            hot.insert_search.execute(params![message_id, body])?;
        }
    }
    if summary.is_latest(m) {
        if let Some(context) = order_context(hot, summary, m)? {
            summary.set_order(context);
        }
    }
    match summary.apply(policy, m, index, message_id) {
        ClockEffect::None => {}
        ClockEffect::Log { urgent, started } => {
            hot.insert_event.execute(params![
                m.store, summary.id, message_id, m.cts_ms, urgent, started
            ])?;
            summary.logged(started, hot.conn.last_insert_rowid());
        }
        ClockEffect::Stop {
            clock_event_id,
            urgent_event_id,
        } => {
            hot.close_events
                .execute(params![clock_event_id, urgent_event_id, m.cts_ms])?;
        }
    }
    let clock = summary.clock();
    Ok(IngestOutcome::Inserted {
        message_id,
        conversation_id: summary.id,
        awaits_reply: m.msg_source == SOURCE_CUSTOMER && clock.is_some(),
        clock,
        urgent: m.msg_source == SOURCE_CUSTOMER && policy.is_urgent(m.scene_tag),
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
                last_from_merchant: r.get::<_, Option<i32>>(11)? == Some(SOURCE_MERCHANT),
                pending: Default::default(),
            })
        })
        .optional()?;
    if let Some(summary) = found {
        return Ok(summary);
    }
    // A customer blocked before writing starts blocked (no open_user_id: never blocked).
    hot.conn
        .prepare_cached(
            "INSERT INTO conversations (store, biz_type, peer_id, open_user_id, group_id, blocked)
             VALUES (?1, ?2, ?3, ?4, ?5,
                 EXISTS (SELECT 1 FROM blocked WHERE store = ?1 AND open_user_id = ?4))",
        )?
        .execute(params![
            key.store,
            key.biz_type,
            key.peer_id,
            m.open_user_id,
            m.group_id
        ])?;
    Ok(Summary::fresh(hot.conn.last_insert_rowid()))
}

/// The order context a message implies, with the completion time from the order cache;
/// `None` when the message leaves the conversation's context as it is.
fn order_context(hot: &mut Hot<'_>, s: &Summary, m: &NewMessage) -> Result<Option<OrderContext>> {
    match m.order_id.filter(|&o| o > 0) {
        Some(order) if Some(order) == s.order_id => Ok(None),
        Some(order) => {
            let completed_at = match hot.orders.get(&order) {
                Some(&known) => known,
                None => {
                    let completed: Option<Option<i64>> = hot
                        .conn
                        .prepare_cached("SELECT completed_at_ms FROM orders WHERE order_id = ?1")?
                        .query_row([order], |r| r.get(0))
                        .optional()?;
                    let completed = completed.flatten();
                    hot.orders.insert(order, completed);
                    completed
                }
            };
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

/// Writes what the batch changed in one conversation, in one statement.
fn write_summary(conn: &Connection, s: &Summary, messages: &[NewMessage]) -> Result<()> {
    let p = &s.pending;
    if !p.touched {
        return Ok(());
    }
    let last = p
        .last
        .and_then(|(rowid, i)| Some((rowid, messages.get(i)?)));
    let group_name = p
        .group_name
        .and_then(|i| messages.get(i))
        .and_then(|m| m.group_name.as_deref());
    let common = params![
        s.id,
        s.unread_count,
        s.awaiting_since_ms,
        s.deadline_ms,
        s.clock_urgent,
        s.clock_event_id,
        s.urgent_event_id,
        group_name,
        p.comment_id,
        p.rider_id,
        last.is_some(),
        last.map(|(rowid, _)| rowid),
        last.map(|(_, m)| m.cts_ms),
        last.map(|(_, m)| m.msg_source),
        last.map(|(_, m)| m.msg_type),
        last.and_then(|(_, m)| preview(m)),
    ];
    if s.order_changed() {
        let mut args: Vec<&dyn rusqlite::ToSql> = common.to_vec();
        let state = s.order_state.code();
        args.extend([
            &s.order_id as &dyn rusqlite::ToSql,
            &state,
            &s.order_completed_at_ms,
        ]);
        conn.prepare_cached(UPDATE_SUMMARY_AND_ORDER)?
            .execute(args.as_slice())?;
    } else {
        conn.prepare_cached(UPDATE_SUMMARY)?.execute(common)?;
    }
    Ok(())
}
