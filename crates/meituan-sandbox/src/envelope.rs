//! The platform's answer shapes: the business envelope `{code,msg,traceId,data}` (§2.1), the
//! OAuth int-code envelope (§3) and the gateway's fault responses.
//!
//! The platform's own error codes are unknown \[INF\]; the sandbox answers with the fixed set in
//! [`ApiCode`], spelled in one of two [`Vocabulary`]s: the standard one, which the client
//! crate's built-in code table knows, and an alternate one it does not, so tests can show the
//! client and the desk still behave when the live platform speaks words nobody told them.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// The error codes the sandbox answers with (string `code` of the envelope).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApiCode {
    /// `OP_AUTH_TOKEN_EXPIRED`: the store token is past its expiry (or the fault forced it).
    AuthTokenExpired,
    /// `OP_AUTH_TOKEN_INVALID`: missing, unknown or for another businessId.
    AuthTokenInvalid,
    /// `OP_RATE_LIMITED`: too many calls (HTTP 200).
    RateLimited,
    /// `OP_SIGN_INVALID`: the SHA-1 sign does not match.
    SignInvalid,
    /// `OP_TIMESTAMP_INVALID`: not 10-digit seconds, or more than 10 minutes off.
    TimestampInvalid,
    /// `OP_DEVELOPER_INVALID`: unknown developerId.
    DeveloperInvalid,
    /// `OP_BUSINESS_ID_MISMATCH`: businessId does not match the path family.
    BusinessIdMismatch,
    /// `OP_PARAM_INVALID`: a field is missing, malformed or out of range.
    ParamInvalid,
    /// `OP_USER_BLOCKED`: the customer is blocked by the store.
    UserBlocked,
    /// `OP_CHAT_EXPIRED`: the order completed more than 48 hours ago.
    ChatExpired,
    /// `OP_IM_CLOSED`: the store's IM switch is off.
    ImClosed,
    /// `OP_STORE_UNKNOWN`: no such store for this developer.
    StoreUnknown,
}

impl ApiCode {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiCode::AuthTokenExpired => "OP_AUTH_TOKEN_EXPIRED",
            ApiCode::AuthTokenInvalid => "OP_AUTH_TOKEN_INVALID",
            ApiCode::RateLimited => "OP_RATE_LIMITED",
            ApiCode::SignInvalid => "OP_SIGN_INVALID",
            ApiCode::TimestampInvalid => "OP_TIMESTAMP_INVALID",
            ApiCode::DeveloperInvalid => "OP_DEVELOPER_INVALID",
            ApiCode::BusinessIdMismatch => "OP_BUSINESS_ID_MISMATCH",
            ApiCode::ParamInvalid => "OP_PARAM_INVALID",
            ApiCode::UserBlocked => "OP_USER_BLOCKED",
            ApiCode::ChatExpired => "OP_CHAT_EXPIRED",
            ApiCode::ImClosed => "OP_IM_CLOSED",
            ApiCode::StoreUnknown => "OP_STORE_UNKNOWN",
        }
    }
}

/// How the sandbox spells its refusals.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Vocabulary {
    /// `OP_*` string codes and English messages that name the field at fault (the codes of
    /// the client's built-in table).
    #[default]
    Standard,
    /// Numeric codes (as JSON numbers) and fixed Chinese messages that name nothing: a
    /// platform whose words no code table and no message match knows.
    Alternate,
}

impl Vocabulary {
    /// Parses `standard` or `alternate`.
    pub fn parse(name: &str) -> Option<Vocabulary> {
        match name.trim() {
            "standard" => Some(Vocabulary::Standard),
            "alternate" => Some(Vocabulary::Alternate),
            _ => None,
        }
    }

    /// The envelope's `code` for `code`.
    pub fn code(self, code: ApiCode) -> Value {
        match self {
            Vocabulary::Standard => Value::from(code.as_str()),
            Vocabulary::Alternate => Value::from(code.alternate().0),
        }
    }

    /// The envelope's `msg` for a refusal with `code` and the standard message `msg`.
    pub fn msg(self, code: ApiCode, msg: &str) -> String {
        match self {
            Vocabulary::Standard => msg.to_owned(),
            Vocabulary::Alternate => code.alternate().1.to_owned(),
        }
    }
}

impl ApiCode {
    /// The alternate vocabulary's code and message. Its messages share no words with the
    /// standard ones (no field names), so matching message text cannot stand in for a table.
    pub fn alternate(self) -> (i64, &'static str) {
        match self {
            ApiCode::AuthTokenExpired => (1101, "授权已失效"),
            ApiCode::AuthTokenInvalid => (1102, "授权令牌无效"),
            ApiCode::RateLimited => (1201, "调用过于频繁，请稍后再试"),
            ApiCode::SignInvalid => (1301, "签名验证失败"),
            ApiCode::TimestampInvalid => (1302, "请求时间无效"),
            ApiCode::DeveloperInvalid => (1303, "开发者不存在"),
            ApiCode::BusinessIdMismatch => (1304, "业务类型不匹配"),
            ApiCode::ParamInvalid => (1401, "请求参数有误"),
            ApiCode::UserBlocked => (1501, "该顾客已被商家屏蔽，无法发送"),
            ApiCode::ChatExpired => (1502, "会话已超过可回复时间"),
            ApiCode::ImClosed => (1503, "门店未开启消息功能"),
            ApiCode::StoreUnknown => (1601, "门店不存在"),
        }
    }
}

/// `OP_SUCCESS`.
pub const OP_SUCCESS: &str = "OP_SUCCESS";

/// A refusal: a code and a message (never secrets or customer text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The code.
    pub code: ApiCode,
    /// Human-readable reason.
    pub msg: String,
}

impl ApiError {
    /// A refusal with `code` and `msg`.
    pub fn new(code: ApiCode, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
        }
    }
    /// `OP_PARAM_INVALID` with `msg`.
    pub fn param(msg: impl Into<String>) -> Self {
        Self::new(ApiCode::ParamInvalid, msg)
    }
}

/// Result of an endpoint: `data` (or none) or a refusal.
pub type ApiResult = Result<Option<Value>, ApiError>;

/// Builds the HTTP 200 business envelope, refusals spelled in `vocabulary`.
pub fn business(trace_id: &str, result: ApiResult, vocabulary: Vocabulary) -> Response {
    let body = match result {
        Ok(Some(data)) => {
            json!({"code": OP_SUCCESS, "msg": "success", "traceId": trace_id, "data": data})
        }
        Ok(None) => json!({"code": OP_SUCCESS, "msg": "success", "traceId": trace_id}),
        Err(e) => json!({
            "code": vocabulary.code(e.code),
            "msg": vocabulary.msg(e.code, &e.msg),
            "traceId": trace_id,
        }),
    };
    json_response(StatusCode::OK, &body)
}

/// OAuth error codes (§3 int envelope; 0 is success). The platform's values are unknown \[INF\].
pub mod oauth_code {
    /// Success.
    pub const OK: i64 = 0;
    /// A field is missing or malformed.
    pub const PARAM_INVALID: i64 = 1001;
    /// Unknown developerId.
    pub const DEVELOPER_INVALID: i64 = 1002;
    /// Bad sign.
    pub const SIGN_INVALID: i64 = 1003;
    /// Timestamp outside the 10-minute window.
    pub const TIMESTAMP_INVALID: i64 = 1004;
    /// Unknown, used or foreign authorization code.
    pub const CODE_INVALID: i64 = 1005;
    /// Unknown or already rotated refresh token.
    pub const REFRESH_TOKEN_INVALID: i64 = 1006;
}

/// Builds the OAuth int-code envelope.
pub fn oauth(trace_id: &str, code: i64, msg: &str, data: Option<Value>) -> Response {
    let mut body = json!({"code": code, "msg": msg, "traceId": trace_id});
    if let Some(d) = data {
        body["data"] = d;
    }
    json_response(StatusCode::OK, &body)
}

/// HTTP 500 with a plain-text (non-JSON) body: the gateway fault.
pub fn http_500() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<html><body><h1>500 Internal Server Error</h1></body></html>",
    )
        .into_response()
}

/// HTTP 503 with a JSON body: the gateway fault.
pub fn http_503(trace_id: &str, vocabulary: Vocabulary) -> Response {
    let (code, msg) = match vocabulary {
        Vocabulary::Standard => (json!("OP_SERVICE_UNAVAILABLE"), "service unavailable"),
        Vocabulary::Alternate => (json!(1001), "系统繁忙"),
    };
    let body = json!({"code": code, "msg": msg, "traceId": trace_id});
    json_response(StatusCode::SERVICE_UNAVAILABLE, &body)
}

/// A JSON response with `status`.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alternate_vocabulary_shares_no_code_and_no_hint_with_the_standard_one() {
        let all = [
            ApiCode::AuthTokenExpired,
            ApiCode::AuthTokenInvalid,
            ApiCode::RateLimited,
            ApiCode::SignInvalid,
            ApiCode::TimestampInvalid,
            ApiCode::DeveloperInvalid,
            ApiCode::BusinessIdMismatch,
            ApiCode::ParamInvalid,
            ApiCode::UserBlocked,
            ApiCode::ChatExpired,
            ApiCode::ImClosed,
            ApiCode::StoreUnknown,
        ];
        let mut seen = std::collections::HashSet::new();
        for code in all {
            let alt = Vocabulary::Alternate;
            assert!(
                seen.insert(code.alternate().0),
                "{code:?} has its own number"
            );
            assert!(alt.code(code).is_i64());
            let msg = alt.msg(code, "msg_content: does not decrypt");
            assert!(!msg.contains("msg_content") && !msg.is_ascii(), "{msg}");
            assert_eq!(Vocabulary::Standard.code(code), json!(code.as_str()));
        }
        assert_eq!(Vocabulary::parse("alternate"), Some(Vocabulary::Alternate));
        assert_eq!(Vocabulary::parse("nope"), None);
    }
}
