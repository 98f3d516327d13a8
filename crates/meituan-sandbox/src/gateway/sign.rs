//! The §1.4 SHA-1 sign, as the sandbox reads the document (independent of the client crate).

use sha1::{Digest, Sha1};
use std::collections::BTreeMap;

/// The sign of `fields` under `sign_key`: every field but `sign` (any case) with a non-empty
/// value, sorted by name in code-unit order, `name` + `value` concatenated, `sign_key` in front,
/// SHA-1, 40 lowercase hex characters. Pure: no clock, no I/O.
pub fn sign(sign_key: &str, fields: &BTreeMap<String, String>) -> String {
    let mut text = String::from(sign_key);
    // BTreeMap<String> orders by bytes, which is code-unit order for the ASCII field names.
    for (name, value) in fields {
        if name.eq_ignore_ascii_case("sign") || value.is_empty() {
            continue;
        }
        text.push_str(name);
        text.push_str(value);
    }
    hex::encode(Sha1::digest(text.as_bytes()))
}

/// Compares two hex signs without an early exit, so timing does not leak how much matched.
pub fn same_sign(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn document_example_1_5() {
        let f = fields(&[
            ("appAuthToken", "tok-abc"),
            ("biz", "{\"biz_type\":1}"),
            ("businessId", "2"),
            ("charset", "UTF-8"),
            ("developerId", "100001"),
            ("timestamp", "1700000000"),
            ("version", "2"),
            ("sign", "ignored"),
            ("empty", ""),
        ]);
        assert_eq!(
            sign("testSignKey", &f),
            "92daa8c2bf7931dc9ea73105cb74150a243cdde0"
        );
    }

    #[test]
    fn document_example_oauth() {
        let f = fields(&[
            ("timestamp", "1700000000"),
            ("businessId", "2"),
            ("developerId", "100001"),
            ("charset", "UTF-8"),
            ("code", "auth-code-xyz"),
            ("grantType", "authorization_code"),
        ]);
        assert_eq!(
            sign("testSignKey", &f),
            "974fb440310c0b991676b04dd4f0f1048d8164f5"
        );
    }

    #[test]
    fn comparison() {
        assert!(same_sign("abc", "abc"));
        assert!(!same_sign("abc", "abd"));
        assert!(!same_sign("abc", "ab"));
    }
}
