//! `decodeURIComponent` semantics (§6.3): `%XX` sequences are decoded as UTF-8 bytes, `+`
//! stays `+`, and a malformed escape or an invalid UTF-8 result is an error, as in JS.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

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
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| b == b'%') {
        let at = i + offset;
        let hex = bytes.get(at + 1..at + 3).ok_or(PercentError::Malformed)?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return Err(PercentError::Malformed);
        }
        i = at + 3;
    }
    percent_decode_str(text)
        .decode_utf8()
        .map_err(|_| PercentError::NotUtf8)
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
    }
}
