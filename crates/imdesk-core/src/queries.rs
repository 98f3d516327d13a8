//! The desk's read side: the store rail, inbox pages, history, search, connection status and
//! reply rates, as view models. Each runs its SQLite work off the executor.

use std::collections::BTreeMap;

use imdesk_store::{Conversation, ConversationKey, InboxView, SearchFilter};

use crate::convert::{self, biz_type_of, chat_message, outbox_message, parse_conversation_id};
use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::view::{
    HistoryPage, InboxFilter, InboxPage, InboxQuery, SearchHit, SearchQuery, StoreSummary,
};

impl Desk {
    pub(crate) fn window_ms(&self) -> i64 {
        self.opts.store.after_sale_window_ms
    }

    /// The conversation a view id names.
    pub(crate) async fn conversation_by_id(&self, id: &str) -> DeskResult<Conversation> {
        let key: ConversationKey = parse_conversation_id(id)?;
        self.store
            .find_conversation_async(key)
            .await?
            .ok_or_else(|| DeskError::not_found("conversation", id))
    }

    /// The store rail: every configured store with unread, waiting and overdue counts.
    pub async fn stores(&self) -> DeskResult<Vec<StoreSummary>> {
        let store = &self.store;
        let rows = store.stores_async().await?;
        let counts = self.store_counts.get(store, self.now()).await?;
        let counts: BTreeMap<&str, &imdesk_store::StoreCounts> =
            counts.iter().map(|c| (c.store.as_str(), c)).collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let c = counts
                    .get(r.epoi_id.as_str())
                    .copied()
                    .cloned()
                    .unwrap_or_default();
                let n = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
                let im_open = self.im_switches.open(&r.epoi_id);
                let token = match (&self.meituan, self.stores.entry(&r.epoi_id)) {
                    (Some(m), Some(e)) => crate::token_vault::health(
                        &m.client,
                        &e.key,
                        &self.renewal_failures,
                        self.now(),
                    ),
                    _ => None,
                };
                StoreSummary {
                    epoi_id: r.epoi_id,
                    name: r.name,
                    business_id: u32::try_from(r.business_id).unwrap_or(0),
                    unread: n(c.unread_messages),
                    waiting: n(c.waiting),
                    overdue: n(c.overdue),
                    muted: r.muted,
                    im_open,
                    token,
                }
            })
            .collect())
    }

    /// One page of the inbox: running clocks first (earliest deadline first), then the rest by
    /// last message, newest first.
    pub async fn inbox(&self, query: InboxQuery) -> DeskResult<InboxPage> {
        let now = self.now();
        let window = self.window_ms();
        let view = match query.filter {
            InboxFilter::All => InboxView::All,
            InboxFilter::Urgent => InboxView::Attention,
            InboxFilter::PreOrder => InboxView::PreOrder,
            InboxFilter::InProgress => InboxView::InProgress,
            InboxFilter::AfterSale => InboxView::AfterSale,
            InboxFilter::ReviewContact => InboxView::ReviewContact,
            InboxFilter::FansGroup => InboxView::FansGroup,
            InboxFilter::RiderGroup => InboxView::RiderGroup,
            InboxFilter::Blocked => InboxView::Blocked,
        };
        let page = self
            .store
            .inbox_async(
                imdesk_store::InboxQuery {
                    store: query.store,
                    view,
                    offset: query.offset,
                    after: None,
                    limit: query.limit,
                },
                now,
            )
            .await?;
        let mut rows: Vec<_> = page
            .rows
            .into_iter()
            .map(|r| {
                let name = self.stores.name(&r.conversation.key.store);
                convert::row(&r.conversation, r.scene, &name, now, window)
            })
            .collect();
        self.fill_owners(&mut rows);
        Ok(InboxPage {
            total: page.total,
            rows,
            now,
        })
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
        let store = &self.store;
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
        self.fill_authors(&conv.key, &mut messages).await?;
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
        let store = &self.store;
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
                store_name: self.stores.name(&m.store),
                title,
                text: m.text.clone().unwrap_or_default(),
                at: m.cts_ms,
                author: bubble.author,
            });
        }
        Ok(out)
    }
}
