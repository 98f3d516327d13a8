//! The desk's read side: the store rail, inbox pages, history, search, connection status and
//! reply rates, as view models. Each runs its SQLite work off the executor.

use std::collections::BTreeMap;
use std::sync::PoisonError;

use imdesk_store::{Conversation, ConversationKey, SearchFilter, Store};
use rusqlite::types::Value;

use crate::convert::{self, biz_type_of, chat_message, outbox_message, parse_conversation_id};
use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::view::{
    ConnectionStatus, HistoryPage, InboxFilter, InboxPage, InboxQuery, SearchHit, SearchQuery,
    StoreSummary,
};

fn blocking_err(_: tokio::task::JoinError) -> DeskError {
    DeskError::Stopped
}

/// The WHERE clause and arguments of an inbox query at `now`.
fn inbox_where(q: &InboxQuery, now: i64, window_ms: i64) -> (String, Vec<Value>) {
    let mut sql = String::from(" WHERE 1");
    let mut args = Vec::new();
    if let Some(store) = &q.store {
        sql.push_str(" AND store = ?");
        args.push(Value::Text(store.clone()));
    }
    match q.filter {
        InboxFilter::All => {}
        InboxFilter::Urgent => {
            sql.push_str(" AND deadline_ms IS NOT NULL AND (clock_urgent = 1 OR deadline_ms < ?)");
            args.push(Value::Integer(now));
        }
        InboxFilter::PreOrder => sql.push_str(" AND biz_type = 1 AND order_state = 0"),
        InboxFilter::InProgress => sql.push_str(" AND biz_type = 1 AND order_state = 1"),
        InboxFilter::AfterSale => {
            sql.push_str(
                " AND biz_type = 1 AND order_state = 2
                  AND (order_completed_at_ms IS NULL OR order_completed_at_ms + ? > ?)",
            );
            args.push(Value::Integer(window_ms));
            args.push(Value::Integer(now));
        }
        InboxFilter::ReviewContact => sql.push_str(" AND biz_type = 4"),
        InboxFilter::FansGroup => sql.push_str(" AND biz_type = 5"),
        InboxFilter::RiderGroup => sql.push_str(" AND biz_type = 6"),
        InboxFilter::Blocked => sql.push_str(" AND blocked = 1"),
    }
    (sql, args)
}

/// The scene a row shows: the newest scene message (complaint, wrong items, remark...) from
/// the customer while the conversation awaits a reply. Found through the conversation's
/// message index, only for rows with a running clock.
const AWAITING_SCENE: &str = "SELECT scene_tag, scene_name FROM messages
     WHERE conversation_id = ?1 AND cts_ms >= ?2 AND msg_source = 2 AND scene_tag > 0
     ORDER BY cts_ms DESC LIMIT 1";

/// A conversation and the scene its row shows.
pub(crate) type SceneRow = (Conversation, Option<(i32, String)>);

/// [`AWAITING_SCENE`] of each conversation, in one read (blocking).
pub(crate) fn awaiting_scenes(
    store: &Store,
    convs: &[Conversation],
) -> imdesk_store::Result<Vec<Option<(i32, String)>>> {
    store.read(|conn| {
        let mut stmt = conn.prepare_cached(AWAITING_SCENE)?;
        let mut scenes = Vec::with_capacity(convs.len());
        for c in convs {
            let scene = match c.clock {
                Some(clock) => {
                    let mut rows = stmt.query(rusqlite::params![c.id, clock.awaiting_since_ms])?;
                    match rows.next()? {
                        Some(r) => Some((r.get(0)?, r.get(1)?)),
                        None => None,
                    }
                }
                None => None,
            };
            scenes.push(scene);
        }
        Ok(scenes)
    })
}

/// Inbox ids in order, and the total, then the rows (blocking; run in spawn_blocking).
fn inbox_page(
    store: &Store,
    q: &InboxQuery,
    now: i64,
    window_ms: i64,
) -> imdesk_store::Result<(u32, Vec<SceneRow>)> {
    let (clause, args) = inbox_where(q, now, window_ms);
    let (limit, offset) = (q.limit.min(500), q.offset);
    let (total, ids) = store.read(|conn| {
        let total: i64 = conn.query_row(
            &format!("SELECT count(*) FROM conversations{clause}"),
            rusqlite::params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        let mut page_args = args.clone();
        page_args.push(Value::Integer(limit.into()));
        page_args.push(Value::Integer(offset.into()));
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT id FROM conversations{clause} ORDER BY inbox_key, id LIMIT ? OFFSET ?"
        ))?;
        let ids = stmt
            .query_map(rusqlite::params_from_iter(page_args), |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok((total, ids))
    })?;
    let mut convs = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(c) = store.conversation(id)? {
            convs.push(c);
        }
    }
    let scenes = awaiting_scenes(store, &convs)?;
    let rows = convs.into_iter().zip(scenes).collect();
    Ok((u32::try_from(total).unwrap_or(u32::MAX), rows))
}

impl Desk {
    pub(crate) fn window_ms(&self) -> i64 {
        self.inner.opts.store.after_sale_window_ms
    }

    /// The conversation a view id names.
    pub(crate) async fn conversation_by_id(&self, id: &str) -> DeskResult<Conversation> {
        let key: ConversationKey = parse_conversation_id(id)?;
        self.inner
            .store
            .find_conversation_async(key)
            .await?
            .ok_or_else(|| DeskError::not_found("conversation", id))
    }

    /// The store rail: every configured store with unread, waiting and overdue counts.
    pub async fn stores(&self) -> DeskResult<Vec<StoreSummary>> {
        let store = &self.inner.store;
        let rows = store.stores_async().await?;
        let counts: BTreeMap<String, imdesk_store::StoreCounts> = store
            .store_counts_async(self.inner.now())
            .await?
            .into_iter()
            .map(|c| (c.store.clone(), c))
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let c = counts.get(&r.epoi_id).cloned().unwrap_or_default();
                let n = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
                StoreSummary {
                    epoi_id: r.epoi_id,
                    name: r.name,
                    business_id: u32::try_from(r.business_id).unwrap_or(0),
                    unread: n(c.unread_messages),
                    waiting: n(c.waiting),
                    overdue: n(c.overdue),
                    muted: r.muted,
                }
            })
            .collect())
    }

    /// One page of the inbox: running clocks first (earliest deadline first), then the rest by
    /// last message, newest first.
    pub async fn inbox(&self, query: InboxQuery) -> DeskResult<InboxPage> {
        let now = self.inner.now();
        let window = self.window_ms();
        let store = self.inner.store.clone();
        let (total, convs) =
            tokio::task::spawn_blocking(move || inbox_page(&store, &query, now, window))
                .await
                .map_err(blocking_err)??;
        let rows = convs
            .iter()
            .map(|(c, scene)| {
                let name = self.inner.store_name(&c.key.store);
                convert::row(c, scene.clone(), &name, now, window)
            })
            .collect();
        Ok(InboxPage { total, rows, now })
    }

    /// Up to `limit` messages before `before` (a cursor from an earlier page), oldest first;
    /// the newest page also lists the conversation's unsent outbox items after the history.
    pub async fn history(
        &self,
        conversation_id: &str,
        before: Option<String>,
        limit: u32,
    ) -> DeskResult<HistoryPage> {
        let conv = self.conversation_by_id(conversation_id).await?;
        let cursor = before.as_deref().map(convert::parse_cursor).transpose()?;
        let limit = limit.clamp(1, 500);
        let store = &self.inner.store;
        let rows = store.history_async(conv.id, cursor, limit).await?;
        let older_cursor = (rows.len() == limit as usize)
            .then(|| rows.first())
            .flatten()
            .map(|m| {
                convert::cursor_string(imdesk_store::HistoryCursor {
                    cts_ms: m.cts_ms,
                    id: m.id,
                })
            });
        let mut messages: Vec<_> = rows
            .iter()
            .map(|m| chat_message(m, conv.last_read_ms))
            .collect();
        if cursor.is_none() {
            let unsent = store.unsent_outbox_async(conv.id).await?;
            messages.extend(unsent.iter().map(outbox_message));
        }
        Ok(HistoryPage {
            messages,
            older_cursor,
        })
    }

    /// Full-text search over the cache, newest first (two-character Chinese terms included).
    pub async fn search(&self, query: SearchQuery) -> DeskResult<Vec<SearchHit>> {
        let filter = SearchFilter {
            store: query.store.clone(),
            since_ms: query.since,
            until_ms: query.until,
            biz_type: query.kind.map(biz_type_of),
            msg_type: None,
            limit: query.limit.clamp(1, 200),
        };
        let store = &self.inner.store;
        let hits = store.search_async(query.text, filter).await?;
        let mut titles: BTreeMap<i64, (String, crate::view::ConversationTitle)> = BTreeMap::new();
        let mut out = Vec::with_capacity(hits.len());
        for m in hits {
            if let std::collections::btree_map::Entry::Vacant(slot) =
                titles.entry(m.conversation_id)
            {
                if let Some(c) = store.conversation_async(m.conversation_id).await? {
                    slot.insert((
                        convert::conversation_id(&c.key),
                        convert::conversation_title(&c),
                    ));
                }
            }
            let Some((cid, title)) = titles.get(&m.conversation_id).cloned() else {
                continue;
            };
            let bubble = chat_message(&m, None);
            out.push(SearchHit {
                conversation_id: cid,
                message_key: bubble.key,
                store_name: self.inner.store_name(&m.store),
                title,
                text: m.text.clone().unwrap_or_default(),
                at: m.cts_ms,
                author: bubble.author,
            });
        }
        Ok(out)
    }

    /// Health of the push connection.
    pub fn connection_status(&self) -> ConnectionStatus {
        self.inner
            .link
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
