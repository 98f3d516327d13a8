//! Full-text search over message text, newest first, with Chinese substrings of two or more
//! characters served by the bigram index (see `search_text`).
//!
//! Candidates come from the FTS5 index in descending rowid (= arrival) order; each is fetched
//! by primary key, checked against the filters and verified as a real substring, until the
//! limit is reached. A query whose only searchable characters are single CJK characters
//! (for example "退") cannot use the bigram index and falls back to a newest-first scan with
//! `instr`: fast for common characters, a full scan (≈0.5 s at 1 M messages) for rare ones.
//! A search within one store walks the same hit list but fetches only the store's hits: its
//! message ids are read first from the unique index on (store, biz_type, msg_id), which holds
//! them without touching the table (≈5,000 ids for one store of 1 M messages over 200).

use std::collections::HashSet;

use rusqlite::{Connection, Statement};

use crate::error::Result;
use crate::messages::{MessageRow, MESSAGE_COLUMNS};
use crate::options::StoreOptions;
use crate::search_text::QueryPlan;

/// Narrows a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchFilter {
    /// Only this store.
    pub store: Option<String>,
    /// Only messages sent at or after this time (UTC ms).
    pub since_ms: Option<i64>,
    /// Only messages sent before this time (UTC ms).
    pub until_ms: Option<i64>,
    /// Only this conversation kind.
    pub biz_type: Option<i32>,
    /// Only this content type.
    pub msg_type: Option<i32>,
    /// Most hits returned.
    pub limit: u32,
}

impl Default for SearchFilter {
    fn default() -> Self {
        Self {
            store: None,
            since_ms: None,
            until_ms: None,
            biz_type: None,
            msg_type: None,
            limit: 50,
        }
    }
}

impl SearchFilter {
    fn accepts(&self, m: &MessageRow) -> bool {
        self.store.as_ref().is_none_or(|s| *s == m.store)
            && self.since_ms.is_none_or(|t| m.cts_ms >= t)
            && self.until_ms.is_none_or(|t| m.cts_ms < t)
            && self.biz_type.is_none_or(|b| b == m.biz_type)
            && self.msg_type.is_none_or(|t| t == m.msg_type)
    }
}

/// Messages whose text contains every whitespace-separated term of `query`, newest first.
/// Each hit carries `conversation_id` for "jump to message". An empty query finds nothing.
pub fn search(
    conn: &Connection,
    _opts: &StoreOptions,
    query: String,
    filter: SearchFilter,
) -> Result<Vec<MessageRow>> {
    let Some(plan) = QueryPlan::new(&query) else {
        return Ok(Vec::new());
    };
    let limit = filter.limit as usize;
    let mut hits = Vec::new();
    if limit == 0 {
        return Ok(hits);
    }
    match (&plan.fts_match, &filter.store) {
        // The hit list is walked newest first and each hit fetched. For one store (~1/200 of
        // the messages) its message ids come first, from the unique (store, biz_type, msg_id)
        // index alone (no table rows), so only that store's hits are fetched.
        (Some(expr), store) => {
            let mine: Option<HashSet<i64>> = match store {
                Some(store) => {
                    let mut ids =
                        conn.prepare_cached("SELECT id FROM messages WHERE store = ?1")?;
                    let ids = ids
                        .query_map([store], |r| r.get(0))?
                        .collect::<rusqlite::Result<_>>()?;
                    Some(ids)
                }
                None => None,
            };
            let mut candidates = conn.prepare_cached(
                "SELECT rowid FROM message_search WHERE message_search MATCH ?1
                 ORDER BY rowid DESC",
            )?;
            let mut fetch = conn.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1"
            ))?;
            let mut rows = candidates.query([expr])?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                if mine.as_ref().is_some_and(|m| !m.contains(&id)) {
                    continue;
                }
                if let Some(m) = fetch_one(&mut fetch, id)? {
                    if keep(&plan, &filter, &m) {
                        hits.push(m);
                        if hits.len() >= limit {
                            break;
                        }
                    }
                }
            }
        }
        // No indexable token (single CJK characters): the rows newest first, the store's
        // only when there is a store filter, with an `instr` pre-filter.
        (None, store) => {
            let sql = match store {
                Some(_) => format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE store = ?1 AND instr(text, ?2) > 0
                     ORDER BY id DESC"
                ),
                None => format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE instr(text, ?1) > 0
                     ORDER BY id DESC"
                ),
            };
            // The stored text is not folded: pre-filter only on a term that folding leaves
            // as it is (no ASCII after folding, so nothing full-width or upper-case).
            let prefilter = if plan.first_term().chars().all(|c| !c.is_ascii()) {
                plan.first_term()
            } else {
                ""
            };
            let mut scan = conn.prepare_cached(&sql)?;
            let mut rows = match store {
                Some(store) => scan.query(rusqlite::params![store, prefilter])?,
                None => scan.query([prefilter])?,
            };
            while let Some(row) = rows.next()? {
                let m = MessageRow::from_row(row)?;
                if keep(&plan, &filter, &m) {
                    hits.push(m);
                    if hits.len() >= limit {
                        break;
                    }
                }
            }
        }
    }
    Ok(hits)
}

fn keep(plan: &QueryPlan, filter: &SearchFilter, m: &MessageRow) -> bool {
    filter.accepts(m) && m.text.as_deref().is_some_and(|t| plan.matches(t))
}

fn fetch_one(stmt: &mut Statement<'_>, id: i64) -> Result<Option<MessageRow>> {
    let mut rows = stmt.query_map([id], MessageRow::from_row)?;
    Ok(rows.next().transpose()?)
}
