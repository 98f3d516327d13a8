//! `/oauth/token` and `/oauth/refresh` (§3), with the int-code envelope.
//!
//! Authorization codes are minted through the sandbox's Rust API or control route; each is
//! single-use. Refresh tokens rotate: a refresh returns a new one and the old one stops working.
//! Access tokens expire after the configured TTL (`expireIn`).

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::verify;
use crate::app::Shared;
use crate::clock;
use crate::envelope::{self, oauth_code, ApiCode, ApiError};

pub(crate) fn handle(
    app: &Shared,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    trace: &str,
) -> Response {
    match exchange(app, path, headers, body) {
        Ok(data) => envelope::oauth(trace, oauth_code::OK, "success", Some(data)),
        Err((code, msg)) => envelope::oauth(trace, code, &msg, None),
    }
}

fn from_api(e: ApiError) -> (i64, String) {
    let code = match e.code {
        ApiCode::DeveloperInvalid => oauth_code::DEVELOPER_INVALID,
        ApiCode::SignInvalid => oauth_code::SIGN_INVALID,
        ApiCode::TimestampInvalid => oauth_code::TIMESTAMP_INVALID,
        _ => oauth_code::PARAM_INVALID,
    };
    (code, e.msg)
}

fn exchange(
    app: &Shared,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, (i64, String)> {
    let fields = verify::parse_form(headers, body).map_err(from_api)?;
    let now_ms = clock::now_ms();
    let skew = i64::try_from(app.config.timestamp_skew.as_secs()).unwrap_or(i64::MAX);
    let mut w = app.world();
    let param = |m: &str| (oauth_code::PARAM_INVALID, m.to_string());
    let (required, grant): (&[&str], &str) = match path {
        "/oauth/token" => (&["code", "grantType"], "authorization_code"),
        "/oauth/refresh" => (&["refreshToken", "grantType", "scope"], "refresh_token"),
        _ => return Err(param("no such OAuth path")),
    };
    let business_id =
        verify::check_envelope(&w, &fields, required, now_ms / 1000, skew).map_err(from_api)?;
    if fields.get("grantType").map(String::as_str) != Some(grant) {
        return Err(param("grantType does not match the call"));
    }
    for forbidden in ["biz", "version", "appAuthToken"] {
        if fields.contains_key(forbidden) {
            return Err(param("OAuth calls carry no biz, version or appAuthToken"));
        }
    }
    let store = if path == "/oauth/token" {
        let code = fields.get("code").map(String::as_str).unwrap_or("");
        let store = *w.auth_codes.get(code).ok_or((
            oauth_code::CODE_INVALID,
            "unknown or used authorization code".into(),
        ))?;
        if w.stores[store].business_id != business_id {
            return Err((
                oauth_code::CODE_INVALID,
                "the code was issued for another businessId".into(),
            ));
        }
        w.auth_codes.remove(code);
        store
    } else {
        if fields.get("scope").map(String::as_str) != Some("all") {
            return Err(param("scope must be all"));
        }
        let rt = fields.get("refreshToken").map(String::as_str).unwrap_or("");
        let store = *w.refresh_tokens.get(rt).ok_or((
            oauth_code::REFRESH_TOKEN_INVALID,
            "unknown or rotated refresh token".into(),
        ))?;
        if w.stores[store].business_id != business_id {
            return Err((
                oauth_code::REFRESH_TOKEN_INVALID,
                "the refresh token belongs to another businessId".into(),
            ));
        }
        w.refresh_tokens.remove(rt);
        store
    };
    let access = w.issue_access_token(store, now_ms);
    let refresh = w.issue_refresh_token(store);
    Ok(json!({
        "accessToken": access,
        "expireIn": w.token_ttl_ms / 1000,
        "refreshToken": refresh,
        "scope": "all",
        "opBizCode": w.stores[store].epoi_id,
    }))
}
