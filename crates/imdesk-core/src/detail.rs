//! The side of an open conversation: composer state, the order card (from the cached order
//! endpoint, fetched in the background on first open) and the review of review-contact chats.

use std::sync::Arc;

use imdesk_store::{Conversation, OrderRecord, Store};
use meituan_api::context::{Comment, CommentList, Order, ORDER_DETAIL};
use meituan_wire::Clock;

use crate::convert::{self, conversation_id};
use crate::desk::Desk;
use crate::error::DeskResult;
use crate::events::Notices;
use crate::port::MeituanLink;
use crate::registry::StoreRegistry;
use crate::view::{ComposeBlock, ConversationDetail, OrderCard, OrderItem, OrderState, ReviewCard};

/// Settings key under which a review is cached (as the JSON of its [`ReviewCard`]).
fn review_key(comment_id: i64) -> String {
    format!("review.{comment_id}")
}

fn fen(yuan: Option<f64>) -> i64 {
    (yuan.unwrap_or(0.0) * 100.0).round() as i64
}

fn ms(secs: Option<meituan_wire::UnixSeconds>) -> Option<i64> {
    secs.filter(|s| s.0 > 0).map(|s| s.to_ms().0)
}

/// The card of a cached order.
pub fn order_card(record: &OrderRecord) -> Option<OrderCard> {
    let o: Order = serde_json::from_str(&record.json).ok()?;
    let rider = match (&o.logistics_dispatcher_name, &o.logistics_dispatcher_mobile) {
        (Some(n), Some(m)) if !n.is_empty() => Some(format!("{n} {m}")),
        (Some(n), _) if !n.is_empty() => Some(n.clone()),
        _ => None,
    };
    Some(OrderCard {
        order_id_view: o
            .order_id_view
            .or(o.order_id)
            .map_or_else(|| record.order_id.to_string(), |id| id.0.to_string()),
        day_seq: o.day_seq.and_then(|d| u32::try_from(d).ok()),
        status: record.status,
        items: o
            .detail
            .iter()
            .map(|i| {
                let qty = i.quantity.unwrap_or(1.0);
                OrderItem {
                    name: i.food_name.clone().unwrap_or_default(),
                    quantity: qty.max(0.0).round() as u32,
                    price_fen: fen(i.price.map(|p| p * qty)),
                    spec: i.spec.clone().filter(|s| !s.is_empty()),
                }
            })
            .collect(),
        total_fen: fen(o.total),
        shipping_fee_fen: fen(o.shipping_fee),
        created_at: ms(o.c_time),
        estimated_arrival_at: ms(o.estimate_arrival_time),
        completed_at: record.completed_at_ms,
        recipient_name: o.recipient_name.unwrap_or_default(),
        recipient_phone: o.recipient_phone.unwrap_or_default(),
        recipient_address: o.recipient_address.unwrap_or_default(),
        caution: o.caution.filter(|c| !c.is_empty()),
        rider,
        fetched_at: record.fetched_at_ms,
    })
}

/// Fetches what a conversation refers to (its order, its review) from the platform into the
/// cache. Used when a chat opens, before a send, and by the order poller.
#[derive(Debug, Clone)]
pub(crate) struct ContextFetcher {
    pub store: Store,
    pub meituan: Option<MeituanLink>,
    pub stores: StoreRegistry,
    pub notices: Notices,
    pub clock: Arc<dyn Clock>,
}

impl ContextFetcher {
    fn now(&self) -> i64 {
        self.clock.now().0
    }

    /// Fetches an order from the platform and caches it (which also updates the order context of
    /// its conversations). Errors are logged: the card simply stays absent.
    pub(crate) async fn order(&self, epoi_id: &str, order_id: i64) -> bool {
        let inner = self;
        let (Some(platform), Some(entry)) = (&inner.meituan, inner.stores.entry(epoi_id)) else {
            return false;
        };
        // The cache keeps the answer of the latest request, whatever order answers arrive in.
        let started = inner.now();
        let value = match platform
            .client
            .call_raw(
                &entry.key,
                ORDER_DETAIL,
                Some(&serde_json::json!({ "orderId": order_id })),
            )
            .await
        {
            Ok(v) => v,
            Err(e) => {
                tracing::debug!(order_id, store = epoi_id, "order detail unavailable: {e}");
                return false;
            }
        };
        let Ok(order) = serde_json::from_value::<Order>(value.clone()) else {
            tracing::warn!(order_id, "order detail unreadable");
            return false;
        };
        let status = order.status.unwrap_or(0);
        let completed_at_ms =
            (status == 8).then(|| ms(order.order_completed_time).unwrap_or_else(|| inner.now()));
        let record = OrderRecord {
            order_id,
            store: epoi_id.to_owned(),
            status,
            completed_at_ms,
            json: value.to_string(),
            fetched_at_ms: started,
        };
        inner.store.upsert_order_async(record).await.is_ok()
    }

    async fn review(&self, epoi_id: &str, comment_id: i64) -> Option<ReviewCard> {
        let inner = self;
        let platform = inner.meituan.as_ref()?;
        let entry = inner.stores.entry(epoi_id)?;
        let now_s = inner.now() / 1000;
        let mut offset = 0;
        while offset < 500 {
            let page: Vec<Comment> = platform
                .client
                .call(
                    &entry.key,
                    &CommentList {
                        start_time: (now_s - 90 * 86_400).to_string(),
                        end_time: now_s.to_string(),
                        offset,
                        limit: 100,
                        reply_status: None,
                        biz_key: None,
                    },
                )
                .await
                .ok()?;
            if let Some(c) = page.iter().find(|c| c.comment_id.0 == comment_id) {
                return Some(ReviewCard {
                    score: c.food_comment_score,
                    text: c.comment_content.clone().unwrap_or_default(),
                });
            }
            if page.len() < 100 {
                return None;
            }
            offset += 100;
        }
        None
    }

    /// Fetches in the background what an open chat lacks, and says when it arrived.
    fn spawn(&self, conv: &Conversation, order: bool, review: bool) {
        let inner = self.clone();
        let (store, order_id, comment_id) =
            (conv.key.store.clone(), conv.order_id, conv.comment_id);
        let view_id = conversation_id(&conv.key);
        tokio::spawn(async move {
            let mut changed = false;
            if let (true, Some(o)) = (order, order_id) {
                changed |= inner.order(&store, o).await;
            }
            if let (true, Some(c)) = (review, comment_id) {
                if let Some(json) = inner
                    .review(&store, c)
                    .await
                    .and_then(|r| serde_json::to_string(&r).ok())
                {
                    changed |= inner
                        .store
                        .set_setting_async(review_key(c), json)
                        .await
                        .is_ok();
                }
            }
            if changed {
                inner.notices.conversations(vec![view_id]);
            }
        });
    }
}

impl Desk {
    /// Everything beside an open conversation. A missing order card or review is fetched in
    /// the background; a `ConversationsChanged` event says when it arrived.
    pub async fn detail(&self, conversation_id: &str) -> DeskResult<ConversationDetail> {
        let conv = self.conversation_by_id(conversation_id).await?;
        let store = &self.store;
        let now = self.now();
        let window = self.window_ms();
        let scene = store.inbox_row_async(conv.id).await?.and_then(|r| r.scene);
        let name = self.stores.name(&conv.key.store);
        let row = convert::row(&conv, scene, &name, now, window);
        let im_off = self.im_switches.open(&conv.key.store) == Some(false);
        let compose_block = if conv.blocked && matches!(conv.key.biz_type, 1 | 6) {
            Some(ComposeBlock::CustomerBlocked)
        } else if row.order_state == Some(OrderState::Closed) {
            Some(ComposeBlock::WindowClosed)
        } else if im_off {
            Some(ComposeBlock::ImClosed)
        } else {
            None
        };
        let window_closes_at = match (row.order_state, conv.order_completed_at_ms) {
            (Some(OrderState::AfterSale | OrderState::Closed), Some(done)) => Some(done + window),
            _ => None,
        };
        let cached = match conv.order_id {
            Some(o) => store.order_async(o).await?,
            None => None,
        };
        // A review cached before it was structured does not parse and is fetched again.
        let review: Option<ReviewCard> = match conv.comment_id {
            Some(c) if conv.key.biz_type == 4 => store
                .setting_async(review_key(c))
                .await?
                .and_then(|json| serde_json::from_str(&json).ok()),
            _ => None,
        };
        let need_order = conv.order_id.is_some() && cached.is_none();
        let need_review = conv.key.biz_type == 4 && conv.comment_id.is_some() && review.is_none();
        if need_order || need_review {
            self.context.spawn(&conv, need_order, need_review);
        }
        let uploads = self
            .stores
            .entry(&conv.key.store)
            .is_some_and(|e| meituan_api::image::can_upload(e.key.business_id));
        Ok(ConversationDetail {
            can_send_images: uploads && compose_block.is_none(),
            // Whoever the block commands accept: a solo desk, or a team's supervisor.
            can_block: uploads
                && self.team_blocker().is_ok()
                && conv.key.biz_type == 1
                && !conv.blocked,
            row,
            compose_block,
            window_closes_at,
            order: cached.as_ref().and_then(order_card),
            review,
            draft: store.draft_async(conv.id).await?.unwrap_or_default(),
            team: self.conversation_team(&conv.key),
        })
    }

    /// Fetches the order a conversation refers to now (before a send, so the after-sale rule
    /// sees the completion time). Returns whether it was fetched.
    pub(crate) async fn refresh_order(&self, conv: &Conversation) -> bool {
        match conv.order_id {
            Some(o) => self.context.order(&conv.key.store, o).await,
            None => false,
        }
    }
}
