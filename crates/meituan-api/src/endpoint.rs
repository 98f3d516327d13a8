//! The [`Endpoint`] trait: one definition per endpoint, with the integration
//! ([`BusinessId`]) choosing the path family, the `businessId` field and, where the two
//! integrations differ, the shape of `biz`.

use meituan_wire::BusinessId;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::envelope::Biz;
use crate::error::ApiError;
use crate::opaque;

/// A typed platform endpoint. Implementations are plain request structs whose serde field
/// names are the businessId-16 wire names; the client signs, sends and decodes them.
pub trait Endpoint: Serialize {
    /// The endpoint's name: the IM path suffix (`msg/send`, `getPoiIMStatus`), or a context
    /// name (`order/detail`, `poi/info`, `comment/queryCommentList`). Used in errors too.
    const NAME: &'static str;
    /// `false` for endpoints without parameters: their `biz` field is left out entirely.
    const HAS_PARAMS: bool = true;
    /// Whether repeating the call after an unanswered attempt is harmless (sends are, by
    /// `msg_id`). Non-idempotent calls are retried only when they surely were not processed.
    const IDEMPOTENT: bool = true;
    /// The decoded `data` of a successful response.
    type Response: DeserializeOwned;

    /// The request path for an integration. IM endpoints are `im_prefix` + [`Self::NAME`].
    fn path(business_id: BusinessId) -> String {
        im_path(business_id, Self::NAME)
    }

    /// The `biz` field for an integration. The default serializes `self` as an object, or
    /// as the businessId-2 opaque `data` string where §1.2 says so (see [`crate::opaque`]).
    fn biz(&self, business_id: BusinessId) -> Result<Biz, ApiError> {
        if !Self::HAS_PARAMS {
            return Ok(Biz::NONE);
        }
        opaque::biz_for(business_id, Self::NAME, self)
            .map_err(|e| ApiError::validation(Self::NAME, crate::error::json_error_position(&e)))
    }

    /// Checks the request before anything is sent.
    fn validate(&self, business_id: BusinessId) -> Result<(), ApiError> {
        let _ = business_id;
        Ok(())
    }

    /// Whether the endpoint needs a store's appAuthToken in `business_id` (the SDK's
    /// `needAuth`, from the table in [`needs_store_token`]).
    fn needs_store_token(business_id: BusinessId) -> bool {
        needs_store_token(business_id, Self::NAME)
    }
}

/// The SDK's `needAuth` for an endpoint named as in [`IM_ENDPOINTS`] / [`OTHER_ENDPOINTS`]
/// (\[SDK\] §4.0's needAuth column, §5's per-endpoint notes). The SDK refuses a `true`
/// endpoint without a token (`SDK_MISS_APPAUTHTOKEN_ERROR`); so does
/// [`crate::MeituanClient::call_as_developer`]. `false` only means the SDK does not insist:
/// [`crate::MeituanClient::call`] still sends the store's token on every call (§4.0, \[INF\]).
/// A name not in the table needs a token (the side that cannot leak a call to the wrong store).
pub fn needs_store_token(business_id: BusinessId, name: &str) -> bool {
    match name {
        // §4.0 rows 1, 4, 6 and 7: N in both integrations.
        "getConnectionToken" | "msgRead" | "getPoiIMStatus" | "setPoiIMStatus" => false,
        // §5.3: `/waimai/poi/queryPoiInfo` Y, `/wmoper/ng/poi/mget` N.
        crate::context::STORE_INFO => business_id == BusinessId::Waimai,
        // §5.4: N on businessId 16; the document does not say for 2, so a token is needed.
        crate::context::COMMENT_LIST => business_id == BusinessId::Waimai,
        // Every other IM endpoint of §4.0, the order detail (§5.1, §5.2) and the image upload
        // (§5.5): Y.
        _ => true,
    }
}

/// Refuses a blank value of a string field the SDK marks required (`@NotBlank`, a `Y` in the
/// protocol document): the SDK would stop with `SDK_VERIFY_PARAM_ERROR` before sending.
pub(crate) fn require_text(endpoint: &str, field: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::validation(
            endpoint,
            format!("{field} is required (not blank)"),
        ));
    }
    Ok(())
}

/// The full path of an IM endpoint: `/waimai/ng/im/` or `/wmoper/ng/im/` + `suffix`.
pub fn im_path(business_id: BusinessId, suffix: &str) -> String {
    format!("{}{}", business_id.im_prefix(), suffix)
}

/// Every IM endpoint suffix of §4.0, as named in the protocol document.
pub const IM_ENDPOINTS: [&str; 24] = [
    "getConnectionToken",
    "getConnectionTokenWithCount",
    "msg/send",
    "msgRead",
    "userReadTime",
    "getPoiIMStatus",
    "setPoiIMStatus",
    "blockUser",
    "cancelBlockUser",
    "createGroup",
    "autosend/getAutoSendConfigInfo",
    "autosend/setAutoSendConfigInfo",
    "setAutoSendConfig",
    "getReversionRateAndRightsList",
    "queryStoreHaveBuild",
    "createFansGroup",
    "queryStoreFansGroup",
    "createEnterCouponActivity",
    "queryEnterCouponActivity",
    "revokeEnterCouponActivity",
    "sendFansGroupCoupon",
    "queryCoupon",
    "queryReceiveCouponDetail",
    "remainCoupon",
];

/// Every endpoint outside §4.0 the client knows, by name: the context endpoints of §5.1–§5.4
/// and the image upload of §5.5 (businessId 16 only, see [`crate::image`]).
pub const OTHER_ENDPOINTS: [&str; 4] = [
    crate::context::ORDER_DETAIL,
    crate::context::STORE_INFO,
    crate::context::COMMENT_LIST,
    crate::image::IMAGE_UPLOAD,
];

/// The path of an endpoint named at run time (IM suffix, context name or
/// [`crate::image::IMAGE_UPLOAD`]) in an integration, if it exists there.
pub fn path_for_name(business_id: BusinessId, name: &str) -> Option<String> {
    if IM_ENDPOINTS.contains(&name) {
        return Some(im_path(business_id, name));
    }
    if name == crate::image::IMAGE_UPLOAD {
        return crate::image::image_upload_path(business_id).map(str::to_owned);
    }
    crate::context::context_path(business_id, name).map(str::to_owned)
}
