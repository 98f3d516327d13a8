//! The gateway signature (§1.4): a pure function of the fields and the signKey.
//!
//! No clock and no I/O: the caller passes every field that will be sent, including
//! `timestamp`. Fields named `sign` (any case) and fields with an empty value are left out;
//! the rest are sorted by name in UTF-16 code-unit order (the SDK's Java `String` order, equal
//! to ASCII order for the platform's names), joined as `name` + `value` with no separators,
//! prefixed with the signKey, and hashed with SHA-1 into 40 lowercase hex characters.

use sha1::{Digest, Sha1};

/// Computes `sign` over `fields` (name, value) with `sign_key`.
pub fn sign<'a, I>(sign_key: &str, fields: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut hasher = Sha1::new();
    hasher.update(string_to_sign(sign_key, fields).as_bytes());
    hex::encode(hasher.finalize())
}

/// The exact text that is hashed. Kept private to the crate because it contains the key.
pub(crate) fn string_to_sign<'a, I>(sign_key: &str, fields: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut kept: Vec<(&str, &str)> = fields
        .into_iter()
        .filter(|(name, value)| !name.eq_ignore_ascii_case("sign") && !value.is_empty())
        .collect();
    kept.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    let mut text = String::from(sign_key);
    for (name, value) in kept {
        text.push_str(name);
        text.push_str(value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §1.5 of the protocol document.
    const EXAMPLE: [(&str, &str); 7] = [
        ("biz", r#"{"biz_type":1}"#),
        ("timestamp", "1700000000"),
        ("businessId", "2"),
        ("developerId", "100001"),
        ("charset", "UTF-8"),
        ("version", "2"),
        ("appAuthToken", "tok-abc"),
    ];

    #[test]
    fn worked_example_string_and_sign() {
        assert_eq!(
            string_to_sign("testSignKey", EXAMPLE),
            "testSignKeyappAuthTokentok-abcbiz{\"biz_type\":1}businessId2charsetUTF-8developerId100001timestamp1700000000version2"
        );
        assert_eq!(
            sign("testSignKey", EXAMPLE),
            "92daa8c2bf7931dc9ea73105cb74150a243cdde0"
        );
    }

    #[test]
    fn sign_field_and_empty_values_are_ignored() {
        let mut with_extras = EXAMPLE.to_vec();
        with_extras.push(("sign", "anything"));
        with_extras.push(("SIGN", "anything"));
        with_extras.push(("extra", ""));
        assert_eq!(
            sign("testSignKey", with_extras),
            "92daa8c2bf7931dc9ea73105cb74150a243cdde0"
        );
    }

    #[test]
    fn upper_case_sorts_before_lower_case() {
        let text = string_to_sign("k", [("a", "1"), ("Z", "2"), ("B", "3")]);
        assert_eq!(text, "kB3Z2a1");
    }
}
