//! The default cipher against the vector files, and round-trip properties.

use meituan_wire::{AesEcbCipher, MsgCipher, OpenUserId};
use proptest::prelude::*;

#[derive(serde::Deserialize)]
struct Vector {
    im_secret: String,
    plain: String,
    sealed: String,
}

#[test]
fn every_fixture_vector_encrypts_and_decrypts() {
    let text = include_str!("fixtures/cipher_vectors.json");
    let vectors: Vec<Vector> = serde_json::from_str(text).unwrap();
    assert!(!vectors.is_empty());
    for v in vectors {
        let cipher = AesEcbCipher::from_im_secret(&v.im_secret).unwrap();
        assert_eq!(cipher.encrypt(&v.plain), v.sealed);
        assert_eq!(cipher.decrypt(&v.sealed).unwrap(), v.plain);
    }
}

proptest! {
    #[test]
    fn any_text_round_trips(secret in "[ -~]{16,40}", plain in "\\PC*") {
        let cipher = AesEcbCipher::from_im_secret(&secret).unwrap();
        prop_assert_eq!(cipher.decrypt(&cipher.encrypt(&plain)).unwrap(), plain);
    }

    #[test]
    fn garbage_never_panics(secret in "[a-z]{16}", junk in "\\PC*") {
        let cipher = AesEcbCipher::from_im_secret(&secret).unwrap();
        let _ = cipher.decrypt(&junk);
    }

    #[test]
    fn ids_survive_both_json_forms(v in any::<i64>()) {
        let from_number: OpenUserId = serde_json::from_str(&v.to_string()).unwrap();
        let from_string: OpenUserId = serde_json::from_str(&format!("\"{v}\"")).unwrap();
        prop_assert_eq!(from_number, OpenUserId(v));
        prop_assert_eq!(from_string, OpenUserId(v));
    }
}
