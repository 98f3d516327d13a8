//! The 24 IM endpoints of §4, one request type each. Field names are the wire names; the
//! integration passed to the client picks the path family and businessId.
//!
//! | # | endpoint | request | response |
//! |---|---|---|---|
//! | 1 | `getConnectionToken` | [`GetConnectionToken`] | [`ConnectionToken`] |
//! | 2 | `getConnectionTokenWithCount` | [`GetConnectionTokenWithCount`] | [`ConnectionTokens`] |
//! | 3 | `msg/send` | [`SendMessage`] | [`Ack`](crate::Ack) |
//! | 4 | `msgRead` | [`MsgRead`] | [`OpResult`](crate::OpResult) |
//! | 5 | `userReadTime` | [`UserReadTime`] | [`ReadTime`] |
//! | 6 | `getPoiIMStatus` | [`GetPoiImStatus`] | [`PoiImStatus`] |
//! | 7 | `setPoiIMStatus` | [`SetPoiImStatus`] | [`OpResult`](crate::OpResult) |
//! | 8 | `blockUser` | [`BlockUser`] | [`OpResult`](crate::OpResult) |
//! | 9 | `cancelBlockUser` | [`CancelBlockUser`] | [`OpResult`](crate::OpResult) |
//! | 10 | `createGroup` | [`CreateGroup`] | [`CreatedGroup`] |
//! | 11 | `autosend/getAutoSendConfigInfo` | [`GetAutoSendConfigInfo`] | `Vec<`[`AutoSendConfig`]`>` |
//! | 12 | `autosend/setAutoSendConfigInfo` | [`SetAutoSendConfigInfo`] | [`OpResult`](crate::OpResult) |
//! | 13 | `setAutoSendConfig` | [`SetAutoSendConfig`] | [`OpResult`](crate::OpResult) |
//! | 14 | `getReversionRateAndRightsList` | [`GetReversionRateAndRightsList`] | [`ReversionRate`] |
//! | 15–24 | fans groups and coupons | see [`fans`] | |

pub mod autoreply;
pub mod connection;
pub mod fans;
pub mod messages;
pub mod settings;

pub use autoreply::{
    robot_rules, AutoSendConfig, AutoSendSwitch, GetAutoSendConfigInfo,
    GetReversionRateAndRightsList, ReversionRate, Right, SetAutoSendConfig, SetAutoSendConfigInfo,
};
pub use connection::{
    ConnectionToken, ConnectionTokenInfo, ConnectionTokens, GetConnectionToken,
    GetConnectionTokenWithCount,
};
pub use fans::{
    Coupon, CouponReceiveDetail, CreateEnterCouponActivity, CreateFansGroup, CreatedFansGroup,
    EnterCoupon, EnterCouponActivity, FansGroup, FansGroupEligibility, QueryCoupon,
    QueryEnterCouponActivity, QueryReceiveCouponDetail, QueryStoreFansGroup, QueryStoreHaveBuild,
    RemainCoupon, RemainingCoupons, RevokeEnterCouponActivity, SendFansGroupCoupon, SentCoupon,
};
pub use messages::{
    chat_order, fill_two_party_reply, read_by_customer, required_fields, MsgRead, ReadTime,
    SendMessage, UserReadTime, PRE_ORDER_ORDER_ID, REPLY_HAS_REPLY, REPLY_SCENE_NAME,
    REPLY_SCENE_TAG,
};
pub use settings::{
    BlockCode, BlockUser, CancelBlockUser, CreateGroup, CreatedGroup, GetPoiImStatus, ImStatus,
    PoiImStatus, SetPoiImStatus,
};
