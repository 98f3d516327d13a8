//! The push frame \[INF\]: `{"app_id","epoiId","biz_type","push_content"}` with `msg_content`
//! encrypted under the current imSecret, percent-encoded exactly like JavaScript's
//! `encodeURIComponent`. The one place the sandbox decides the frame shape.

use serde::Serialize;
use serde_json::{Map, Value};

use super::PushItem;
use crate::cipher;

/// True for the bytes `encodeURIComponent` leaves alone: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// Percent-encodes what is written to it, as `encodeURIComponent` does, so the frame JSON is
/// encoded as it is serialized, in one pass and without an intermediate string.
struct UriComponentWriter(String);

impl std::io::Write for UriComponentWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for &b in bytes {
            if unreserved(b) {
                self.0.push(char::from(b));
            } else {
                self.0.push('%');
                self.0.push(char::from(HEX[usize::from(b >> 4)]));
                self.0.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Percent-encodes `text` as `encodeURIComponent` does.
pub fn encode_uri_component(text: &str) -> String {
    let mut out = UriComponentWriter(String::with_capacity(text.len() * 3));
    // Writing into a string cannot fail.
    let _ = std::io::Write::write_all(&mut out, text.as_bytes());
    out.0
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
    // Serializing strings, integers and a map of JSON values into a string cannot fail.
    let mut out = UriComponentWriter(String::with_capacity(3 * (text.len() + 160)));
    let _ = serde_json::to_writer(&mut out, &wire);
    out.0
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

    #[test]
    fn encodes_every_ascii_character_as_encode_uri_component_does() {
        // What encodeURIComponent leaves alone (ECMA-262 uriUnreserved); the rest is %XX.
        const UNRESERVED: &str =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()";
        for b in 0u8..128 {
            let c = char::from(b);
            let expected = if UNRESERVED.contains(c) {
                c.to_string()
            } else {
                format!("%{b:02X}")
            };
            assert_eq!(encode_uri_component(&c.to_string()), expected, "byte {b}");
        }
        // Four-byte UTF-8, from JavaScript: encodeURIComponent("🍜").
        assert_eq!(encode_uri_component("🍜"), "%F0%9F%8D%9C");
        assert_eq!(encode_uri_component(""), "");
    }
}
