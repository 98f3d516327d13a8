//! OAuth token responses (§3). Their envelope differs from the business APIs: `code` is an
//! integer and `0` means success. The forms are built in [`crate::envelope`].

use meituan_wire::lenient::{opt_i64_from_number_or_string, opt_string_from_scalar};
use meituan_wire::TimeMs;
use serde::Deserialize;

use crate::credentials::{Secret, StoreToken};
use crate::error::ApiError;

/// Path of the code exchange.
pub const TOKEN_PATH: &str = "/oauth/token";
/// Path of the refresh.
pub const REFRESH_PATH: &str = "/oauth/refresh";

/// A token response: the token to use and keep, plus what the platform said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The new token; `expires_at` is computed from `expireIn` at receipt.
    pub token: StoreToken,
    /// Granted scope.
    pub scope: Option<String>,
    /// Unique id of the authorised entity (\[INF\] probably the store's ePoiId).
    pub op_biz_code: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default, deserialize_with = "opt_i64_from_number_or_string")]
    code: Option<i64>,
    #[serde(default)]
    msg: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "accessToken")]
    access_token: Secret,
    #[serde(
        rename = "expireIn",
        default,
        deserialize_with = "opt_i64_from_number_or_string"
    )]
    expire_in: Option<i64>,
    #[serde(rename = "refreshToken", default)]
    refresh_token: Option<Secret>,
    #[serde(default, deserialize_with = "opt_string_from_scalar")]
    scope: Option<String>,
    #[serde(
        rename = "opBizCode",
        default,
        deserialize_with = "opt_string_from_scalar"
    )]
    op_biz_code: Option<String>,
}

/// Reads a token response received at `now`. `previous_refresh` is kept when the response
/// has no refresh token (whether refresh tokens rotate is unknown, §3).
pub(crate) fn parse_token_response(
    endpoint: &str,
    body: &[u8],
    now: TimeMs,
    previous_refresh: Option<&Secret>,
) -> Result<TokenGrant, ApiError> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| ApiError::unreadable_body(endpoint, body, &e))?;
    let Some(code) = envelope.code else {
        return Err(ApiError::unreadable_because(
            endpoint,
            None,
            "a JSON reply without `code`: not the §3 token envelope".to_owned(),
        ));
    };
    let data = match (code, envelope.data) {
        (0, Some(data)) => data,
        (0, None) => {
            return Err(ApiError::unreadable_because(
                endpoint,
                None,
                "code 0 without `data`: no token in the reply".to_owned(),
            ))
        }
        (code, _) => {
            return Err(ApiError::OAuth {
                endpoint: endpoint.to_owned(),
                code,
                msg: envelope.msg.unwrap_or_default(),
            })
        }
    };
    let expires_at = data
        .expire_in
        .map(|secs| TimeMs(now.0.saturating_add(secs.saturating_mul(1000))));
    Ok(TokenGrant {
        token: StoreToken {
            access_token: data.access_token,
            refresh_token: data.refresh_token.or_else(|| previous_refresh.cloned()),
            expires_at,
        },
        scope: data.scope,
        op_biz_code: data.op_biz_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_computes_expiry_and_keeps_refresh_token() {
        let body = br#"{"code":0,"msg":"ok","data":{"accessToken":"a2","expireIn":3600,"refreshToken":"r2","scope":"all","opBizCode":"poi-1"}}"#;
        let grant = parse_token_response("oauth/refresh", body, TimeMs(1_000), None).unwrap();
        assert_eq!(grant.token.access_token.expose(), "a2");
        assert_eq!(grant.token.expires_at, Some(TimeMs(3_601_000)));
        assert_eq!(grant.op_biz_code.as_deref(), Some("poi-1"));

        let no_rotation = br#"{"code":0,"data":{"accessToken":"a3","expireIn":10}}"#;
        let old = Secret::new("r2");
        let grant =
            parse_token_response("oauth/refresh", no_rotation, TimeMs(0), Some(&old)).unwrap();
        assert_eq!(grant.token.refresh_token, Some(old));
    }

    #[test]
    fn non_zero_code_is_an_oauth_error() {
        let err = parse_token_response(
            "oauth/token",
            br#"{"code":1001,"msg":"bad code"}"#,
            TimeMs(0),
            None,
        )
        .unwrap_err();
        assert_eq!(
            err,
            ApiError::OAuth {
                endpoint: "oauth/token".into(),
                code: 1001,
                msg: "bad code".into()
            }
        );
    }
}
