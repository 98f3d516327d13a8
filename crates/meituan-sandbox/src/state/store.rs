//! One store's records: customers, orders, reviews, groups, switches, blocks, messages and
//! uploaded pictures.

use std::collections::{BTreeMap, HashSet};

use super::reply::ReplyBook;
use crate::model::{BlockRecord, MerchantMessage, OrderInfo};

/// A customer of one store.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    /// Masked as the platform masks names, e.g. `王**`.
    pub name: String,
    /// Privacy number like `1xxxxxxxxxx_1234`.
    pub phone: String,
    pub address: String,
    /// Latest read time in ms (0 = never read).
    pub last_read_time_ms: i64,
    /// Whether this customer has written to the store yet.
    pub has_written: bool,
}

/// Order status values (§5.1).
pub(crate) mod status {
    pub const ACCEPTED: i32 = 4;
    pub const DELIVERING: i32 = 6;
    pub const COMPLETED: i32 = 8;
    pub const CANCELLED: i32 = 9;
}

/// An order line: menu index and quantity.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub item: usize,
    pub quantity: i64,
}

/// An order with the times and people its context card needs.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub order_id: i64,
    pub order_id_view: i64,
    pub day_seq: i32,
    pub open_user_id: i64,
    pub status: i32,
    /// Unix seconds.
    pub created_at: i64,
    pub confirmed_at: i64,
    pub completed_at_ms: Option<i64>,
    pub estimate_arrival: i64,
    pub lines: Vec<Line>,
    pub shipping_fee_fen: i64,
    pub caution: String,
    pub rider_id: i64,
    pub rider_name: String,
}

impl Order {
    /// Sum of the lines, in fen.
    pub fn goods_fen(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| {
                crate::customers::lexicon::MENU
                    .get(l.item)
                    .map_or(0, |m| m.1)
                    * l.quantity
            })
            .sum()
    }

    /// Public view of the order.
    pub fn info(&self) -> OrderInfo {
        OrderInfo {
            order_id: self.order_id,
            order_id_view: self.order_id_view,
            open_user_id: self.open_user_id,
            status: self.status,
            completed_at_ms: self.completed_at_ms,
        }
    }

    /// Whether the 48-hour after-sale window has closed at `now_ms`.
    pub fn chat_expired(&self, now_ms: i64) -> bool {
        matches!(self.completed_at_ms, Some(done) if self.status == status::COMPLETED && now_ms - done > AFTER_SALE_MS)
    }
}

/// The after-sale chat window: 48 hours after completion. \[INF\] The protocol document
/// states no window; this is the sandbox's own reading of the product (`product.md`).
pub(crate) const AFTER_SALE_MS: i64 = 48 * 3600 * 1000;

/// A review left on an order.
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub comment_id: i64,
    pub open_user_id: i64,
    pub order_id: i64,
    pub text: String,
    pub score: i32,
    /// Unix seconds.
    pub time: i64,
}

/// What a group chat is about.
#[derive(Debug, Clone)]
pub(crate) enum GroupKind {
    Review {
        comment_id: i64,
        open_user_id: i64,
    },
    Fans {
        name: String,
        intro: String,
        welcome: String,
        members: Vec<i64>,
    },
    Rider {
        order_id: i64,
        open_user_id: i64,
        rider_id: i64,
    },
}

/// A group chat of the store.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub group_id: i64,
    /// Unix seconds.
    pub ctime: i64,
    pub kind: GroupKind,
}

/// One auto-reply robot scene.
#[derive(Debug, Clone)]
pub(crate) struct AutoSendScene {
    pub scene: i32,
    pub name: String,
    pub content: String,
    pub status: i32,
}

/// A join-group coupon activity.
#[derive(Debug, Clone)]
pub(crate) struct EnterActivity {
    pub activity_id: i64,
    pub group_id: i64,
    pub price: i64,
    pub limit_price: i64,
    pub validity: i64,
    pub created: i64,
    /// 0 while running.
    pub ended: i64,
}

/// A coupon sent in the fans group.
#[derive(Debug, Clone)]
pub(crate) struct Coupon {
    pub config_id: String,
    pub group_id: i64,
    pub act_type: i64,
    pub count: i64,
    pub price: i64,
    pub limit_price: i64,
    pub discount: i64,
    pub valid_time: i64,
    pub created: i64,
    pub ends: i64,
}

/// Fans-group marketing state.
#[derive(Debug, Clone, Default)]
pub(crate) struct FansBook {
    pub activities: Vec<EnterActivity>,
    pub coupons: Vec<Coupon>,
    /// Coupon sends left this month.
    pub remain: i64,
    /// The platform does not let the store build fans groups.
    pub barred: bool,
}

/// One store.
#[derive(Debug)]
pub(crate) struct Store {
    /// The store's own imSecret, used when connections are store-scoped.
    pub im_secret: String,
    pub epoi_id: String,
    pub name: String,
    pub business_id: u8,
    pub address: String,
    pub phone: String,
    /// The token printed in the coordinates (the latest issued).
    pub current_token: String,
    pub im_status: i32,
    /// The robot's scenes; scene 18 is also what `setAutoSendConfig` sets.
    pub autosend: Vec<AutoSendScene>,
    pub blocked: BTreeMap<i64, BlockRecord>,
    pub customers: BTreeMap<i64, Customer>,
    pub orders: BTreeMap<i64, Order>,
    pub comments: Vec<Comment>,
    pub groups: BTreeMap<i64, Group>,
    pub fans: FansBook,
    pub merchant_msgs: Vec<MerchantMessage>,
    pub replies: ReplyBook,
    /// Customer messages the merchant marked read (`msgRead`).
    pub merchant_read: HashSet<i64>,
    /// Pictures the store uploaded (`image/uploadNoWater`), by `pic_code`.
    pub uploads: crate::images::Uploads,
    pub day_seq: i32,
}

impl Store {
    /// The group with this id, if it is of the wanted kind.
    pub fn group(&self, group_id: i64) -> Option<&Group> {
        self.groups.get(&group_id)
    }

    /// The review group for `comment_id`, if one was created.
    pub fn review_group_of(&self, comment_id: i64) -> Option<i64> {
        self.groups.values().find_map(|g| match g.kind {
            GroupKind::Review { comment_id: c, .. } if c == comment_id => Some(g.group_id),
            _ => None,
        })
    }

    /// The first fans group, if any.
    pub fn fans_group(&self) -> Option<&Group> {
        self.groups
            .values()
            .find(|g| matches!(g.kind, GroupKind::Fans { .. }))
    }
}
