//! Feeds arbitrary bytes, as lossy UTF-8 text, to the push frame decoder under both
//! connection scopes and with a known-store filter. Any panic is a bug: network input must
//! only ever decode or be quarantined. The reader's typed fast path must agree with the
//! general reader on every input.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use meituan_push::{
    decode_frame, read_frame, read_frame_general, ConnectionScope, Frame, FrameRules, KnownStores,
};
use meituan_wire::AesEcbCipher;

struct Fixture {
    cipher: AesEcbCipher,
    developer: FrameRules,
    store: FrameRules,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let Ok(cipher) = AesEcbCipher::from_im_secret("abcdef0123456789ZZZZ") else {
            unreachable!("the protocol document's secret is 20 bytes")
        };
        let developer = FrameRules {
            max_frame_bytes: 64 * 1024,
            scope: ConnectionScope::Developer,
            known_stores: Some(KnownStores::from_fn(|s| s.as_str().len() < 8)),
        };
        let store = FrameRules {
            max_frame_bytes: 4 * 1024,
            scope: ConnectionScope::Store("s1".into()),
            known_stores: None,
        };
        Fixture { cipher, developer, store }
    })
}

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let f = fixture();
    for rules in [&f.developer, &f.store] {
        assert_eq!(read_frame(&raw, rules), read_frame_general(&raw, rules));
        match decode_frame(&raw, &f.cipher, rules) {
            Ok(Frame::Push(push)) => assert!(push.content.msg_id.get() > 0),
            Ok(Frame::KeepAlive) => assert_eq!(raw.trim(), "HB"),
            Err(q) => {
                assert!(raw.starts_with(q.raw.as_str()));
                assert_eq!(q.raw_len, raw.len());
            }
        }
    }
});
