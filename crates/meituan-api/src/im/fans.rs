//! Fans groups and coupons (§4.13, endpoints 15–24): marketing, not needed for chat.
//! Response shapes the SDK models as single objects are decoded as [`OneOrMany`] \[INF\].

use meituan_wire::lenient::{
    opt_i32_from_number_or_string, opt_i64_from_number_or_string, opt_string_from_scalar,
};
use meituan_wire::{BusinessId, GroupId, OpenUserId};
use serde::{Deserialize, Serialize};

use crate::endpoint::{require_text, Endpoint};
use crate::envelope::Biz;
use crate::error::ApiError;
use crate::types::{Ack, OneOrMany};

/// `queryStoreHaveBuild`: whether the store may build a fans group. No parameters.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct QueryStoreHaveBuild;

impl Endpoint for QueryStoreHaveBuild {
    const NAME: &'static str = "queryStoreHaveBuild";
    const HAS_PARAMS: bool = false;
    type Response = FansGroupEligibility;
}

/// Response of [`QueryStoreHaveBuild`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct FansGroupEligibility {
    /// Whether the store may build a group.
    #[serde(default)]
    pub status: bool,
}

/// The join-group coupon of a new fans group (yuan, days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EnterCoupon {
    /// Discount, yuan.
    pub price: i32,
    /// Threshold, yuan.
    #[serde(rename = "limitPrice")]
    pub limit_price: i32,
    /// Validity, days.
    pub validity: i32,
}

/// `createFansGroup`. Not idempotent: retried only when surely not processed.
#[derive(Debug, Clone, Serialize)]
pub struct CreateFansGroup {
    /// Invitation text.
    #[serde(rename = "groupIntro")]
    pub group_intro: String,
    /// Welcome text.
    #[serde(rename = "groupWelcomeMsg")]
    pub group_welcome_msg: String,
    /// Optional join-group coupon.
    #[serde(rename = "groupEnterCoupon", skip_serializing_if = "Option::is_none")]
    pub group_enter_coupon: Option<EnterCoupon>,
}

impl Endpoint for CreateFansGroup {
    const NAME: &'static str = "createFansGroup";
    const IDEMPOTENT: bool = false;
    type Response = CreatedFansGroup;

    /// Both texts are `Y` in §4.13.
    fn validate(&self, _: BusinessId) -> Result<(), ApiError> {
        require_text(Self::NAME, "groupIntro", &self.group_intro)?;
        require_text(Self::NAME, "groupWelcomeMsg", &self.group_welcome_msg)
    }
}

/// Response of [`CreateFansGroup`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedFansGroup {
    /// The new group.
    #[serde(rename = "groupId", default)]
    pub group_id: Option<GroupId>,
    /// Its name.
    #[serde(rename = "groupName", default)]
    pub group_name: Option<String>,
}

/// `queryStoreFansGroup`: the store's fans groups, paged from 1.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct QueryStoreFansGroup {
    /// Page, starting at 1.
    pub page: i32,
    /// Page size.
    #[serde(rename = "pageSize")]
    pub page_size: i32,
}

impl Endpoint for QueryStoreFansGroup {
    const NAME: &'static str = "queryStoreFansGroup";
    type Response = OneOrMany<FansGroup>;
}

/// A fans group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FansGroup {
    /// Group id.
    #[serde(rename = "groupId", default)]
    pub group_id: Option<GroupId>,
    /// Name.
    #[serde(rename = "groupName", default)]
    pub group_name: Option<String>,
    /// Index.
    #[serde(
        rename = "groupIndex",
        default,
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub group_index: Option<i32>,
    /// Members.
    #[serde(
        rename = "memberCount",
        default,
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub member_count: Option<i32>,
    /// Announcement.
    #[serde(rename = "groupAnnounce", default)]
    pub group_announce: Option<String>,
    /// Introduction.
    #[serde(rename = "groupIntro", default)]
    pub group_intro: Option<String>,
    /// `0` entrance on, `1` off.
    #[serde(
        rename = "groupEntrance",
        default,
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub group_entrance: Option<i32>,
    /// `1` normal, `2` closed.
    #[serde(default, deserialize_with = "opt_i32_from_number_or_string")]
    pub status: Option<i32>,
}

/// `createEnterCouponActivity`. Not idempotent.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CreateEnterCouponActivity {
    /// The group.
    #[serde(rename = "groupId")]
    pub group_id: GroupId,
    /// Discount, yuan.
    pub price: i32,
    /// Threshold, yuan.
    #[serde(rename = "limitPrice")]
    pub limit_price: i32,
    /// Validity, days.
    pub validity: i32,
}

impl Endpoint for CreateEnterCouponActivity {
    const NAME: &'static str = "createEnterCouponActivity";
    const IDEMPOTENT: bool = false;
    type Response = Ack;
}

/// `queryEnterCouponActivity`: join-group coupon activities, by cursor.
#[derive(Debug, Clone, Serialize)]
pub struct QueryEnterCouponActivity {
    /// Cursor, 0 first.
    pub index: i64,
    /// Page size (> 1).
    pub size: i32,
    /// `1` valid, `-1` invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl Endpoint for QueryEnterCouponActivity {
    const NAME: &'static str = "queryEnterCouponActivity";
    type Response = OneOrMany<EnterCouponActivity>;
}

/// A join-group coupon activity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EnterCouponActivity {
    /// Cursor.
    #[serde(default, deserialize_with = "opt_i64_from_number_or_string")]
    pub index: Option<i64>,
    /// More pages.
    #[serde(rename = "hasMore", default)]
    pub has_more: Option<bool>,
    /// Activity id.
    #[serde(
        rename = "activityId",
        default,
        deserialize_with = "opt_i64_from_number_or_string"
    )]
    pub activity_id: Option<i64>,
    /// Discount, yuan.
    #[serde(default, deserialize_with = "opt_i32_from_number_or_string")]
    pub price: Option<i32>,
    /// Threshold, yuan.
    #[serde(
        rename = "limitPrice",
        default,
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub limit_price: Option<i32>,
    /// `1` valid, `-1` invalid.
    #[serde(default, deserialize_with = "opt_i32_from_number_or_string")]
    pub valid: Option<i32>,
    /// Validity, days.
    #[serde(default, deserialize_with = "opt_i32_from_number_or_string")]
    pub validity: Option<i32>,
    /// Created, seconds.
    #[serde(
        rename = "cTime",
        default,
        deserialize_with = "opt_i64_from_number_or_string"
    )]
    pub c_time: Option<i64>,
    /// Ended, seconds (0 = not ended).
    #[serde(
        rename = "endTime",
        default,
        deserialize_with = "opt_i64_from_number_or_string"
    )]
    pub end_time: Option<i64>,
}

/// `revokeEnterCouponActivity`: stops an activity (repeating it is harmless).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RevokeEnterCouponActivity {
    /// The group.
    #[serde(rename = "groupId")]
    pub group_id: GroupId,
    /// The activity.
    #[serde(rename = "activityId")]
    pub activity_id: i32,
}

impl Endpoint for RevokeEnterCouponActivity {
    const NAME: &'static str = "revokeEnterCouponActivity";
    type Response = Ack;
}

/// `sendFansGroupCoupon`: creates and sends a coupon in a fans group. Not idempotent.
/// `app_food_code` is a string on businessId 2 and an integer on 16 (§4.14).
#[derive(Debug, Clone, Serialize)]
pub struct SendFansGroupCoupon {
    /// The group.
    #[serde(rename = "groupId")]
    pub group_id: GroupId,
    /// Seconds valid after claim.
    #[serde(rename = "validTime")]
    pub valid_time: i32,
    /// How many, 1 to 9999.
    pub count: i32,
    /// `1` store discount coupon, `2` item coupon.
    #[serde(rename = "actType")]
    pub act_type: i32,
    /// Seconds the activity runs.
    #[serde(rename = "activityValidTime")]
    pub activity_valid_time: i32,
    /// Threshold (discount coupon).
    #[serde(rename = "limitPrice", skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<i32>,
    /// Discount (discount coupon), 3 to 50 % of the threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<i32>,
    /// Item code (item coupon).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_food_code: Option<String>,
    /// SPU id (item coupon).
    #[serde(rename = "spuId", skip_serializing_if = "Option::is_none")]
    pub spu_id: Option<i64>,
    /// 0 to 98; divided by 100 gives the rate in 折.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<i32>,
}

impl Endpoint for SendFansGroupCoupon {
    const NAME: &'static str = "sendFansGroupCoupon";
    const IDEMPOTENT: bool = false;
    type Response = SentCoupon;

    fn validate(&self, business_id: BusinessId) -> Result<(), ApiError> {
        if !(1..=9999).contains(&self.count) {
            return Err(ApiError::validation(Self::NAME, "count must be 1 to 9999"));
        }
        let numeric_code = self
            .app_food_code
            .as_deref()
            .map(|c| c.trim().parse::<i32>());
        if business_id == BusinessId::Wmoper && matches!(numeric_code, Some(Err(_))) {
            return Err(ApiError::validation(
                Self::NAME,
                "app_food_code must be an integer on businessId 16",
            ));
        }
        Ok(())
    }

    fn biz(&self, business_id: BusinessId) -> Result<Biz, ApiError> {
        let unserializable = |_| ApiError::validation(Self::NAME, "cannot serialize");
        if business_id == BusinessId::Waimai {
            return Biz::object(self).map_err(unserializable);
        }
        // businessId 16 types app_food_code as an integer: send it after the other fields.
        let mut rest = self.clone();
        let app_food_code = match rest.app_food_code.take() {
            None => None,
            Some(code) => Some(code.trim().parse::<i32>().map_err(|_| {
                ApiError::validation(Self::NAME, "app_food_code must be an integer")
            })?),
        };
        Biz::object(&CouponOn16 {
            rest: &rest,
            app_food_code,
        })
        .map_err(unserializable)
    }
}

#[derive(Serialize)]
struct CouponOn16<'a> {
    #[serde(flatten)]
    rest: &'a SendFansGroupCoupon,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_food_code: Option<i32>,
}

/// Response of [`SendFansGroupCoupon`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SentCoupon {
    /// The coupon configuration id.
    #[serde(
        rename = "couponConfigId",
        default,
        deserialize_with = "opt_string_from_scalar"
    )]
    pub coupon_config_id: Option<String>,
}

/// `queryCoupon`: fans-group coupons, paged.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct QueryCoupon {
    /// Page, from 1.
    pub page: i32,
    /// Page size.
    #[serde(rename = "pageSize")]
    pub page_size: i32,
}

impl Endpoint for QueryCoupon {
    const NAME: &'static str = "queryCoupon";
    type Response = OneOrMany<Coupon>;
}

/// A fans-group coupon. Amounts and times are kept as the platform sends them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Coupon {
    /// Pages in total.
    #[serde(
        rename = "totalPage",
        default,
        deserialize_with = "opt_i64_from_number_or_string"
    )]
    pub total_page: Option<i64>,
    /// Coupons in total.
    #[serde(default, deserialize_with = "opt_i64_from_number_or_string")]
    pub total: Option<i64>,
    /// Configuration id.
    #[serde(
        rename = "couponConfigId",
        default,
        deserialize_with = "opt_string_from_scalar"
    )]
    pub coupon_config_id: Option<String>,
    /// Name.
    #[serde(rename = "couponName", default)]
    pub coupon_name: Option<String>,
    /// Discount.
    #[serde(default, deserialize_with = "opt_string_from_scalar")]
    pub price: Option<String>,
    /// Threshold.
    #[serde(
        rename = "limitPrice",
        default,
        deserialize_with = "opt_string_from_scalar"
    )]
    pub limit_price: Option<String>,
    /// `0` processing, `1` running, `2` ended, `3` stopped.
    #[serde(default, deserialize_with = "opt_i32_from_number_or_string")]
    pub status: Option<i32>,
    /// Created.
    #[serde(
        rename = "createTime",
        default,
        deserialize_with = "opt_string_from_scalar"
    )]
    pub create_time: Option<String>,
    /// Ends.
    #[serde(
        rename = "endTime",
        default,
        deserialize_with = "opt_string_from_scalar"
    )]
    pub end_time: Option<String>,
    /// Seconds valid.
    #[serde(
        rename = "validTime",
        default,
        deserialize_with = "opt_i64_from_number_or_string"
    )]
    pub valid_time: Option<i64>,
    /// Remaining.
    #[serde(default, deserialize_with = "opt_i64_from_number_or_string")]
    pub remain: Option<i64>,
}

/// `queryReceiveCouponDetail`: who claimed and used a coupon.
#[derive(Debug, Clone, Serialize)]
pub struct QueryReceiveCouponDetail {
    /// The coupon configuration id.
    #[serde(rename = "couponConfigId")]
    pub coupon_config_id: String,
}

impl Endpoint for QueryReceiveCouponDetail {
    const NAME: &'static str = "queryReceiveCouponDetail";
    type Response = CouponReceiveDetail;
}

/// Response of [`QueryReceiveCouponDetail`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CouponReceiveDetail {
    /// Sent.
    #[serde(
        rename = "sendNum",
        default,
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub send_num: Option<i32>,
    /// Used.
    #[serde(
        rename = "useNum",
        default,
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub use_num: Option<i32>,
    /// Not used.
    #[serde(
        rename = "unUseNum",
        default,
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub un_use_num: Option<i32>,
    /// Expired.
    #[serde(
        rename = "expireNum",
        default,
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub expire_num: Option<i32>,
    /// Customers who used it.
    #[serde(default)]
    pub used: Vec<OpenUserId>,
    /// Customers who have not used it.
    #[serde(rename = "unUsed", default)]
    pub un_used: Vec<OpenUserId>,
    /// Customers whose coupon expired.
    #[serde(default)]
    pub expire: Vec<OpenUserId>,
}

/// `remainCoupon`: coupons left this month for a group.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RemainCoupon {
    /// The group.
    #[serde(rename = "groupId")]
    pub group_id: GroupId,
}

impl Endpoint for RemainCoupon {
    const NAME: &'static str = "remainCoupon";
    type Response = RemainingCoupons;
}

/// Response of [`RemainCoupon`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct RemainingCoupons {
    /// Remaining this month.
    #[serde(
        rename = "remainCouponNum",
        default,
        deserialize_with = "opt_i32_from_number_or_string"
    )]
    pub remain_coupon_num: Option<i32>,
}
