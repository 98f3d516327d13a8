//! Sending and reading messages (§4.3–§4.5).

use meituan_wire::{AppId, BizType, BusinessId, MsgId, OpenUserId, PushContent, StoreId, TimeMs};
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::error::ApiError;
use crate::types::{Ack, OpResult};

/// `msg/send`: sends one message. Idempotent by `push_content.msg_id`: a retry must reuse
/// the same id. `msg_content` must already be encrypted (`meituan_wire::cipher`).
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

    /// Checks the fields §4.3 requires for the conversation kind.
    fn validate(&self, _: BusinessId) -> Result<(), ApiError> {
        let p = &self.push_content;
        let missing = match self.biz_type {
            BizType::TwoParty if p.open_user_id.is_none() => Some("open_user_id"),
            BizType::ReviewContact if p.comment_id.is_none() => Some("comment_id"),
            BizType::ReviewContact | BizType::FansGroup | BizType::RiderGroup
                if p.group_id.is_none() =>
            {
                Some("group_id")
            }
            BizType::RiderGroup if p.open_user_id.is_none() => Some("open_user_id"),
            BizType::RiderGroup if p.rider_id.is_none() => Some("rider_id"),
            BizType::Unknown(_) => {
                return Err(ApiError::validation(Self::NAME, "unknown biz_type"));
            }
            _ => None,
        };
        match missing {
            Some(field) => Err(ApiError::validation(
                Self::NAME,
                format!("{field} is required for biz_type {}", self.biz_type.code()),
            )),
            None if p.msg_content.is_empty() => {
                Err(ApiError::validation(Self::NAME, "msg_content is empty"))
            }
            None => Ok(()),
        }
    }
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
/// `cts`), so it decodes straight into [`TimeMs`]; a merchant message is read when
/// `cts_ms <= last_read_time` \[INF\].
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
