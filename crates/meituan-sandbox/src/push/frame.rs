//! The push frame \[INF\]: `{"app_id","epoiId","biz_type","push_content"}` with `msg_content`
//! encrypted under the current imSecret, percent-encoded exactly like JavaScript's
//! `encodeURIComponent`. The one place the sandbox decides the frame shape.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;
use serde_json::{Map, Value};

use super::PushItem;
use crate::cipher;

/// The characters `encodeURIComponent` leaves alone: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Percent-encodes `text` as `encodeURIComponent` does.
pub fn encode_uri_component(text: &str) -> String {
    utf8_percent_encode(text, URI_COMPONENT).to_string()
}

/// The wrapper, serialized straight from the push item (no JSON tree is built).
#[derive(Serialize)]
struct Wire<'a> {
    app_id: i64,
    #[serde(rename = "epoiId")]
    epoi_id: &'a str,
    biz_type: i32,
    push_content: WireContent<'a>,
}

#[derive(Serialize)]
struct WireContent<'a> {
    #[serde(flatten)]
    fields: &'a Map<String, Value>,
    msg_content: &'a str,
}

/// The text frame sent on the wire: the frame JSON, percent-encoded.
pub(crate) fn frame_text(app_id: i64, im_secret: &str, item: &PushItem) -> String {
    // A secret shorter than 16 bytes cannot happen (the sandbox makes 20-character ones);
    // fall back to the plain text rather than panic.
    let text = cipher::encrypt(im_secret, &item.plain).unwrap_or_else(|_| item.plain.clone());
    let wire = Wire {
        app_id,
        epoi_id: &item.epoi_id,
        biz_type: item.biz_type,
        push_content: WireContent {
            fields: &item.fields,
            msg_content: &text,
        },
    };
    // Serializing strings, integers and a map of JSON values cannot fail.
    let json = serde_json::to_string(&wire).unwrap_or_default();
    encode_uri_component(&json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_encode_uri_component() {
        // Expected values from JavaScript: encodeURIComponent("{\"a\":\"你好 +/?\"}!*'()~")
        assert_eq!(
            encode_uri_component("{\"a\":\"你好 +/?\"}!*'()~"),
            "%7B%22a%22%3A%22%E4%BD%A0%E5%A5%BD%20%2B%2F%3F%22%7D!*'()~"
        );
    }
}
