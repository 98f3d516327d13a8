//! Who wrote each of our replies in team mode (`reply_authors`), and the day's reply events
//! with their conversations, from which the supervisor's wall attributes first replies to
//! agents. A reply's author travels on the team's stream beside the reply; the platform knows
//! nothing of it.

use rusqlite::{params, Connection, OptionalExtension};

use crate::conversations::ConversationKey;
use crate::error::Result;
use crate::options::StoreOptions;

/// One reply's author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyAuthor {
    /// The conversation it answers.
    pub key: ConversationKey,
    /// Our msg_id of the reply.
    pub msg_id: i64,
    /// The agent who wrote it.
    pub agent: String,
    /// Written by a supervisor in a conversation another agent owned.
    pub supervisor: bool,
    /// When the agent sent it, UTC ms.
    pub at_ms: i64,
}

/// One customer message that started or tightened a reply clock, and when it was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyEvent {
    /// Its conversation.
    pub key: ConversationKey,
    /// When the customer wrote, UTC ms.
    pub customer_at_ms: i64,
    /// When we answered; `None` while unanswered.
    pub replied_at_ms: Option<i64>,
    /// An urgent (scene) message.
    pub urgent: bool,
    /// It started the clock (false: an urgent message that tightened a running one).
    pub started_clock: bool,
}

/// Records a reply's author; recording the same reply again keeps the first record.
pub fn record_author(conn: &Connection, _opts: &StoreOptions, author: ReplyAuthor) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO reply_authors (store, biz_type, peer_id, msg_id, agent, supervisor, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        author.key.store,
        author.key.biz_type,
        author.key.peer_id,
        author.msg_id,
        author.agent,
        author.supervisor,
        author.at_ms
    ])?;
    Ok(())
}

/// The conversation key in a row's first three columns (store, biz_type, peer_id).
fn key_of_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationKey> {
    Ok(ConversationKey {
        store: r.get(0)?,
        biz_type: r.get(1)?,
        peer_id: r.get(2)?,
    })
}

fn author_of_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReplyAuthor> {
    Ok(ReplyAuthor {
        key: key_of_row(r)?,
        msg_id: r.get(3)?,
        agent: r.get(4)?,
        supervisor: r.get(5)?,
        at_ms: r.get(6)?,
    })
}

const AUTHOR_COLUMNS: &str = "store, biz_type, peer_id, msg_id, agent, supervisor, at_ms";

/// The author of a reply, if the team recorded one.
pub fn author_of(
    conn: &Connection,
    _opts: &StoreOptions,
    store: String,
    biz_type: i32,
    msg_id: i64,
) -> Result<Option<ReplyAuthor>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {AUTHOR_COLUMNS} FROM reply_authors
             WHERE store = ?1 AND biz_type = ?2 AND msg_id = ?3"
        ))?
        .query_row(params![store, biz_type, msg_id], author_of_row)
        .optional()?)
}

/// The authors of a conversation's replies with msg_id in `msg_ids` (a history page's).
pub fn authors_in(
    conn: &Connection,
    _opts: &StoreOptions,
    key: ConversationKey,
    msg_ids: Vec<i64>,
) -> Result<Vec<ReplyAuthor>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {AUTHOR_COLUMNS} FROM reply_authors
         WHERE store = ?1 AND biz_type = ?2 AND msg_id = ?3 AND peer_id = ?4"
    ))?;
    let mut out = Vec::new();
    for id in msg_ids {
        if let Some(a) = stmt
            .query_row(
                params![key.store, key.biz_type, id, key.peer_id],
                author_of_row,
            )
            .optional()?
        {
            out.push(a);
        }
    }
    Ok(out)
}

/// The agent who last replied in a conversation (上次接待客服).
pub fn last_author(
    conn: &Connection,
    _opts: &StoreOptions,
    key: ConversationKey,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT agent FROM reply_authors
             WHERE store = ?1 AND biz_type = ?2 AND peer_id = ?3
             ORDER BY at_ms DESC LIMIT 1",
        )?
        .query_row(params![key.store, key.biz_type, key.peer_id], |r| r.get(0))
        .optional()?)
}

/// The recorded authors of replies sent in `[since_ms, until_ms)` that reached the platform
/// (their message is in the cache; a refused or failed reply does not count), oldest first.
pub fn authors_between(
    conn: &Connection,
    _opts: &StoreOptions,
    since_ms: i64,
    until_ms: i64,
) -> Result<Vec<ReplyAuthor>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {AUTHOR_COLUMNS} FROM reply_authors a
         WHERE at_ms >= ?1 AND at_ms < ?2
             AND EXISTS (SELECT 1 FROM messages m
                         WHERE m.store = a.store AND m.biz_type = a.biz_type
                             AND m.msg_id = a.msg_id)
         ORDER BY at_ms"
    ))?;
    let rows = stmt
        .query_map(params![since_ms, until_ms], author_of_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Reply events of customer messages in `[since_ms, until_ms)`, oldest first, with their
/// conversations' keys.
pub fn reply_events_between(
    conn: &Connection,
    _opts: &StoreOptions,
    since_ms: i64,
    until_ms: i64,
) -> Result<Vec<ReplyEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.store, c.biz_type, c.peer_id, e.customer_at_ms, e.replied_at_ms, e.urgent,
                e.started_clock
         FROM reply_events e JOIN conversations c ON c.id = e.conversation_id
         WHERE e.customer_at_ms >= ?1 AND e.customer_at_ms < ?2
         ORDER BY e.customer_at_ms",
    )?;
    let rows = stmt
        .query_map(params![since_ms, until_ms], |r| {
            Ok(ReplyEvent {
                key: key_of_row(r)?,
                customer_at_ms: r.get(3)?,
                replied_at_ms: r.get(4)?,
                urgent: r.get(5)?,
                started_clock: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
