//! The platform's answer shapes: the business envelope `{code,msg,traceId,data}` (§2.1), the
//! OAuth int-code envelope (§3) and the gateway's fault responses.
//!
//! The platform's own error codes are unknown \[INF\]; the sandbox answers with the fixed set in
//! [`ApiCode`], which the client crate treats as its defaults.

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

/// Builds the HTTP 200 business envelope.
pub fn business(trace_id: &str, result: ApiResult) -> Response {
    let body = match result {
        Ok(Some(data)) => {
            json!({"code": OP_SUCCESS, "msg": "success", "traceId": trace_id, "data": data})
        }
        Ok(None) => json!({"code": OP_SUCCESS, "msg": "success", "traceId": trace_id}),
        Err(e) => json!({"code": e.code.as_str(), "msg": e.msg, "traceId": trace_id}),
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
pub fn http_503(trace_id: &str) -> Response {
    let body = json!({"code": "OP_SERVICE_UNAVAILABLE", "msg": "service unavailable", "traceId": trace_id});
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
