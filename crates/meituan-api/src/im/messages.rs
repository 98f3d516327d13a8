//! Sending and reading messages (§4.3–§4.5).
//!
//! This module owns what a merchant's two-party reply carries beyond the message itself: the
//! `order_id` of a chat without an order ([`PRE_ORDER_ORDER_ID`], \[INF\]) and the three scene
//! fields the SDK requires on every `biz_type` 1 message ([`REPLY_SCENE_TAG`],
//! [`REPLY_SCENE_NAME`], [`REPLY_HAS_REPLY`]). [`fill_two_party_reply`] puts them on a message;
//! [`SendMessage::validate`] refuses a message that lacks a field §4.3 requires.

use meituan_wire::{
    AppId, BizType, BusinessId, HasReply, MsgId, OpenUserId, OrderId, PushContent, SceneTag,
    StoreId, TimeMs,
};
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::error::ApiError;
use crate::types::{Ack, OpResult};

/// \[INF\] The `order_id` of a two-party chat that has no order yet (售前咨询, a pre-order
/// question). §4.3 requires `order_id` on every `biz_type` 1 message but says nothing of chats
/// before an order; this project sends `0`, and reads `0` (or no `order_id`) on a push as "no
/// order" ([`chat_order`]). Open question 6 (`meituan-im-protocol.md` §7) covers the order id.
pub const PRE_ORDER_ORDER_ID: OrderId = OrderId(0);

/// `scene_tag` of a merchant's reply: `-1`, a normal message (\[SDK\] §4.3, the `scene_tag`
/// table). Replies are never scene messages; scene tags come from the platform.
pub const REPLY_SCENE_TAG: SceneTag = SceneTag::NORMAL;

/// `scene_name` of a merchant's reply: empty, as §4.3 defines it for a normal message (\[SDK\]).
pub const REPLY_SCENE_NAME: &str = "";

/// \[INF\] `has_reply` of a merchant's reply: `0`, the table's "default" (§4.3: `0` default,
/// `1` not replied, `2` replied; open question 11 in §7). The other two values describe whether
/// a message still awaits an answer, which a merchant's own message never does; `0` claims
/// nothing about the conversation. If the live platform wants `2` on replies, this is the one
/// line to change.
pub const REPLY_HAS_REPLY: HasReply = HasReply::Default;

/// The order a two-party message is about: `None` for [`PRE_ORDER_ORDER_ID`] (or any id that
/// is not positive) and for a message without `order_id` (\[INF\], see [`PRE_ORDER_ORDER_ID`]).
pub fn chat_order(order_id: Option<OrderId>) -> Option<OrderId> {
    order_id.filter(|o| o.0 > 0)
}

/// Makes `push_content` a merchant's reply in a two-party chat about `order` (`None` before
/// an order exists): sets `order_id` and the three scene fields §4.3 requires for `biz_type` 1.
pub fn fill_two_party_reply(push_content: &mut PushContent, order: Option<OrderId>) {
    push_content.order_id = Some(order.unwrap_or(PRE_ORDER_ORDER_ID));
    push_content.scene_tag = Some(REPLY_SCENE_TAG);
    push_content.scene_name = Some(REPLY_SCENE_NAME.to_owned());
    push_content.has_reply = Some(REPLY_HAS_REPLY);
}

/// The `push_content` fields §4.3 marks "needed" (C) for a conversation kind, by wire name.
/// The always-required (Y) fields are not optional in [`PushContent`], so they cannot be
/// missing.
pub fn required_fields(biz_type: BizType) -> &'static [&'static str] {
    match biz_type {
        BizType::TwoParty => &[
            "order_id",
            "open_user_id",
            "scene_tag",
            "scene_name",
            "has_reply",
        ],
        BizType::ReviewContact => &["comment_id", "group_id"],
        BizType::FansGroup => &["group_id", "group_name"],
        BizType::RiderGroup => &["open_user_id", "group_id", "rider_id"],
        BizType::Unknown(_) => &[],
    }
}

/// Whether `push_content` carries the field named `wire_name`. `scene_name` may be empty (a
/// normal message); a blank `group_name` names no group, so it counts as missing.
fn has_field(p: &PushContent, wire_name: &str) -> bool {
    match wire_name {
        "order_id" => p.order_id.is_some(),
        "open_user_id" => p.open_user_id.is_some(),
        "scene_tag" => p.scene_tag.is_some(),
        "scene_name" => p.scene_name.is_some(),
        "has_reply" => p.has_reply.is_some(),
        "comment_id" => p.comment_id.is_some(),
        "group_id" => p.group_id.is_some(),
        "group_name" => p
            .group_name
            .as_deref()
            .is_some_and(|n| !n.trim().is_empty()),
        "rider_id" => p.rider_id.is_some(),
        _ => false,
    }
}

/// `msg/send`: sends one message. Idempotent by `push_content.msg_id`: a retry must reuse
/// the same id. `msg_content` must already be encrypted (`meituan_wire::cipher`). A two-party
/// reply gets its required extra fields from [`fill_two_party_reply`].
#[derive(Debug, Clone, Serialize)]
pub struct SendMessage {
    /// The conversation kind.
    pub biz_type: BizType,
    /// The message.
    pub push_content: PushContent,
    /// Undocumented extension field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_field: Option<String>,
}

impl Endpoint for SendMessage {
    const NAME: &'static str = "msg/send";
    type Response = Ack;

    /// Checks the fields §4.3 requires for the conversation kind ([`required_fields`]).
    fn validate(&self, _: BusinessId) -> Result<(), ApiError> {
        let p = &self.push_content;
        if let BizType::Unknown(code) = self.biz_type {
            return Err(ApiError::validation(
                Self::NAME,
                format!("unknown biz_type {code}"),
            ));
        }
        if let Some(field) = required_fields(self.biz_type)
            .iter()
            .find(|f| !has_field(p, f))
        {
            return Err(ApiError::validation(
                Self::NAME,
                format!(
                    "push_content.{field} is required for biz_type {} (§4.3)",
                    self.biz_type.code()
                ),
            ));
        }
        if p.msg_id.0 <= 0 {
            return Err(ApiError::validation(
                Self::NAME,
                "push_content.msg_id must be a positive int64",
            ));
        }
        if p.msg_content.is_empty() {
            return Err(ApiError::validation(Self::NAME, "msg_content is empty"));
        }
        Ok(())
    }
}

/// \[INF\] Whether the customer has read a merchant message sent at `cts` (as milliseconds),
/// given `userReadTime`'s `last_read_time`: read when `cts <= last_read_time` (§4.5; the SDK
/// only says what the two times are). The one place this rule lives.
pub fn read_by_customer(cts: TimeMs, last_read_time: TimeMs) -> bool {
    cts <= last_read_time
}

/// `msgRead`: marks a customer message read. On businessId 2 it travels as the opaque
/// `data` string (\[INF\] keys, see [`crate::opaque`]).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MsgRead {
    /// The customer.
    #[serde(rename = "openUserId")]
    pub open_user_id: OpenUserId,
    /// The message.
    #[serde(rename = "msgId")]
    pub msg_id: MsgId,
}

impl Endpoint for MsgRead {
    const NAME: &'static str = "msgRead";
    type Response = OpResult;
}

/// `userReadTime`: when the customer last read the chat (opaque `data` on businessId 2).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct UserReadTime {
    /// The customer.
    #[serde(rename = "openUserId")]
    pub open_user_id: OpenUserId,
}

impl Endpoint for UserReadTime {
    const NAME: &'static str = "userReadTime";
    type Response = ReadTime;
}

/// Response of [`UserReadTime`]. `last_read_time` is milliseconds on the wire (unlike
/// `cts`), so it decodes straight into [`TimeMs`]; whether a merchant message is read follows
/// from it by [`read_by_customer`] (\[INF\]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReadTime {
    /// Developer application id.
    #[serde(default)]
    pub app_id: Option<AppId>,
    /// The store.
    #[serde(rename = "epoiId", default)]
    pub epoi_id: Option<StoreId>,
    /// The customer (a string on the wire).
    #[serde(default)]
    pub open_user_id: Option<OpenUserId>,
    /// Latest read time, UTC milliseconds.
    pub last_read_time: TimeMs,
}
