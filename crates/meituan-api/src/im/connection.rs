//! Long-connection tokens (§4.1, §4.2) for the push crate.

use std::fmt;

use meituan_wire::lenient::i64_from_number_or_string;
use meituan_wire::AppId;
use serde::{Deserialize, Serialize};

use crate::credentials::Secret;
use crate::endpoint::Endpoint;

/// `getConnectionToken`: one token, its connectionId and the imSecret. No parameters.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetConnectionToken;

impl Endpoint for GetConnectionToken {
    const NAME: &'static str = "getConnectionToken";
    const HAS_PARAMS: bool = false;
    type Response = ConnectionToken;
}

/// Response of [`GetConnectionToken`]. `Debug` redacts the token and the secret.
#[derive(Clone, Deserialize)]
pub struct ConnectionToken {
    /// Token used to open the long connection.
    #[serde(rename = "connectionToken")]
    pub connection_token: Secret,
    /// Connection key, used in the WebSocket URL.
    #[serde(rename = "connectionId")]
    pub connection_id: String,
    /// Key for `msg_content` (see `meituan_wire::cipher`).
    #[serde(rename = "imSecret")]
    pub im_secret: Secret,
    /// Customers whose messages failed to deliver in the last 30 minutes.
    #[serde(
        rename = "userCount",
        default,
        deserialize_with = "i64_from_number_or_string"
    )]
    pub user_count: i64,
}

impl fmt::Debug for ConnectionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionToken")
            .field("connection_id", &self.connection_id)
            .field("user_count", &self.user_count)
            .finish_non_exhaustive()
    }
}

/// `getConnectionTokenWithCount`: several tokens for redundant sockets.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct GetConnectionTokenWithCount {
    /// Tokens wanted: 3 recommended, 5 at most.
    pub required_token_count: i32,
}

impl Endpoint for GetConnectionTokenWithCount {
    const NAME: &'static str = "getConnectionTokenWithCount";
    type Response = ConnectionTokens;

    fn validate(&self, _: meituan_wire::BusinessId) -> Result<(), crate::ApiError> {
        if (1..=5).contains(&self.required_token_count) {
            Ok(())
        } else {
            Err(crate::ApiError::validation(
                Self::NAME,
                "required_token_count must be 1 to 5",
            ))
        }
    }
}

/// Response of [`GetConnectionTokenWithCount`]. It has no connectionId (§4.2): the WebSocket
/// URL needs one, and `meituan_push::endpoint::with_count_connection_id` derives it from
/// `appkey` \[INF\] (§6.2, open question 3). This crate does not guess it, so the guess has
/// one owner, beside the URL it is used in.
#[derive(Debug, Clone, Deserialize)]
pub struct ConnectionTokens {
    /// One entry per token.
    #[serde(default)]
    pub token_infos: Vec<ConnectionTokenInfo>,
    /// App key.
    pub appkey: AppId,
    /// Message encryption key.
    #[serde(rename = "imSecret")]
    pub im_secret: Secret,
}

/// One token of [`ConnectionTokens`]. `Debug` redacts the token.
#[derive(Clone, Deserialize)]
pub struct ConnectionTokenInfo {
    /// Connection token.
    #[serde(rename = "connectionToken")]
    pub connection_token: Secret,
    /// Customers whose two-party messages failed recently.
    #[serde(
        rename = "userSendFailCount",
        default,
        deserialize_with = "i64_from_number_or_string"
    )]
    pub user_send_fail_count: i64,
    /// Reviews whose review-contact messages failed recently (a string on the wire).
    #[serde(
        rename = "commentSendFailCount",
        default,
        deserialize_with = "i64_from_number_or_string"
    )]
    pub comment_send_fail_count: i64,
}

impl fmt::Debug for ConnectionTokenInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionTokenInfo")
            .field("user_send_fail_count", &self.user_send_fail_count)
            .field("comment_send_fail_count", &self.comment_send_fail_count)
            .finish_non_exhaustive()
    }
}
