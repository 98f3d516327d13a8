//! The push frame's JSON shape. **\[INF\]** (§6.3): the shape is not documented, so this module
//! is the one place that knows it. Accepted:
//!
//! - a wrapper `{"app_id", "epoiId", "biz_type", "push_content": {…} | "<json text>"}`;
//! - a bare `push_content` object (it has `msg_id`) that carries `biz_type` (and, for a
//!   developer-scoped connection, `epoiId`) beside its own fields.
//!
//! A bare object without `biz_type` is quarantined rather than guessed at. Store names are
//! read from `epoiId`, or the spellings `ePoiId` / `epoi_id`.

use serde_json::{Map, Value};

use crate::quarantine::QuarantineReason;

/// Spellings of the store field, most likely first.
const STORE_FIELDS: [&str; 3] = ["epoiId", "ePoiId", "epoi_id"];

/// The routing fields and the `push_content` object of one frame, still untyped.
#[derive(Debug)]
pub(crate) struct Envelope {
    pub store: Option<Value>,
    pub app_id: Option<Value>,
    pub biz_type: Option<Value>,
    pub content: Map<String, Value>,
}

/// Splits parsed JSON into routing fields and `push_content`.
pub(crate) fn envelope(root: Value) -> Result<Envelope, QuarantineReason> {
    let Value::Object(mut root) = root else {
        return Err(QuarantineReason::UnknownShape);
    };
    let mut content = match root.remove("push_content") {
        Some(Value::Object(content)) => content,
        Some(Value::String(text)) => match serde_json::from_str(&text) {
            Ok(Value::Object(content)) => content,
            Ok(_) => return Err(QuarantineReason::UnknownShape),
            Err(_) => return Err(QuarantineReason::NotJson),
        },
        Some(_) => {
            return Err(QuarantineReason::BadField {
                field: "push_content",
            })
        }
        None if root.contains_key("msg_id") => std::mem::take(&mut root),
        None => return Err(QuarantineReason::UnknownShape),
    };
    // Routing fields sit on the wrapper; a bare object carries them among its own fields.
    let mut take =
        |name: &str| non_null(root.remove(name)).or_else(|| non_null(content.remove(name)));
    let biz_type = take("biz_type");
    let app_id = take("app_id");
    let store = STORE_FIELDS.iter().find_map(|name| take(name));
    Ok(Envelope {
        store,
        app_id,
        biz_type,
        content,
    })
}

fn non_null(v: Option<Value>) -> Option<Value> {
    v.filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn wrapper_with_object_content() {
        let e = envelope(json!({
            "app_id": 7, "epoiId": "s1", "biz_type": 1, "push_content": {"msg_id": 5}
        }))
        .unwrap();
        assert_eq!(e.store, Some(json!("s1")));
        assert_eq!(e.app_id, Some(json!(7)));
        assert_eq!(e.biz_type, Some(json!(1)));
        assert_eq!(Value::Object(e.content), json!({"msg_id": 5}));
    }

    #[test]
    fn wrapper_with_string_content() {
        let e = envelope(json!({"biz_type": 4, "push_content": "{\"msg_id\":9}"})).unwrap();
        assert_eq!(Value::Object(e.content), json!({"msg_id": 9}));
        assert_eq!(e.store, None);
    }

    #[test]
    fn bare_content_carries_its_routing_fields() {
        let e = envelope(json!({"msg_id": 1, "biz_type": 5, "ePoiId": 12})).unwrap();
        assert_eq!(e.biz_type, Some(json!(5)));
        assert_eq!(e.store, Some(json!(12)));
        assert_eq!(Value::Object(e.content), json!({"msg_id": 1}));
    }

    #[test]
    fn other_shapes_are_refused() {
        for (v, want) in [
            (json!([1, 2]), QuarantineReason::UnknownShape),
            (json!({"hello": 1}), QuarantineReason::UnknownShape),
            (
                json!({"push_content": 3}),
                QuarantineReason::BadField {
                    field: "push_content",
                },
            ),
            (json!({"push_content": "{oops"}), QuarantineReason::NotJson),
            (
                json!({"push_content": "[1]"}),
                QuarantineReason::UnknownShape,
            ),
        ] {
            assert_eq!(envelope(v).unwrap_err(), want);
        }
    }
}
