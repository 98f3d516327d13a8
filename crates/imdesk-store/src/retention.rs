//! Forgetting personal information: messages and order details past their retention, and
//! everything of one customer on request.
//!
//! Deletions never hold the writer for long: the rows to delete are found on a reader
//! connection, then deleted through the writer's queue in batches of at most
//! [`PruneLimits::batch`] rows, each one job that ingest batches queue beside, so messages
//! keep flowing while a large backlog is pruned.
//!
//! Deleted means gone from the file, not only from queries: each deleting job runs with
//! `PRAGMA secure_delete = ON` (SQLite zeroes the freed cells and pages; set only for these
//! jobs, because ingest never deletes and the zeroing costs writes), the full-text index
//! removes the row's tokens in place (the 'delete' command in `secure-delete` mode, schema
//! version 9), and the old page images in the WAL
//! go when the WAL is checkpointed and truncated ([`Store::checkpoint_truncate`]).
//!
//! Settings (a team desk's `team.stream_seq` among them), stores, quick replies and the
//! blocked list are not touched. The platform's reply-rate history (store-level figures, no
//! personal data) is bounded where it is written: [`crate::platform_rates::KEEP_DAYS`].

use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use crate::db::Store;
use crate::error::Result;
use crate::ingest_summary::PREVIEW_CHARS;
use crate::search_text::index_text;

/// What a pruning run deletes (UTC ms cut-offs; `None` keeps that kind of row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneLimits {
    /// Messages sent before this time go, and sent or failed outbox rows created before it.
    pub messages_before_ms: Option<i64>,
    /// Cached orders completed (or cancelled) before this time go.
    pub orders_completed_before_ms: Option<i64>,
    /// Rows deleted per writer job.
    pub batch: u32,
}

/// What a pruning run (or forgetting a customer) deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Messages (and their full-text rows).
    pub messages: u64,
    /// Conversations left with no message.
    pub conversations: u64,
    /// Outbox rows.
    pub outbox: u64,
    /// Cached orders.
    pub orders: u64,
}

impl Pruned {
    fn add(&mut self, other: Pruned) {
        self.messages += other.messages;
        self.conversations += other.conversations;
        self.outbox += other.outbox;
        self.orders += other.orders;
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

fn ids_of(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Result<Vec<i64>> {
    let ids = conn
        .prepare(sql)?
        .query_map(args, |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Runs `f` with SQLite zeroing what it deletes; the connection's setting is restored after.
fn securely<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let before: i64 = conn.query_row("PRAGMA secure_delete", [], |r| r.get(0))?;
    conn.pragma_update(None, "secure_delete", 1)?;
    let result = f(conn);
    conn.pragma_update(None, "secure_delete", before)?;
    result
}

/// Deletes these messages (those still older than `before_ms`, when given) with their
/// full-text rows and reply-log rows, then tidies their conversations: one left with no
/// message and nothing unsent is deleted with its draft and outbox rows; one whose last
/// message went shows the newest that remains.
fn delete_messages(conn: &Connection, ids: &[i64], before_ms: Option<i64>) -> Result<Pruned> {
    if ids.is_empty() {
        return Ok(Pruned::default());
    }
    let list = placeholders(ids.len());
    let ids: Vec<i64> = match before_ms {
        Some(cut) => ids_of(
            conn,
            &format!("SELECT id FROM messages WHERE id IN ({list}) AND cts_ms < {cut}"),
            params_from_iter(ids),
        )?,
        None => ids.to_vec(),
    };
    if ids.is_empty() {
        return Ok(Pruned::default());
    }
    let list = placeholders(ids.len());
    let conversations = ids_of(
        conn,
        &format!("SELECT DISTINCT conversation_id FROM messages WHERE id IN ({list})"),
        params_from_iter(&ids),
    )?;
    conn.execute(
        &format!("DELETE FROM reply_events WHERE message_id IN ({list})"),
        params_from_iter(&ids),
    )?;
    {
        // The index is contentless: a row is deleted with the text it was indexed with.
        let mut texts = conn.prepare(&format!(
            "SELECT id, text FROM messages WHERE id IN ({list}) AND text IS NOT NULL"
        ))?;
        let mut unindex = conn.prepare_cached(
            "INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', ?1, ?2)",
        )?;
        let mut rows = texts.query(params_from_iter(&ids))?;
        while let Some(row) = rows.next()? {
            let body = index_text(&row.get::<_, String>(1)?);
            if !body.is_empty() {
                unindex.execute(params![row.get::<_, i64>(0)?, body])?;
            }
        }
    }
    let messages = conn.execute(
        &format!("DELETE FROM messages WHERE id IN ({list})"),
        params_from_iter(&ids),
    )?;
    let mut pruned = Pruned {
        messages: messages as u64,
        ..Pruned::default()
    };
    for conversation in conversations {
        pruned.add(tidy_conversation(conn, conversation)?);
    }
    Ok(pruned)
}

/// After some of its messages went: deletes a conversation with no message left and nothing
/// unsent, or points its summary at the newest message that remains.
fn tidy_conversation(conn: &Connection, id: i64) -> Result<Pruned> {
    let newest: Option<(i64, i64, i64, Option<String>)> = conn
        .query_row(
            "SELECT id, msg_source, msg_type, substr(text, 1, ?2) FROM messages
             WHERE conversation_id = ?1 ORDER BY cts_ms DESC, id DESC LIMIT 1",
            params![id, PREVIEW_CHARS as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    if let Some((rowid, source, kind, preview)) = newest {
        conn.execute(
            "UPDATE conversations SET last_msg_rowid = ?2, last_msg_source = ?3,
                 last_msg_type = ?4, last_msg_preview = ?5
             WHERE id = ?1 AND last_msg_rowid IS NOT ?2",
            params![id, rowid, source, kind, preview],
        )?;
        return Ok(Pruned::default());
    }
    let unsent: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE conversation_id = ?1 AND state IN (0, 1))",
        [id],
        |r| r.get(0),
    )?;
    if unsent {
        // A reply still to be delivered keeps its conversation; nothing of the past shows.
        conn.execute(
            "UPDATE conversations SET last_msg_rowid = NULL, last_msg_preview = NULL
             WHERE id = ?1",
            [id],
        )?;
        return Ok(Pruned::default());
    }
    delete_conversation(conn, id)
}

/// Deletes a conversation and what hangs on it (outbox rows, draft, reply log, authors).
fn delete_conversation(conn: &Connection, id: i64) -> Result<Pruned> {
    let outbox = conn.execute("DELETE FROM outbox WHERE conversation_id = ?1", [id])?;
    conn.execute("DELETE FROM drafts WHERE conversation_id = ?1", [id])?;
    conn.execute("DELETE FROM reply_events WHERE conversation_id = ?1", [id])?;
    conn.execute(
        "DELETE FROM reply_authors WHERE (store, biz_type, peer_id) =
            (SELECT store, biz_type, peer_id FROM conversations WHERE id = ?1)",
        [id],
    )?;
    let conversations = conn.execute("DELETE FROM conversations WHERE id = ?1", [id])?;
    Ok(Pruned {
        outbox: outbox as u64,
        conversations: conversations as u64,
        ..Pruned::default()
    })
}

/// Deletes sent or failed outbox rows created before `before_ms`, of these ids.
fn delete_outbox(conn: &Connection, ids: &[i64], before_ms: i64) -> Result<Pruned> {
    if ids.is_empty() {
        return Ok(Pruned::default());
    }
    let outbox = conn.execute(
        &format!(
            "DELETE FROM outbox WHERE id IN ({}) AND state IN (2, 3) AND created_at_ms < {before_ms}",
            placeholders(ids.len())
        ),
        params_from_iter(ids),
    )?;
    Ok(Pruned {
        outbox: outbox as u64,
        ..Pruned::default()
    })
}

/// Deletes these cached orders (those still completed before `before_ms`, when given).
fn delete_orders(conn: &Connection, ids: &[i64], before_ms: Option<i64>) -> Result<Pruned> {
    if ids.is_empty() {
        return Ok(Pruned::default());
    }
    let mut sql = format!(
        "DELETE FROM orders WHERE order_id IN ({})",
        placeholders(ids.len())
    );
    if let Some(cut) = before_ms {
        sql.push_str(&format!(" AND {ORDER_DONE_AT} < {cut}"));
    }
    let orders = conn.execute(&sql, params_from_iter(ids))?;
    Ok(Pruned {
        orders: orders as u64,
        ..Pruned::default()
    })
}

/// When an order stopped changing: completed, or cancelled (status 9; the time it was last
/// fetched stands in when the platform gave no completion time).
const ORDER_DONE_AT: &str =
    "coalesce(completed_at_ms, CASE WHEN status IN (8, 9) THEN fetched_at_ms END)";

/// Overwrites every free page of the file with zeros: pages freed before a deleting job ran
/// (by FTS5 merges during ingest, say) may still hold customer text, and SQLite overwrites
/// free pages only when it frees them with `secure_delete` on. A zero blob one page larger
/// than the freelist takes every free page (and one new one: on a full disk this is the write
/// that fails, and it rolls back alone), then goes again, freed as zeros.
fn scrub_free_pages(conn: &Connection) -> Result<u64> {
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    if free == 0 {
        return Ok(0);
    }
    let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    securely(conn, |conn| {
        conn.execute(
            "INSERT INTO settings (key, value) VALUES ('retention.scrub', zeroblob(?1))",
            [(free + 1) * page],
        )?;
        conn.execute("DELETE FROM settings WHERE key = 'retention.scrub'", [])?;
        Ok(free as u64)
    })
}

impl Store {
    /// Deletes what is past its retention (see [`PruneLimits`]), in writer jobs of at most
    /// `limits.batch` rows each, found on a reader between jobs. Blocking: call from a
    /// thread (the async form runs it on a blocking thread). A failed job (a full disk)
    /// stops the run with its error; what earlier jobs deleted stays deleted and the failed
    /// job's rows are all still there. After deleting, every free page of the file is
    /// overwritten with zeros (one job, as long as the freelist).
    pub fn prune(&self, limits: PruneLimits) -> Result<Pruned> {
        let batch = limits.batch.max(1);
        let mut total = Pruned::default();
        if let Some(cut) = limits.messages_before_ms {
            let mut after = 0_i64;
            loop {
                let ids = self.read(move |conn| {
                    ids_of(
                        conn,
                        "SELECT id FROM messages WHERE id > ?1 AND cts_ms < ?2 ORDER BY id LIMIT ?3",
                        params![after, cut, batch],
                    )
                })?;
                let Some(&last) = ids.last() else { break };
                after = last;
                total.add(self.write(move |conn| {
                    securely(conn, |conn| delete_messages(conn, &ids, Some(cut)))
                })?);
            }
            let mut after = 0_i64;
            loop {
                let ids = self.read(move |conn| {
                    ids_of(
                        conn,
                        "SELECT id FROM outbox WHERE id > ?1 AND state IN (2, 3)
                             AND created_at_ms < ?2 ORDER BY id LIMIT ?3",
                        params![after, cut, batch],
                    )
                })?;
                let Some(&last) = ids.last() else { break };
                after = last;
                total.add(
                    self.write(move |conn| securely(conn, |conn| delete_outbox(conn, &ids, cut)))?,
                );
            }
        }
        if let Some(cut) = limits.orders_completed_before_ms {
            loop {
                let ids = self.read(move |conn| {
                    ids_of(
                        conn,
                        &format!("SELECT order_id FROM orders WHERE {ORDER_DONE_AT} < ?1 LIMIT ?2"),
                        params![cut, batch],
                    )
                })?;
                if ids.is_empty() {
                    break;
                }
                let done = self.write(move |conn| {
                    securely(conn, |conn| delete_orders(conn, &ids, Some(cut)))
                })?;
                total.add(done);
                if done.orders == 0 {
                    break;
                }
            }
        }
        if total != Pruned::default() {
            self.write(scrub_free_pages)?;
        }
        Ok(total)
    }

    /// Async form of [`Store::prune`]: runs on a blocking thread.
    pub async fn prune_async(&self, limits: PruneLimits) -> Result<Pruned> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.prune(limits))
            .await
            .map_err(|e| crate::StoreError::ReaderTask(e.to_string()))?
    }

    /// Deletes everything of one customer of one store: their messages in every conversation
    /// (with their full-text rows), their two-party conversation with its drafts and outbox,
    /// and the orders those refer to. The blocked list keeps them (a block protects the
    /// agents; it holds no message). Batched as [`Store::prune`]; blocking.
    pub fn forget_customer(&self, store: &str, open_user_id: i64, batch: u32) -> Result<Pruned> {
        let batch = batch.max(1) as usize;
        let key = (store.to_owned(), open_user_id);
        let (messages, orders, conversation) = self.read(move |conn| {
            let (store, user) = (&key.0, key.1);
            let conversation: Option<(i64, Option<i64>)> = conn
                .query_row(
                    "SELECT id, order_id FROM conversations
                     WHERE store = ?1 AND biz_type = 1 AND peer_id = ?2",
                    params![store, user],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let messages = ids_of(
                conn,
                "SELECT id FROM messages WHERE store = ?1 AND open_user_id = ?2
                 UNION SELECT id FROM messages WHERE conversation_id = ?3 ORDER BY 1",
                params![store, user, conversation.map(|c| c.0)],
            )?;
            let mut orders = ids_of(
                conn,
                "SELECT DISTINCT order_id FROM messages
                 WHERE store = ?1 AND open_user_id = ?2 AND order_id > 0",
                params![store, user],
            )?;
            orders.extend(conversation.and_then(|c| c.1).filter(|&o| o > 0));
            orders.sort_unstable();
            orders.dedup();
            Ok((messages, orders, conversation.map(|c| c.0)))
        })?;
        let mut total = Pruned::default();
        for chunk in messages.chunks(batch) {
            let ids = chunk.to_vec();
            total.add(
                self.write(move |conn| securely(conn, |conn| delete_messages(conn, &ids, None)))?,
            );
        }
        for chunk in orders.chunks(batch) {
            let ids = chunk.to_vec();
            total.add(
                self.write(move |conn| securely(conn, |conn| delete_orders(conn, &ids, None)))?,
            );
        }
        if let Some(id) = conversation {
            // Unsent replies to a forgotten customer go too.
            total.add(self.write(move |conn| {
                securely(conn, |conn| {
                    let exists: bool = conn.query_row(
                        "SELECT EXISTS (SELECT 1 FROM conversations WHERE id = ?1)",
                        [id],
                        |r| r.get(0),
                    )?;
                    if exists {
                        delete_conversation(conn, id)
                    } else {
                        Ok(Pruned::default())
                    }
                })
            })?);
        }
        self.write(scrub_free_pages)?;
        Ok(total)
    }

    /// Async form of [`Store::forget_customer`]: runs on a blocking thread.
    pub async fn forget_customer_async(
        &self,
        store: String,
        open_user_id: i64,
        batch: u32,
    ) -> Result<Pruned> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.forget_customer(&store, open_user_id, batch))
            .await
            .map_err(|e| crate::StoreError::ReaderTask(e.to_string()))?
    }

    /// Copies the whole WAL into the database file and truncates it, so that old page images
    /// (of deleted rows among them) leave the disk. Waits for readers to finish with old
    /// frames (up to the busy timeout); returns whether the WAL could be emptied.
    /// Opens its own connection: a checkpoint cannot run inside the writer's transaction.
    pub fn checkpoint_truncate(&self) -> Result<bool> {
        let conn = Connection::open(&self.inner.path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        Ok(busy == 0)
    }

    /// Async form of [`Store::checkpoint_truncate`]: runs on a blocking thread.
    pub async fn checkpoint_truncate_async(&self) -> Result<bool> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.checkpoint_truncate())
            .await
            .map_err(|e| crate::StoreError::ReaderTask(e.to_string()))?
    }
}
