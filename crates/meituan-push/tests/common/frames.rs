//! Builds push frames the way the platform is assumed to (§6.3): JSON, percent-encoded like
//! JavaScript's `encodeURIComponent`.

use meituan_wire::{AesEcbCipher, MsgCipher};
use serde_json::{json, Value};

use super::SECRET;

/// `encodeURIComponent(text)`, as the platform stand-in encodes its frames.
pub use meituan_sandbox::encode_uri_component;

/// The test cipher.
pub fn cipher() -> AesEcbCipher {
    AesEcbCipher::from_im_secret(SECRET).unwrap()
}

/// A two-party customer message's `push_content`, with `text` encrypted.
pub fn content(msg_id: i64, text: &str) -> Value {
    json!({
        "msg_id": msg_id,
        "msg_content": cipher().encrypt(text),
        "msg_type": 1,
        "msg_source": 2,
        "cts": 1_700_000_000 + msg_id,
        "order_id": 27_001_234_567_890_i64,
        "open_user_id": 88_001_234,
        "scene_tag": -1,
        "scene_name": "",
        "has_reply": 1
    })
}

/// The wrapper frame as the sandbox sends it, encoded.
pub fn message(store: &str, msg_id: i64, text: &str) -> String {
    encode(&json!({
        "app_id": 718,
        "epoiId": store,
        "biz_type": 1,
        "push_content": content(msg_id, text)
    }))
}

/// Any JSON value, encoded.
pub fn encode(value: &Value) -> String {
    encode_uri_component(&value.to_string())
}
