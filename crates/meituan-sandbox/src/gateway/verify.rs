//! The gateway's checks on the form envelope (§1), in the order the sandbox applies them:
//! content type and body, required fields, developerId, sign, timestamp, charset and version,
//! businessId against the path family, then the store token.

use axum::http::{header, HeaderMap};
use std::collections::BTreeMap;

use super::sign::{same_sign, sign};
use crate::envelope::{ApiCode, ApiError};
use crate::state::World;

/// The decoded form fields.
pub(crate) type Fields = BTreeMap<String, String>;

/// Parses an `application/x-www-form-urlencoded` body; a repeated field name is refused.
pub(crate) fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<Fields, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(ApiError::param(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    let mut fields = Fields::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if fields.insert(k.to_string(), v.to_string()).is_some() {
            return Err(ApiError::param(format!("field {k} appears twice")));
        }
    }
    Ok(fields)
}

/// Checks shared by business calls and OAuth calls; returns the businessId.
///
/// `required` lists the fields that must be present besides the common ones.
pub(crate) fn check_envelope(
    w: &World,
    fields: &Fields,
    required: &[&str],
    now_secs: i64,
    skew_secs: i64,
) -> Result<u8, ApiError> {
    for name in ["timestamp", "businessId", "developerId", "charset", "sign"]
        .iter()
        .chain(required)
    {
        if fields.get(*name).is_none_or(|v| v.trim().is_empty()) {
            return Err(ApiError::param(format!("missing field {name}")));
        }
    }
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    if get("developerId").parse::<i64>().ok() != Some(w.developer_id) {
        return Err(ApiError::new(
            ApiCode::DeveloperInvalid,
            "unknown developerId",
        ));
    }
    if !same_sign(&sign(&w.sign_key, fields), get("sign")) {
        return Err(ApiError::new(ApiCode::SignInvalid, "sign does not match"));
    }
    let ts = get("timestamp");
    let ok_ts = ts.len() == 10 && ts.bytes().all(|b| b.is_ascii_digit());
    match ts.parse::<i64>() {
        Ok(t) if ok_ts && (now_secs - t).abs() <= skew_secs => {}
        _ => {
            return Err(ApiError::new(
                ApiCode::TimestampInvalid,
                "timestamp must be Unix seconds within 10 minutes",
            ))
        }
    }
    if get("charset") != "UTF-8" {
        return Err(ApiError::param("charset must be UTF-8"));
    }
    if fields.contains_key("version") && get("version") != "2" {
        return Err(ApiError::param("version must be 2"));
    }
    match get("businessId") {
        "2" => Ok(2),
        "16" => Ok(16),
        _ => Err(ApiError::new(
            ApiCode::BusinessIdMismatch,
            "businessId must be 2 or 16",
        )),
    }
}

/// Resolves `appAuthToken` to a store for `business_id`.
pub(crate) fn check_token(
    w: &World,
    token: Option<&str>,
    business_id: u8,
    now_ms: i64,
    forced_expired: bool,
) -> Result<usize, ApiError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(ApiError::new(
            ApiCode::AuthTokenInvalid,
            "appAuthToken is required",
        ));
    };
    let Some(t) = w.tokens.get(token) else {
        return Err(ApiError::new(
            ApiCode::AuthTokenInvalid,
            "unknown appAuthToken",
        ));
    };
    if t.business_id != business_id {
        return Err(ApiError::new(
            ApiCode::AuthTokenInvalid,
            "appAuthToken was not authorised for this businessId",
        ));
    }
    if forced_expired || t.expires_at_ms <= now_ms {
        return Err(ApiError::new(
            ApiCode::AuthTokenExpired,
            "appAuthToken expired; refresh it",
        ));
    }
    Ok(t.store)
}
