//! The `outbox` table: merchant messages written, with our own unique `msg_id`, before the
//! first send attempt, and moved through queued → sending → sent | failed.
//!
//! The plaintext is kept (for display and for encrypting with whatever `imSecret` is current
//! at each attempt); the caller encrypts at send time. A sent item is also ingested as a
//! merchant message in the same transaction, which stops the reply clock.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::conversations::{self, OrderState};
use crate::error::{OutboxRefusal, Result, StoreError};
use crate::ingest::ingest_one;
use crate::messages::{NewMessage, SOURCE_MERCHANT};
use crate::options::StoreOptions;

/// Where an outbox item is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxState {
    /// Written, not yet attempted.
    Queued,
    /// An attempt started (after a restart: maybe delivered; retry with the same msg_id).
    Sending,
    /// The platform accepted it.
    Sent,
    /// The last attempt failed; see `last_error`.
    Failed,
}

impl OutboxState {
    fn code(self) -> i64 {
        match self {
            OutboxState::Queued => 0,
            OutboxState::Sending => 1,
            OutboxState::Sent => 2,
            OutboxState::Failed => 3,
        }
    }

    fn from_code(code: i64) -> Self {
        match code {
            1 => OutboxState::Sending,
            2 => OutboxState::Sent,
            3 => OutboxState::Failed,
            _ => OutboxState::Queued,
        }
    }
}

/// Where a send failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The platform answered with an error.
    Platform,
    /// The request did not get an answer (connection, timeout).
    Network,
    /// It failed here before reaching the platform (no credentials, a picture unreadable…).
    Local,
    /// Team mode: not published, because the conversation moved on since the desk last saw
    /// it (a colleague replied or the customer wrote); the agent reads it and confirms.
    Conflict,
    /// Team mode: a relay took the send and went away before saying whether the platform
    /// accepted it. Never resent blindly.
    Uncertain,
}

impl FailureKind {
    fn code(self) -> i64 {
        match self {
            FailureKind::Platform => 1,
            FailureKind::Network => 2,
            FailureKind::Local => 3,
            FailureKind::Conflict => 4,
            FailureKind::Uncertain => 5,
        }
    }

    fn from_code(code: i64) -> Self {
        match code {
            1 => FailureKind::Platform,
            2 => FailureKind::Network,
            4 => FailureKind::Conflict,
            5 => FailureKind::Uncertain,
            _ => FailureKind::Local,
        }
    }
}

/// Why a send failed, kept in typed columns so that no reader splits a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// Where it failed.
    pub kind: FailureKind,
    /// The platform's error code (`OP_PARAM_INVALID`, …), for [`FailureKind::Platform`].
    pub platform_code: Option<String>,
    /// The platform's trace id, to quote to Meituan support.
    pub trace_id: Option<String>,
    /// The error message (the platform's, or the transport's kind; never customer text).
    pub message: String,
}

/// A merchant message to write to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxMessage {
    /// The conversation it answers.
    pub conversation_id: i64,
    /// Our unique msg_id; `None` lets the store pick `max(now_ms × 1000, largest + 1)`.
    /// Enqueueing an existing msg_id again returns the existing item (idempotent).
    pub msg_id: Option<i64>,
    /// Content type (1 for text in two-party chats, 0 in groups).
    pub msg_type: i32,
    /// Plaintext.
    pub text: String,
    /// Now, UTC ms (checks the after-sale window and stamps the row).
    pub now_ms: i64,
}

/// An outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// Local id.
    pub id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// Store (`epoiId`).
    pub store: String,
    /// Conversation kind.
    pub biz_type: i32,
    /// Our msg_id, reused by every attempt.
    pub msg_id: i64,
    /// Content type.
    pub msg_type: i32,
    /// Plaintext.
    pub text: String,
    /// State.
    pub state: OutboxState,
    /// Attempts started.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<SendFailure>,
    /// Written at, UTC ms.
    pub created_at_ms: i64,
    /// Last state change, UTC ms.
    pub updated_at_ms: i64,
    /// Accepted by the platform at, UTC ms.
    pub sent_at_ms: Option<i64>,
}

const OUTBOX_COLUMNS: &str = "id, conversation_id, store, biz_type, msg_id, msg_type, text, \
     state, attempts, failure_kind, failure_platform_code, failure_trace_id, failure_message, \
     created_at_ms, updated_at_ms, sent_at_ms";

impl OutboxItem {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        let kind: Option<i64> = row.get(9)?;
        Ok(Self {
            id: row.get(0)?,
            conversation_id: row.get(1)?,
            store: row.get(2)?,
            biz_type: row.get(3)?,
            msg_id: row.get(4)?,
            msg_type: row.get(5)?,
            text: row.get(6)?,
            state: OutboxState::from_code(row.get(7)?),
            attempts: row.get(8)?,
            last_error: match kind {
                Some(kind) => Some(SendFailure {
                    kind: FailureKind::from_code(kind),
                    platform_code: row.get(10)?,
                    trace_id: row.get(11)?,
                    message: row.get::<_, Option<String>>(12)?.unwrap_or_default(),
                }),
                None => None,
            },
            created_at_ms: row.get(13)?,
            updated_at_ms: row.get(14)?,
            sent_at_ms: row.get(15)?,
        })
    }
}

fn item_where(conn: &Connection, clause: &str, arg: i64) -> Result<Option<OutboxItem>> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE {clause} = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([arg], OutboxItem::from_row)
        .optional()?)
}

/// One outbox item.
pub fn outbox_item(conn: &Connection, _opts: &StoreOptions, id: i64) -> Result<Option<OutboxItem>> {
    item_where(conn, "id", id)
}

fn existing(conn: &Connection, id: i64) -> Result<OutboxItem> {
    item_where(conn, "id", id)?.ok_or(StoreError::OutboxNotFound(id))
}

/// The item with our `msg_id`, if any.
pub fn outbox_by_msg_id(
    conn: &Connection,
    _opts: &StoreOptions,
    msg_id: i64,
) -> Result<Option<OutboxItem>> {
    item_where(conn, "msg_id", msg_id)
}

/// Checks and writes a merchant message. Refuses (with [`StoreError::Refused`]) empty or too
/// long text, a blocked customer, and a two-party conversation whose after-sale window closed.
pub fn enqueue(
    conn: &Connection,
    opts: &StoreOptions,
    new: NewOutboxMessage,
) -> Result<OutboxItem> {
    if let Some(msg_id) = new.msg_id {
        if let Some(item) = item_where(conn, "msg_id", msg_id)? {
            return Ok(item);
        }
    }
    if new.text.trim().is_empty() {
        return Err(OutboxRefusal::EmptyText.into());
    }
    let chars = new.text.chars().count();
    if chars > opts.max_outbox_chars {
        return Err(OutboxRefusal::TextTooLong {
            chars,
            max: opts.max_outbox_chars,
        }
        .into());
    }
    let conv = conversations::conversation(conn, opts, new.conversation_id)?
        .ok_or(StoreError::ConversationNotFound(new.conversation_id))?;
    if conv.key.biz_type == 1 {
        if conv.blocked {
            return Err(OutboxRefusal::CustomerBlocked.into());
        }
        if let (OrderState::Completed, Some(done)) = (conv.order_state, conv.order_completed_at_ms)
        {
            let closed_at_ms = done + opts.after_sale_window_ms;
            if new.now_ms >= closed_at_ms {
                return Err(OutboxRefusal::AfterSaleClosed { closed_at_ms }.into());
            }
        }
    }
    let msg_id = match new.msg_id {
        Some(id) => id,
        None => {
            let largest: Option<i64> =
                conn.query_row("SELECT max(msg_id) FROM outbox", [], |r| r.get(0))?;
            (new.now_ms.saturating_mul(1000)).max(largest.map_or(i64::MIN, |l| l + 1))
        }
    };
    conn.prepare_cached(
        "INSERT INTO outbox (conversation_id, store, biz_type, msg_id, msg_type, text, state,
             created_at_ms, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7)",
    )?
    .execute(params![
        conv.id,
        conv.key.store,
        conv.key.biz_type,
        msg_id,
        new.msg_type,
        new.text,
        new.now_ms
    ])?;
    existing(conn, conn.last_insert_rowid())
}

/// An attempt starts: state `Sending`, attempts + 1. Refuses a sent item, so that nothing is
/// delivered twice.
pub fn mark_sending(
    conn: &Connection,
    _opts: &StoreOptions,
    id: i64,
    now_ms: i64,
) -> Result<OutboxItem> {
    let item = existing(conn, id)?;
    if item.state == OutboxState::Sent {
        return Err(StoreError::AlreadySent { id });
    }
    conn.prepare_cached(
        "UPDATE outbox SET state = ?2, attempts = attempts + 1, updated_at_ms = ?3 WHERE id = ?1",
    )?
    .execute(params![id, OutboxState::Sending.code(), now_ms])?;
    existing(conn, id)
}

/// Replaces an unsent item's content, keeping its msg_id: an image message's local picture
/// becomes the uploaded picture's reference before the send. Refuses a sent item.
pub fn set_content(
    conn: &Connection,
    _opts: &StoreOptions,
    id: i64,
    text: String,
    now_ms: i64,
) -> Result<OutboxItem> {
    let item = existing(conn, id)?;
    if item.state == OutboxState::Sent {
        return Err(StoreError::AlreadySent { id });
    }
    conn.prepare_cached("UPDATE outbox SET text = ?2, updated_at_ms = ?3 WHERE id = ?1")?
        .execute(params![id, text, now_ms])?;
    existing(conn, id)
}

/// The platform accepted it. Also ingests it as a merchant message (stopping the reply clock)
/// in the same transaction. Marking a sent item again is a no-op.
pub fn mark_sent(
    conn: &Connection,
    opts: &StoreOptions,
    id: i64,
    now_ms: i64,
) -> Result<OutboxItem> {
    let item = existing(conn, id)?;
    if item.state == OutboxState::Sent {
        return Ok(item);
    }
    conn.prepare_cached(
        "UPDATE outbox SET state = ?2, updated_at_ms = ?3, sent_at_ms = ?3 WHERE id = ?1",
    )?
    .execute(params![id, OutboxState::Sent.code(), now_ms])?;
    let conv = conversations::conversation(conn, opts, item.conversation_id)?
        .ok_or(StoreError::ConversationNotFound(item.conversation_id))?;
    let message = NewMessage {
        store: item.store.clone(),
        biz_type: item.biz_type,
        msg_id: item.msg_id,
        msg_source: SOURCE_MERCHANT,
        msg_type: item.msg_type,
        text: Some(item.text.clone()),
        msg_content: String::new(),
        decrypt_failed: false,
        cts_ms: now_ms,
        order_id: conv.order_id,
        open_user_id: conv.open_user_id,
        group_id: conv.group_id,
        comment_id: conv.comment_id,
        rider_id: conv.rider_id,
        scene_tag: -1,
        scene_name: String::new(),
        has_reply: 0,
        group_name: None,
        received_at_ms: now_ms,
        search_body: None,
    };
    ingest_one(conn, &opts.clock, &message)?;
    existing(conn, id)
}

/// The attempt failed with the platform's reason. Refuses a sent item.
pub fn mark_failed(
    conn: &Connection,
    _opts: &StoreOptions,
    id: i64,
    failure: SendFailure,
    now_ms: i64,
) -> Result<OutboxItem> {
    let item = existing(conn, id)?;
    if item.state == OutboxState::Sent {
        return Err(StoreError::AlreadySent { id });
    }
    conn.prepare_cached(
        "UPDATE outbox SET state = ?2, failure_kind = ?3, failure_platform_code = ?4,
             failure_trace_id = ?5, failure_message = ?6, updated_at_ms = ?7 WHERE id = ?1",
    )?
    .execute(params![
        id,
        OutboxState::Failed.code(),
        failure.kind.code(),
        failure.platform_code,
        failure.trace_id,
        failure.message,
        now_ms
    ])?;
    existing(conn, id)
}

/// Items to (re)send after a start: queued and sending, oldest first.
pub fn pending_outbox(conn: &Connection, _opts: &StoreOptions) -> Result<Vec<OutboxItem>> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state IN (0, 1) ORDER BY id");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([], OutboxItem::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// A conversation's items not yet sent (queued, sending, failed), oldest first: shown below
/// its history. Sent items appear in the history itself.
pub fn unsent_outbox(
    conn: &Connection,
    _opts: &StoreOptions,
    conversation_id: i64,
) -> Result<Vec<OutboxItem>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE conversation_id = ?1 AND state != 2 ORDER BY id"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([conversation_id], OutboxItem::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The texts of unsent picture items (queued, sending, failed): the staged pictures they
/// refer to must be kept; any other staged picture may be removed.
pub fn staged_picture_texts(conn: &Connection, _opts: &StoreOptions) -> Result<Vec<String>> {
    let rows = conn
        .prepare_cached("SELECT text FROM outbox WHERE state != 2 AND msg_type = 2")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
