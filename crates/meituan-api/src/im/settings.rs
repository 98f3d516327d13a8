//! Store IM switch, blocking customers and review-contact groups (§4.6–§4.10).

use meituan_wire::lenient::opt_string_from_scalar;
use meituan_wire::lenient::{opt_i32_from_number_or_string, opt_i64_from_number_or_string};
use meituan_wire::{AppId, BusinessId, CommentId, GroupId, OpenUserId, StoreId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::endpoint::Endpoint;
use crate::error::ApiError;
use crate::types::OpResult;

/// A store's IM switch: `0` off, `1` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImStatus {
    /// `0`: customers cannot chat with the store.
    Off,
    /// `1`: IM is on.
    On,
}

impl Serialize for ImStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i32(match self {
            Self::Off => 0,
            Self::On => 1,
        })
    }
}

impl<'de> Deserialize<'de> for ImStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match meituan_wire::lenient::i32_from_number_or_string(deserializer)? {
            0 => Ok(Self::Off),
            1 => Ok(Self::On),
            other => Err(serde::de::Error::custom(format!(
                "im_status {other} is not 0 or 1"
            ))),
        }
    }
}

/// `getPoiIMStatus`: whether the store's IM is on. No parameters.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetPoiImStatus;

impl Endpoint for GetPoiImStatus {
    const NAME: &'static str = "getPoiIMStatus";
    const HAS_PARAMS: bool = false;
    type Response = PoiImStatus;
}

/// Response of [`GetPoiImStatus`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PoiImStatus {
    /// Developer application id.
    #[serde(default)]
    pub app_id: Option<AppId>,
    /// The store.
    #[serde(rename = "epoiId", default)]
    pub epoi_id: Option<StoreId>,
    /// The switch.
    pub im_status: ImStatus,
}

/// `setPoiIMStatus`: turns the store's IM on or off (opaque `data` on businessId 2).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SetPoiImStatus {
    /// The new switch.
    #[serde(rename = "imStatus")]
    pub im_status: ImStatus,
}

impl Endpoint for SetPoiImStatus {
    const NAME: &'static str = "setPoiIMStatus";
    type Response = OpResult;
}

/// Why a customer is blocked (`block_code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockCode {
    /// `1`: harassment or abuse.
    Harassment,
    /// `2`: asked to add WeChat without ordering (suspected fraud).
    SuspectedFraud,
    /// `3`: other; `block_reason_desc` is required.
    Other,
}

impl Serialize for BlockCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(match self {
            Self::Harassment => 1,
            Self::SuspectedFraud => 2,
            Self::Other => 3,
        })
    }
}

/// `blockUser`: blocks a customer, with 1 to 9 evidence pictures.
#[derive(Debug, Clone, Serialize)]
pub struct BlockUser {
    /// The customer; a string on this endpoint's wire.
    #[serde(with = "meituan_wire::ids::as_string")]
    pub open_user_id: OpenUserId,
    /// The reason.
    pub block_code: BlockCode,
    /// Required when `block_code` is [`BlockCode::Other`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_reason_desc: Option<String>,
    /// Evidence picture ids from an image upload, sent comma-separated: the `pic_code`s of
    /// [`crate::image::UploadImage`] results (\[INF\], see [`crate::image::voucher_pic_id`]).
    #[serde(serialize_with = "comma_joined")]
    pub voucher_pic_ids: Vec<String>,
}

fn comma_joined<S: Serializer>(ids: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&ids.join(","))
}

impl Endpoint for BlockUser {
    const NAME: &'static str = "blockUser";
    type Response = OpResult;

    fn validate(&self, _: BusinessId) -> Result<(), ApiError> {
        if !(1..=9).contains(&self.voucher_pic_ids.len()) {
            return Err(ApiError::validation(
                Self::NAME,
                "voucher_pic_ids needs 1 to 9 ids",
            ));
        }
        if self
            .voucher_pic_ids
            .iter()
            .any(|id| id.trim().is_empty() || id.contains(','))
        {
            return Err(ApiError::validation(
                Self::NAME,
                "a voucher_pic_id is blank or contains a comma",
            ));
        }
        let blank_reason = self
            .block_reason_desc
            .as_deref()
            .is_none_or(|d| d.trim().is_empty());
        if self.block_code == BlockCode::Other && blank_reason {
            return Err(ApiError::validation(
                Self::NAME,
                "block_reason_desc is required when block_code is 3",
            ));
        }
        Ok(())
    }
}

/// `cancelBlockUser`: unblocks customers. businessId 2 accepts several ids, 16 exactly one.
#[derive(Debug, Clone, Serialize)]
pub struct CancelBlockUser {
    /// The customers, sent as one comma-separated string `open_user_id`.
    #[serde(rename = "open_user_id", serialize_with = "comma_joined_ids")]
    pub open_user_ids: Vec<OpenUserId>,
}

fn comma_joined_ids<S: Serializer>(ids: &[OpenUserId], serializer: S) -> Result<S::Ok, S::Error> {
    let joined: Vec<String> = ids.iter().map(ToString::to_string).collect();
    serializer.serialize_str(&joined.join(","))
}

impl Endpoint for CancelBlockUser {
    const NAME: &'static str = "cancelBlockUser";
    type Response = OpResult;

    fn validate(&self, business_id: BusinessId) -> Result<(), ApiError> {
        match (business_id, self.open_user_ids.len()) {
            (_, 0) => Err(ApiError::validation(Self::NAME, "no open_user_id given")),
            (BusinessId::Wmoper, n) if n > 1 => Err(ApiError::validation(
                Self::NAME,
                "businessId 16 unblocks one customer per call",
            )),
            _ => Ok(()),
        }
    }
}

/// `createGroup`: opens a review-contact group for a review.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CreateGroup {
    /// `1` = review contact (评价联系).
    pub group_type: i32,
    /// The review; required when `group_type` is 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment_id: Option<CommentId>,
}

impl CreateGroup {
    /// A review-contact group for `comment_id`.
    pub fn review_contact(comment_id: CommentId) -> Self {
        Self {
            group_type: 1,
            comment_id: Some(comment_id),
        }
    }
}

impl Endpoint for CreateGroup {
    const NAME: &'static str = "createGroup";
    type Response = CreatedGroup;

    fn validate(&self, _: BusinessId) -> Result<(), ApiError> {
        if self.group_type == 1 && self.comment_id.is_none() {
            return Err(ApiError::validation(
                Self::NAME,
                "comment_id is required for group_type 1",
            ));
        }
        Ok(())
    }
}

/// Response of [`CreateGroup`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedGroup {
    /// The group to send `biz_type` 4 messages to.
    pub group_id: GroupId,
    /// Creation time as sent (unit not documented).
    #[serde(default, deserialize_with = "opt_i64_from_number_or_string")]
    pub ctime: Option<i64>,
    /// Group state (values not documented).
    #[serde(default, deserialize_with = "opt_i32_from_number_or_string")]
    pub state: Option<i32>,
    /// Close type (not documented).
    #[serde(default, deserialize_with = "opt_string_from_scalar")]
    pub close_type: Option<String>,
    /// Whether the group was just created.
    #[serde(default, deserialize_with = "opt_string_from_scalar")]
    pub new_group: Option<String>,
}
