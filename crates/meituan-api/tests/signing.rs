//! Signing (§1.4) and body encoding (§1.3): fixture vectors computed outside Rust, and
//! properties that must hold for any input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

use meituan_api::envelope::api_form;
use meituan_api::sign::sign;
use meituan_api::{Biz, DeveloperCredentials};
use meituan_wire::{BusinessId, UnixSeconds};
use proptest::prelude::*;
use sha1::{Digest, Sha1};

#[derive(serde::Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(serde::Deserialize)]
struct Vector {
    note: String,
    sign_key: String,
    fields: Vec<(String, String)>,
    sign: String,
}

#[test]
fn every_fixture_vector_signs_as_python_hashlib_did() {
    let file: Vectors = serde_json::from_str(include_str!("fixtures/sign_vectors.json")).unwrap();
    assert!(file.vectors.len() >= 7);
    for v in &file.vectors {
        let fields = v.fields.iter().map(|(n, x)| (n.as_str(), x.as_str()));
        assert_eq!(sign(&v.sign_key, fields), v.sign, "{}", v.note);
    }
}

/// Field names like the platform's: ASCII letters, mixed case.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z_]{0,11}".prop_filter("not sign", |n| !n.eq_ignore_ascii_case("sign"))
}

fn fields() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::btree_map(name(), "\\PC{1,20}", 1..8)
        .prop_map(|m| m.into_iter().collect())
}

fn sign_of(key: &str, fields: &[(String, String)]) -> String {
    sign(key, fields.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

proptest! {
    #[test]
    fn any_value_change_changes_the_sign(
        key in "\\PC{1,16}",
        fields in fields(),
        pick in any::<prop::sample::Index>(),
        extra in "\\PC{1,4}",
    ) {
        let mut changed = fields.clone();
        let i = pick.index(changed.len());
        changed[i].1.push_str(&extra);
        prop_assert_ne!(sign_of(&key, &fields), sign_of(&key, &changed));
    }

    #[test]
    fn any_key_change_changes_the_sign(key in "\\PC{1,16}", fields in fields(), extra in "\\PC{1,4}") {
        let other = format!("{key}{extra}");
        prop_assert_ne!(sign_of(&key, &fields), sign_of(&other, &fields));
    }

    #[test]
    fn sign_fields_and_empty_values_are_excluded(
        key in "\\PC{1,16}",
        fields in fields(),
        sign_value in "\\PC{0,20}",
        empty_name in name(),
    ) {
        let mut padded = fields.clone();
        if !padded.iter().any(|(n, _)| *n == empty_name) {
            padded.push((empty_name, String::new()));
        }
        padded.push(("sign".into(), sign_value.clone()));
        padded.push(("SIGN".into(), sign_value));
        prop_assert_eq!(sign_of(&key, &fields), sign_of(&key, &padded));
    }

    #[test]
    fn names_sort_by_code_unit_whatever_the_input_order(
        key in "\\PC{1,16}",
        fields in fields(),
        seed in any::<u64>(),
    ) {
        // Reference: sort by bytes (equal to UTF-16 code-unit order for ASCII names).
        let mut sorted = fields.clone();
        sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut text = key.clone();
        for (n, v) in &sorted {
            text.push_str(n);
            text.push_str(v);
        }
        let expected = hex::encode(Sha1::digest(text.as_bytes()));
        let mut shuffled = fields.clone();
        let len = shuffled.len();
        shuffled.rotate_left(usize::try_from(seed % len as u64).unwrap());
        shuffled.reverse();
        prop_assert_eq!(sign_of(&key, &shuffled), expected);
    }

    #[test]
    fn the_signed_biz_is_byte_identical_to_the_sent_one(
        biz in "\\PC{1,60}",
        token in "[ -~]{0,12}",
        ts in 1_000_000_000i64..4_000_000_000,
        business_16 in any::<bool>(),
    ) {
        prop_assume!(!biz.trim().is_empty());
        let dev = DeveloperCredentials::new(100_001, "testSignKey");
        let business_id = if business_16 { BusinessId::Wmoper } else { BusinessId::Waimai };
        let form = api_form(&dev, business_id, Some(&token), &Biz::json_text(biz.clone()), UnixSeconds(ts));
        let body = form.encode();
        let sent: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let sent_biz = sent.iter().find(|(n, _)| n == "biz").map(|(_, v)| v.clone());
        prop_assert_eq!(sent_biz.as_deref(), Some(biz.as_str()));
        // What the platform recomputes from the body equals the sign we sent.
        let sent_sign = sent.iter().find(|(n, _)| n == "sign").map(|(_, v)| v.clone());
        prop_assert_eq!(sent_sign.as_deref(), Some(form.sign()));
        prop_assert_eq!(sign_of("testSignKey", &sent), form.sign());
        // A blank token is neither sent nor signed.
        prop_assert_eq!(sent.iter().any(|(n, _)| n == "appAuthToken"), !token.trim().is_empty());
    }
}
