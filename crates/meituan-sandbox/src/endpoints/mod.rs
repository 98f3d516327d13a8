//! Every business API the sandbox serves, by path, with the scope of its token.
//!
//! The IM endpoints of §4 exist in both families (`/waimai/ng/im/…` for businessId 2,
//! `/wmoper/ng/im/…` for 16); the context endpoints of §5 under their own paths; the image
//! upload of §5.5 only on businessId 16 (`/wmoper/ng/foodop/image/uploadNoWater`).

mod connection;
mod context;
mod fans;
mod image;
mod message;
mod settings;

pub use settings::ROBOT_REPLY_MAX_CHARS;

use crate::config::PushScope;
use crate::envelope::ApiResult;
use crate::gateway::Call;
use crate::state::World;

/// One business API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    ConnectionToken,
    ConnectionTokenWithCount,
    MsgSend,
    MsgRead,
    UserReadTime,
    GetImStatus,
    SetImStatus,
    BlockUser,
    CancelBlockUser,
    CreateGroup,
    GetAutoSend,
    SetAutoSend,
    SetAutoSendConfig,
    ReplyRate,
    StoreHaveBuild,
    CreateFansGroup,
    QueryFansGroup,
    CreateEnterCoupon,
    QueryEnterCoupon,
    RevokeEnterCoupon,
    SendFansCoupon,
    QueryCoupon,
    CouponDetail,
    RemainCoupon,
    OrderDetail,
    PoiInfo,
    CommentList,
    ImageUpload,
}

/// Whether a call must name its store with a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A valid store token is required.
    Store,
    /// A token is optional, but checked when sent.
    Optional,
}

impl Endpoint {
    /// Token scope of the endpoint on `business_id` when connections are `push_scope`d.
    pub fn scope(self, business_id: u8, push_scope: PushScope) -> Scope {
        match self {
            // Developer-scoped \[INF\]: works with any valid store token, or none.
            Endpoint::ConnectionToken if push_scope == PushScope::Developer => Scope::Optional,
            // `poi/mget` (16) does not need auth; its store list is in biz.
            Endpoint::PoiInfo if business_id == 16 => Scope::Optional,
            _ => Scope::Store,
        }
    }
}

fn im(suffix: &str) -> Option<Endpoint> {
    Some(match suffix {
        "getConnectionToken" => Endpoint::ConnectionToken,
        "getConnectionTokenWithCount" => Endpoint::ConnectionTokenWithCount,
        "msg/send" => Endpoint::MsgSend,
        "msgRead" => Endpoint::MsgRead,
        "userReadTime" => Endpoint::UserReadTime,
        "getPoiIMStatus" => Endpoint::GetImStatus,
        "setPoiIMStatus" => Endpoint::SetImStatus,
        "blockUser" => Endpoint::BlockUser,
        "cancelBlockUser" => Endpoint::CancelBlockUser,
        "createGroup" => Endpoint::CreateGroup,
        "autosend/getAutoSendConfigInfo" => Endpoint::GetAutoSend,
        "autosend/setAutoSendConfigInfo" => Endpoint::SetAutoSend,
        "setAutoSendConfig" => Endpoint::SetAutoSendConfig,
        "getReversionRateAndRightsList" => Endpoint::ReplyRate,
        "queryStoreHaveBuild" => Endpoint::StoreHaveBuild,
        "createFansGroup" => Endpoint::CreateFansGroup,
        "queryStoreFansGroup" => Endpoint::QueryFansGroup,
        "createEnterCouponActivity" => Endpoint::CreateEnterCoupon,
        "queryEnterCouponActivity" => Endpoint::QueryEnterCoupon,
        "revokeEnterCouponActivity" => Endpoint::RevokeEnterCoupon,
        "sendFansGroupCoupon" => Endpoint::SendFansCoupon,
        "queryCoupon" => Endpoint::QueryCoupon,
        "queryReceiveCouponDetail" => Endpoint::CouponDetail,
        "remainCoupon" => Endpoint::RemainCoupon,
        _ => return None,
    })
}

/// The family (businessId the path belongs to) and endpoint of `path`; paths are case-sensitive.
pub(crate) fn route(path: &str) -> Option<(u8, Endpoint)> {
    if let Some(suffix) = path.strip_prefix("/waimai/ng/im/") {
        return im(suffix).map(|e| (2, e));
    }
    if let Some(suffix) = path.strip_prefix("/wmoper/ng/im/") {
        return im(suffix).map(|e| (16, e));
    }
    Some(match path {
        "/waimai/order/queryById" => (2, Endpoint::OrderDetail),
        "/wmoper/ng/order/queryDetail" => (16, Endpoint::OrderDetail),
        "/waimai/poi/queryPoiInfo" => (2, Endpoint::PoiInfo),
        "/wmoper/ng/poi/mget" | "/wmoper/ng/poi/detail" => (16, Endpoint::PoiInfo),
        "/waimai/ng/comment/queryCommentList" => (2, Endpoint::CommentList),
        "/wmoper/ng/comment/queryCommentList" => (16, Endpoint::CommentList),
        crate::images::UPLOAD_PATH => (16, Endpoint::ImageUpload),
        _ => return None,
    })
}

/// Runs `endpoint` for a verified call.
pub(crate) fn dispatch(call: &Call<'_>, w: &mut World, endpoint: Endpoint) -> ApiResult {
    use Endpoint as E;
    match endpoint {
        E::ConnectionToken => connection::token(call, w),
        E::ConnectionTokenWithCount => connection::tokens_with_count(call, w),
        E::MsgSend => message::send(call, w),
        E::MsgRead => message::read(call, w),
        E::UserReadTime => message::user_read_time(call, w),
        E::GetImStatus => settings::get_im_status(call, w),
        E::SetImStatus => settings::set_im_status(call, w),
        E::BlockUser => settings::block(call, w),
        E::CancelBlockUser => settings::unblock(call, w),
        E::CreateGroup => settings::create_group(call, w),
        E::GetAutoSend => settings::get_autosend(call, w),
        E::SetAutoSend => settings::set_autosend(call, w),
        E::SetAutoSendConfig => settings::set_invite_review(call, w),
        E::ReplyRate => settings::reply_rate(call, w),
        E::StoreHaveBuild => fans::have_build(call, w),
        E::CreateFansGroup => fans::create_group(call, w),
        E::QueryFansGroup => fans::query_group(call, w),
        E::CreateEnterCoupon => fans::create_activity(call, w),
        E::QueryEnterCoupon => fans::query_activity(call, w),
        E::RevokeEnterCoupon => fans::revoke_activity(call, w),
        E::SendFansCoupon => fans::send_coupon(call, w),
        E::QueryCoupon => fans::query_coupon(call, w),
        E::CouponDetail => fans::coupon_detail(call, w),
        E::RemainCoupon => fans::remain(call, w),
        E::OrderDetail => context::order(call, w),
        E::PoiInfo => context::poi(call, w),
        E::CommentList => context::comments(call, w),
        E::ImageUpload => image::upload(call, w),
    }
}
