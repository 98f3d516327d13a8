//! The request envelope (§1.2, §3) and its form body (§1.3).
//!
//! [`SignedForm`] holds the fields exactly as they are signed and sent. Blank values (empty
//! or whitespace only) are dropped *before* signing, because the body leaves them out (§1.3)
//! and a field that is signed but not sent would break the signature. `biz` is serialized
//! once, by [`Biz`], and that same string is both signed and sent.

use std::fmt;

use meituan_wire::{BusinessId, UnixSeconds};
use serde::Serialize;

use crate::credentials::DeveloperCredentials;
use crate::sign::sign;

/// The `biz` form field: absent for endpoints without parameters, otherwise JSON text.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Biz(Option<String>);

impl Biz {
    /// No `biz` field at all (not `{}`), for endpoints without parameters.
    pub const NONE: Biz = Biz(None);

    /// `biz` as the JSON object of `params` (null fields must already be skipped by serde).
    pub fn object<T: Serialize + ?Sized>(params: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_string(params).map(|json| Self(Some(json)))
    }

    /// `biz` as given JSON text, used verbatim.
    pub fn json_text(json: impl Into<String>) -> Self {
        Self(Some(json.into()))
    }

    /// The opaque `data` form of some businessId-2 endpoints (§1.2): `biz` is the JSON
    /// encoding of the string `data`, a quoted string literal such as `"{\"a\":1}"`.
    pub fn quoted_string(data: &str) -> Self {
        // Serializing a &str cannot fail; fall back to an explicit literal just in case.
        Self(Some(serde_json::to_string(data).unwrap_or_else(|_| {
            format!("\"{}\"", data.escape_default())
        })))
    }

    /// The JSON text that is signed and sent, if any.
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl fmt::Debug for Biz {
    // biz can carry message content (msg/send), so only its size is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("Biz(none)"),
            Some(json) => write!(f, "Biz(<{} bytes>)", json.len()),
        }
    }
}

/// Envelope fields in the order they were added, plus the computed `sign`.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedForm {
    fields: Vec<(&'static str, String)>,
}

impl SignedForm {
    /// Signs `fields` with the developer's key: blank values are dropped, then `sign` is
    /// computed over the rest and appended.
    pub fn new(dev: &DeveloperCredentials, fields: Vec<(&'static str, String)>) -> Self {
        let mut kept: Vec<(&'static str, String)> = fields
            .into_iter()
            .filter(|(name, value)| !value.trim().is_empty() && !name.eq_ignore_ascii_case("sign"))
            .collect();
        let signature = sign(
            dev.sign_key.expose(),
            kept.iter().map(|(n, v)| (*n, v.as_str())),
        );
        kept.push(("sign", signature));
        Self { fields: kept }
    }

    /// The value of field `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The computed signature.
    pub fn sign(&self) -> &str {
        self.get("sign").unwrap_or_default()
    }

    /// Field names in body order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().map(|(n, _)| *n)
    }

    /// The `application/x-www-form-urlencoded` body: `name=value` pairs joined by `&`, values
    /// encoded with HTML-form rules in UTF-8 (space as `+`; `A-Z a-z 0-9 . - * _` kept).
    pub fn encode(&self) -> String {
        let mut body = String::new();
        for (name, value) in &self.fields {
            if !body.is_empty() {
                body.push('&');
            }
            body.push_str(name);
            body.push('=');
            body.extend(url::form_urlencoded::byte_serialize(value.as_bytes()));
        }
        body
    }
}

impl fmt::Debug for SignedForm {
    // Values include tokens and message content: show names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedForm")
            .field(
                "fields",
                &self.fields.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn common_fields(
    dev: &DeveloperCredentials,
    business_id: BusinessId,
    timestamp: UnixSeconds,
) -> Vec<(&'static str, String)> {
    vec![
        ("timestamp", timestamp.get().to_string()),
        ("businessId", business_id.code().to_string()),
        ("developerId", dev.developer_id.to_string()),
        ("charset", "UTF-8".to_owned()),
    ]
}

/// The envelope of a business API call (§1.2): `biz` (if any), `timestamp`, `businessId`,
/// `developerId`, `charset`, `version` = 2, `appAuthToken` (if any) and `sign`.
pub fn api_form(
    dev: &DeveloperCredentials,
    business_id: BusinessId,
    app_auth_token: Option<&str>,
    biz: &Biz,
    timestamp: UnixSeconds,
) -> SignedForm {
    let mut fields = Vec::with_capacity(8);
    if let Some(json) = biz.as_str() {
        fields.push(("biz", json.to_owned()));
    }
    fields.extend(common_fields(dev, business_id, timestamp));
    fields.push(("version", "2".to_owned()));
    if let Some(token) = app_auth_token {
        fields.push(("appAuthToken", token.to_owned()));
    }
    SignedForm::new(dev, fields)
}

/// The envelope of `POST /oauth/token` (§3): exchanges an authorization `code`.
pub fn oauth_token_form(
    dev: &DeveloperCredentials,
    business_id: BusinessId,
    code: &str,
    timestamp: UnixSeconds,
) -> SignedForm {
    let mut fields = common_fields(dev, business_id, timestamp);
    fields.push(("code", code.to_owned()));
    fields.push(("grantType", "authorization_code".to_owned()));
    SignedForm::new(dev, fields)
}

/// The envelope of `POST /oauth/refresh` (§3).
pub fn oauth_refresh_form(
    dev: &DeveloperCredentials,
    business_id: BusinessId,
    refresh_token: &str,
    timestamp: UnixSeconds,
) -> SignedForm {
    let mut fields = common_fields(dev, business_id, timestamp);
    fields.push(("refreshToken", refresh_token.to_owned()));
    fields.push(("grantType", "refresh_token".to_owned()));
    fields.push(("scope", "all".to_owned()));
    SignedForm::new(dev, fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> DeveloperCredentials {
        DeveloperCredentials::new(100_001, "testSignKey")
    }

    #[test]
    fn worked_example_body() {
        let form = api_form(
            &dev(),
            BusinessId::Waimai,
            Some("tok-abc"),
            &Biz::json_text(r#"{"biz_type":1}"#),
            UnixSeconds(1_700_000_000),
        );
        assert_eq!(form.sign(), "92daa8c2bf7931dc9ea73105cb74150a243cdde0");
        let body = form.encode();
        let mut got: Vec<&str> = body.split('&').collect();
        let mut want: Vec<&str> = "biz=%7B%22biz_type%22%3A1%7D&timestamp=1700000000&businessId=2&developerId=100001&charset=UTF-8&version=2&appAuthToken=tok-abc&sign=92daa8c2bf7931dc9ea73105cb74150a243cdde0".split('&').collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn oauth_token_example() {
        let form = oauth_token_form(
            &dev(),
            BusinessId::Waimai,
            "auth-code-xyz",
            UnixSeconds(1_700_000_000),
        );
        assert_eq!(form.sign(), "974fb440310c0b991676b04dd4f0f1048d8164f5");
        assert_eq!(form.get("version"), None);
        assert_eq!(form.get("biz"), None);
    }

    #[test]
    fn no_biz_means_no_field_and_blank_token_is_dropped_from_sign_and_body() {
        let form = api_form(
            &dev(),
            BusinessId::Wmoper,
            Some("  "),
            &Biz::NONE,
            UnixSeconds(1),
        );
        let names: Vec<_> = form.names().collect();
        assert!(!names.contains(&"biz"));
        assert!(!names.contains(&"appAuthToken"));
        assert!(!form.encode().contains("biz="));
    }

    #[test]
    fn form_encoding_follows_html_form_rules() {
        let form = api_form(
            &dev(),
            BusinessId::Wmoper,
            None,
            &Biz::json_text("a b.-*_~你"),
            UnixSeconds(1),
        );
        assert!(form.encode().starts_with("biz=a+b.-*_%7E%E4%BD%A0&"));
    }

    #[test]
    fn quoted_string_biz_is_a_json_string_literal() {
        let biz = Biz::quoted_string(r#"{"a":1}"#);
        assert_eq!(biz.as_str(), Some(r#""{\"a\":1}""#));
    }

    #[test]
    fn debug_hides_values() {
        let form = api_form(
            &dev(),
            BusinessId::Waimai,
            Some("tok-abc"),
            &Biz::NONE,
            UnixSeconds(1),
        );
        let shown = format!("{form:?}");
        assert!(!shown.contains("tok-abc") && shown.contains("appAuthToken"));
    }
}
