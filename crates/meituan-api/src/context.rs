//! Context for chat side cards (§5): order detail, store info and reviews, for both
//! integrations. Each request is one type; the integration picks the path and, for the
//! store query, the parameter name. Responses keep only fields useful to an agent and accept
//! both integrations' spellings.

use meituan_wire::lenient::{
    opt_i32_from_number_or_string, opt_i64_from_number_or_string, opt_string_from_scalar,
};
use meituan_wire::{BusinessId, CommentId, OrderId, StoreId, UnixSeconds};
use serde::{Deserialize, Deserializer, Serialize};

use crate::endpoint::{require_text, Endpoint};
use crate::envelope::Biz;
use crate::error::ApiError;
use crate::types::opt_f64_from_number_or_string;

/// Name of the order-detail context endpoint (for errors and raw calls).
pub const ORDER_DETAIL: &str = "order/detail";
/// Name of the store-info context endpoint.
pub const STORE_INFO: &str = "poi/info";
/// Name of the review-list context endpoint.
pub const COMMENT_LIST: &str = "comment/queryCommentList";

/// The path of a context endpoint in an integration, if `name` is one.
pub fn context_path(business_id: BusinessId, name: &str) -> Option<&'static str> {
    use BusinessId::{Waimai, Wmoper};
    Some(match (name, business_id) {
        (ORDER_DETAIL, Waimai) => "/waimai/order/queryById",
        (ORDER_DETAIL, Wmoper) => "/wmoper/ng/order/queryDetail",
        (STORE_INFO, Waimai) => "/waimai/poi/queryPoiInfo",
        (STORE_INFO, Wmoper) => "/wmoper/ng/poi/mget",
        (COMMENT_LIST, Waimai) => "/waimai/ng/comment/queryCommentList",
        (COMMENT_LIST, Wmoper) => "/wmoper/ng/comment/queryCommentList",
        _ => return None,
    })
}

fn path_of(business_id: BusinessId, name: &str) -> String {
    context_path(business_id, name)
        .unwrap_or_default()
        .to_owned()
}

/// Order detail (§5.1 `queryById` on businessId 2, §5.2 `queryDetail` on 16).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct OrderDetail {
    /// The order.
    #[serde(rename = "orderId")]
    pub order_id: OrderId,
}

impl Endpoint for OrderDetail {
    const NAME: &'static str = ORDER_DETAIL;
    type Response = Order;

    fn path(business_id: BusinessId) -> String {
        path_of(business_id, Self::NAME)
    }
}

/// An order as an agent needs it. Times are Unix seconds; amounts are yuan.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Order {
    /// Internal id (on businessId 16: the displayed id).
    #[serde(rename = "orderId")]
    pub order_id: Option<OrderId>,
    /// Id shown to the customer (businessId 2).
    #[serde(rename = "orderIdView")]
    pub order_id_view: Option<OrderId>,
    /// Status: 2 new, 4 accepted, 8 completed, 9 cancelled; others kept as received.
    #[serde(deserialize_with = "opt_i32_from_number_or_string")]
    pub status: Option<i32>,
    /// The store's daily order number.
    #[serde(rename = "daySeq", deserialize_with = "opt_i32_from_number_or_string")]
    pub day_seq: Option<i32>,
    /// Created.
    #[serde(rename = "cTime")]
    pub c_time: Option<UnixSeconds>,
    /// Placed.
    #[serde(rename = "orderSendTime")]
    pub order_send_time: Option<UnixSeconds>,
    /// Confirmed by the store.
    #[serde(rename = "orderConfirmTime")]
    pub order_confirm_time: Option<UnixSeconds>,
    /// Completed.
    #[serde(rename = "orderCompletedTime")]
    pub order_completed_time: Option<UnixSeconds>,
    /// Cancelled (businessId 16).
    #[serde(rename = "orderCancelTime")]
    pub order_cancel_time: Option<UnixSeconds>,
    /// Expected delivery; 0 = as soon as possible.
    #[serde(rename = "deliveryTime")]
    pub delivery_time: Option<UnixSeconds>,
    /// Estimated arrival.
    #[serde(rename = "estimateArrivalTime")]
    pub estimate_arrival_time: Option<UnixSeconds>,
    /// Amount paid.
    #[serde(deserialize_with = "opt_f64_from_number_or_string")]
    pub total: Option<f64>,
    /// Original price.
    #[serde(
        rename = "originalPrice",
        deserialize_with = "opt_f64_from_number_or_string"
    )]
    pub original_price: Option<f64>,
    /// Delivery fee.
    #[serde(
        rename = "shippingFee",
        deserialize_with = "opt_f64_from_number_or_string"
    )]
    pub shipping_fee: Option<f64>,
    /// `1` cash on delivery, `2` online.
    #[serde(rename = "payType", deserialize_with = "opt_i32_from_number_or_string")]
    pub pay_type: Option<i32>,
    /// `0` delivery, `1` self-pickup.
    #[serde(
        rename = "pickType",
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub pick_type: Option<i32>,
    /// Customer remark.
    pub caution: Option<String>,
    /// Recipient.
    #[serde(rename = "recipientName")]
    pub recipient_name: Option<String>,
    /// Usually a privacy relay number.
    #[serde(rename = "recipientPhone")]
    pub recipient_phone: Option<String>,
    /// Address (masked, hidden after completion).
    #[serde(rename = "recipientAddress")]
    pub recipient_address: Option<String>,
    /// Store epoiId (businessId 2).
    #[serde(rename = "ePoiId")]
    pub epoi_id: Option<StoreId>,
    /// Store name.
    #[serde(rename = "poiName")]
    pub poi_name: Option<String>,
    /// Meituan store id (businessId 16).
    #[serde(rename = "wmPoiId", deserialize_with = "opt_string_from_scalar")]
    pub wm_poi_id: Option<String>,
    /// Offset user id passed to third parties (businessId 16).
    #[serde(rename = "userIdView", deserialize_with = "opt_string_from_scalar")]
    pub user_id_view: Option<String>,
    /// Delivery status.
    #[serde(
        rename = "logisticsStatus",
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub logistics_status: Option<i32>,
    /// Rider name.
    #[serde(rename = "logisticsDispatcherName")]
    pub logistics_dispatcher_name: Option<String>,
    /// Rider phone.
    #[serde(rename = "logisticsDispatcherMobile")]
    pub logistics_dispatcher_mobile: Option<String>,
    /// `-1`: parts were downgraded; query again later.
    #[serde(
        rename = "incmpCode",
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub incmp_code: Option<i32>,
    /// Items: a JSON-text array on businessId 2, a list on 16.
    #[serde(deserialize_with = "items_from_list_or_text")]
    pub detail: Vec<OrderItem>,
}

/// One order line, under either integration's key spelling.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct OrderItem {
    /// Item name.
    #[serde(alias = "foodName")]
    pub food_name: Option<String>,
    /// Quantity.
    #[serde(deserialize_with = "opt_f64_from_number_or_string")]
    pub quantity: Option<f64>,
    /// Unit price.
    #[serde(deserialize_with = "opt_f64_from_number_or_string")]
    pub price: Option<f64>,
    /// Unit.
    pub unit: Option<String>,
    /// Specification.
    pub spec: Option<String>,
    /// Properties (spicy, …).
    #[serde(alias = "foodProperty")]
    pub food_property: Option<String>,
    /// The developer's item code.
    #[serde(alias = "appFoodCode", deserialize_with = "opt_string_from_scalar")]
    pub app_food_code: Option<String>,
}

fn items_from_list_or_text<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<OrderItem>, D::Error> {
    let value = match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => return Ok(Vec::new()),
        serde_json::Value::String(text) if text.trim().is_empty() => return Ok(Vec::new()),
        serde_json::Value::String(text) => serde_json::from_str(&text)
            .map_err(|_| serde::de::Error::custom("order detail text is not JSON"))?,
        other => other,
    };
    serde_json::from_value(value).map_err(|_| serde::de::Error::custom("unreadable order items"))
}

/// Store info (§5.3): `queryPoiInfo` on businessId 2 (`ePoiIds`), `poi/mget` on 16
/// (`epoiIds`).
#[derive(Debug, Clone, Serialize)]
pub struct StoreInfo {
    /// The stores, sent comma-separated.
    pub epoi_ids: Vec<StoreId>,
}

impl Endpoint for StoreInfo {
    const NAME: &'static str = STORE_INFO;
    type Response = Vec<StoreProfile>;

    fn path(business_id: BusinessId) -> String {
        path_of(business_id, Self::NAME)
    }

    fn validate(&self, _: BusinessId) -> Result<(), ApiError> {
        if self.epoi_ids.is_empty() {
            return Err(ApiError::validation(Self::NAME, "no epoiId given"));
        }
        if self
            .epoi_ids
            .iter()
            .any(|id| id.as_str().trim().is_empty() || id.as_str().contains(','))
        {
            return Err(ApiError::validation(
                Self::NAME,
                "an epoiId is blank or contains a comma",
            ));
        }
        Ok(())
    }

    fn biz(&self, business_id: BusinessId) -> Result<Biz, ApiError> {
        let key = match business_id {
            BusinessId::Waimai => "ePoiIds",
            BusinessId::Wmoper => "epoiIds",
        };
        let joined: Vec<&str> = self.epoi_ids.iter().map(StoreId::as_str).collect();
        Biz::object(&serde_json::json!({ key: joined.join(",") }))
            .map_err(|_| ApiError::validation(Self::NAME, "cannot serialize"))
    }
}

/// A store, under either integration's key spelling.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct StoreProfile {
    /// The store's epoiId.
    #[serde(rename = "ePoiId", alias = "epoiId")]
    pub epoi_id: Option<StoreId>,
    /// Name.
    pub name: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Picture.
    #[serde(rename = "pictureUrl", alias = "pic_url")]
    pub picture_url: Option<String>,
    /// Online state (2: `1` online, `0` offline; 16: also `2` listing, `3` approved).
    #[serde(
        rename = "isOnline",
        alias = "is_online",
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub is_online: Option<i32>,
    /// Business state: `1` delivering, `3` resting (`0` not online on 2).
    #[serde(
        rename = "isOpen",
        alias = "open_level",
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub open_state: Option<i32>,
    /// Opening hours.
    #[serde(
        rename = "openTime",
        alias = "shipping_time",
        deserialize_with = "opt_string_from_scalar"
    )]
    pub open_time: Option<String>,
    /// Store notice (businessId 2).
    #[serde(rename = "noticeInfo")]
    pub notice_info: Option<String>,
    /// Category.
    #[serde(rename = "tagName", alias = "tag_name")]
    pub tag_name: Option<String>,
}

/// Review list (§5.4). On businessId 2 it travels as the opaque `data` string with the same
/// keys (\[INF\], see [`crate::opaque`]).
#[derive(Debug, Clone, Serialize)]
pub struct CommentList {
    /// Start of the period (format not documented \[INF\]).
    #[serde(rename = "startTime")]
    pub start_time: String,
    /// End of the period.
    #[serde(rename = "endTime")]
    pub end_time: String,
    /// Offset.
    pub offset: i32,
    /// Page size.
    pub limit: i32,
    /// `-1` all, `0` unreplied, `1` replied.
    #[serde(rename = "replyStatus", skip_serializing_if = "Option::is_none")]
    pub reply_status: Option<i32>,
    /// `biz~1002~Waimai~18` for takeaway reviews only.
    #[serde(rename = "bizKey", skip_serializing_if = "Option::is_none")]
    pub biz_key: Option<String>,
}

impl Endpoint for CommentList {
    const NAME: &'static str = COMMENT_LIST;
    type Response = Vec<Comment>;

    fn path(business_id: BusinessId) -> String {
        path_of(business_id, Self::NAME)
    }

    /// `startTime` and `endTime` are `Y` in §5.4 (`offset` and `limit` are typed).
    fn validate(&self, _: BusinessId) -> Result<(), ApiError> {
        require_text(Self::NAME, "startTime", &self.start_time)?;
        require_text(Self::NAME, "endTime", &self.end_time)
    }
}

/// A review, as context for a review-contact conversation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comment {
    /// The key for `createGroup`.
    pub comment_id: CommentId,
    /// Review text.
    #[serde(default)]
    pub comment_content: Option<String>,
    /// When reviewed.
    #[serde(default, deserialize_with = "opt_string_from_scalar")]
    pub comment_time: Option<String>,
    /// Follow-up review.
    #[serde(default)]
    pub add_comment: Option<String>,
    /// Taste score.
    #[serde(default, deserialize_with = "opt_i32_from_number_or_string")]
    pub order_comment_score: Option<i32>,
    /// Merchant star rating.
    #[serde(default, deserialize_with = "opt_i32_from_number_or_string")]
    pub food_comment_score: Option<i32>,
    /// Delivery score.
    #[serde(default, deserialize_with = "opt_i32_from_number_or_string")]
    pub delivery_comment_score: Option<i32>,
    /// Comma-separated picture URLs.
    #[serde(default)]
    pub comment_pictures: Option<String>,
    /// `0` unreplied, `1` replied.
    #[serde(default, deserialize_with = "opt_i32_from_number_or_string")]
    pub reply_status: Option<i32>,
    /// The merchant's reply.
    #[serde(default)]
    pub e_reply_content: Option<String>,
    /// Reviewer (businessId 16 only).
    #[serde(default, deserialize_with = "opt_i64_from_number_or_string")]
    pub user_id: Option<i64>,
}
