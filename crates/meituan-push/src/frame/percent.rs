//! `decodeURIComponent` semantics (§6.3): `%XX` sequences are decoded as UTF-8 bytes, `+`
//! stays `+`, and a malformed escape or an invalid UTF-8 result is an error, as in JS.
//!
//! One pass: runs between escapes are copied whole (found with `memchr`), each escape is
//! decoded in place, and the result is validated as UTF-8 once. `percent_encoding`'s decoder
//! yields one byte at a time and needed a separate pass to find malformed escapes; on the
//! platform's frames (JSON whose punctuation is all escaped) that was a tenth of the desk's
//! push-reading CPU.

use std::borrow::Cow;

/// Why text does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PercentError {
    /// A `%` not followed by two hex digits.
    Malformed,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

/// Decodes like JavaScript's `decodeURIComponent`.
pub(crate) fn decode_uri_component(text: &str) -> Result<Cow<'_, str>, PercentError> {
    let bytes = text.as_bytes();
    let Some(first) = memchr::memchr(b'%', bytes) else {
        return Ok(Cow::Borrowed(text));
    };
    // Every escape shrinks three bytes to one, so the input's length is enough.
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut at = first;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let (Some(high), Some(low)) = (
                bytes.get(at + 1).and_then(|&b| hex_value(b)),
                bytes.get(at + 2).and_then(|&b| hex_value(b)),
            ) else {
                return Err(PercentError::Malformed);
            };
            out.push(high << 4 | low);
            at += 3;
        } else {
            let end = memchr::memchr(b'%', &bytes[at..]).map_or(bytes.len(), |n| at + n);
            out.extend_from_slice(&bytes[at..end]);
            at = end;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| PercentError::NotUtf8)
}

/// The value of one hex digit.
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_and_keeps_plus() {
        let s = decode_uri_component("%E4%BD%A0%E5%A5%BD+a%20b%2B").unwrap();
        assert_eq!(s, "你好+a b+");
        assert_eq!(decode_uri_component("plain{}").unwrap(), "plain{}");
    }

    #[test]
    fn rejects_what_decode_uri_component_rejects() {
        assert_eq!(decode_uri_component("%"), Err(PercentError::Malformed));
        assert_eq!(decode_uri_component("ab%4"), Err(PercentError::Malformed));
        assert_eq!(decode_uri_component("%zz"), Err(PercentError::Malformed));
        assert_eq!(decode_uri_component("%FF%FE"), Err(PercentError::NotUtf8));
        assert_eq!(decode_uri_component("%E4%BD"), Err(PercentError::NotUtf8));
        assert_eq!(decode_uri_component("a%4g"), Err(PercentError::Malformed));
        assert_eq!(decode_uri_component("%41%"), Err(PercentError::Malformed));
    }

    #[test]
    fn agrees_with_the_percent_encoding_crate_on_well_formed_input() {
        use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
        let samples = [
            "{\"biz_type\":1,\"text\":\"你好，订单已出餐 +/=\"}",
            "%",
            "no escapes at all",
            "%e4%bd%a0 lower-case hex",
            "",
        ];
        for plain in samples {
            let encoded = utf8_percent_encode(plain, NON_ALPHANUMERIC).to_string();
            assert_eq!(decode_uri_component(&encoded).unwrap(), plain);
            // Already-decoded text passes through as the crate would decode it.
            if let Ok(ours) = decode_uri_component(plain) {
                assert_eq!(ours, percent_decode_str(plain).decode_utf8().unwrap());
            }
        }
    }
}
