//! Review-contact conversations (biz_type 4) the desk starts itself: a group created with
//! `createGroup` for a review, before any message was exchanged in it. Ingest creates the same
//! row when a message of the group arrives first; both keep the review id.

use rusqlite::{params, Connection, OptionalExtension};

use crate::conversations::{conversation, Conversation, CONVERSATION_COLUMNS};
use crate::error::{Result, StoreError};
use crate::options::StoreOptions;

/// biz_type of a review-contact group.
const REVIEW_CONTACT: i32 = 4;

/// The review-contact conversation of `group_id` about `comment_id`, created when the cache has
/// none yet. A new one is dated `started_at_ms`, so that it sits among the inbox's recent
/// conversations instead of below every conversation ever had; an existing one keeps its date
/// and learns the review id if it lacked it.
pub fn open_review_contact(
    conn: &Connection,
    opts: &StoreOptions,
    store: String,
    group_id: i64,
    comment_id: i64,
    started_at_ms: i64,
) -> Result<Conversation> {
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO conversations (store, biz_type, peer_id, group_id, comment_id,
                 last_msg_at_ms)
             VALUES (?1, ?2, ?3, ?3, ?4, ?5)
             ON CONFLICT (store, biz_type, peer_id) DO UPDATE SET
                 comment_id = coalesce(comment_id, excluded.comment_id)
             RETURNING id",
        )?
        .query_row(
            params![store, REVIEW_CONTACT, group_id, comment_id, started_at_ms],
            |r| r.get(0),
        )?;
    conversation(conn, opts, id)?.ok_or(StoreError::ConversationNotFound(id))
}

/// The review-contact conversation about `comment_id` in `store`, if the desk has one.
pub fn review_contact_of(
    conn: &Connection,
    _opts: &StoreOptions,
    store: String,
    comment_id: i64,
) -> Result<Option<Conversation>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE store = ?1 AND biz_type = ?2 AND comment_id = ?3
         ORDER BY id LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(
            params![store, REVIEW_CONTACT, comment_id],
            Conversation::from_row,
        )
        .optional()?)
}
