//! Frame decoding vectors: every accepted shape, and one frame for every quarantine reason.
//! Plus a property: decoding never panics, whatever arrives.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test may panic

mod common;

use common::frames::{self, cipher, content, encode, encode_uri_component};
use meituan_push::{
    decode_frame, ConnectionScope, DecodedPush, Frame, FrameRules, KnownStores, QuarantineReason,
};
use meituan_wire::{AesEcbCipher, AppId, BizType, MsgId, StoreId};
use proptest::prelude::*;
use serde_json::json;

fn rules() -> FrameRules {
    FrameRules {
        max_frame_bytes: 64 * 1024,
        scope: ConnectionScope::Developer,
        known_stores: None,
    }
}

fn decode(raw: &str) -> Result<DecodedPush, QuarantineReason> {
    decode_with(raw, &rules())
}

fn decode_with(raw: &str, rules: &FrameRules) -> Result<DecodedPush, QuarantineReason> {
    match decode_frame(raw, &cipher(), rules) {
        Ok(Frame::Push(p)) => Ok(*p),
        Ok(Frame::KeepAlive) => panic!("not a keep-alive"),
        Err(q) => {
            assert!(raw.starts_with(&q.raw), "the raw frame is kept");
            Err(q.reason)
        }
    }
}

#[test]
fn keepalive_is_recognised() {
    assert_eq!(
        decode_frame("HB", &cipher(), &rules()),
        Ok(Frame::KeepAlive)
    );
}

#[test]
fn sandbox_wrapper_decodes_and_decrypts() {
    let p = decode(&frames::message(
        "store-7",
        7_012_345_678_901_234_567,
        "你好，订单已出餐",
    ))
    .unwrap();
    assert_eq!(p.store, StoreId::from("store-7"));
    assert_eq!(p.app_id, Some(AppId(718)));
    assert_eq!(p.biz_type, BizType::TwoParty);
    assert_eq!(p.content.msg_id, MsgId(7_012_345_678_901_234_567));
    assert_eq!(p.text, "你好，订单已出餐");
    assert_eq!(p.key().msg_id, p.content.msg_id);
}

#[test]
fn push_content_as_json_string_and_bare_object_are_accepted() {
    let as_string =
        json!({"epoiId": "s", "biz_type": 1, "push_content": content(5, "a+b").to_string()});
    assert_eq!(decode(&encode(&as_string)).unwrap().text, "a+b");
    let mut bare = content(6, "bare");
    bare["biz_type"] = json!(5);
    bare["epoiId"] = json!(42);
    bare["group_id"] = json!("900");
    let p = decode(&encode(&bare)).unwrap();
    assert_eq!(
        (p.biz_type, p.store.as_str(), p.text.as_str()),
        (BizType::FansGroup, "42", "bare")
    );
}

#[test]
fn plus_is_not_a_space() {
    let raw = encode_uri_component(
        &json!({"epoiId": "a+b", "biz_type": 1, "push_content": content(1, "x")}).to_string(),
    )
    .replace("%2B", "+");
    assert_eq!(decode(&raw).unwrap().store.as_str(), "a+b");
}

#[test]
fn store_scope_attributes_unnamed_frames_and_refuses_others() {
    let store_rules = FrameRules {
        scope: ConnectionScope::Store("mine".into()),
        ..rules()
    };
    let unnamed = encode(&json!({"biz_type": 1, "push_content": content(1, "x")}));
    assert_eq!(
        decode_with(&unnamed, &store_rules).unwrap().store.as_str(),
        "mine"
    );
    assert_eq!(
        decode(&unnamed),
        Err(QuarantineReason::MissingField { field: "epoiId" })
    );
    assert_eq!(
        decode_with(&frames::message("theirs", 1, "x"), &store_rules),
        Err(QuarantineReason::UnknownStore {
            store: "theirs".into()
        })
    );
}

#[test]
fn every_quarantine_reason_has_a_vector() {
    let wrap =
        |pc: serde_json::Value| encode(&json!({"epoiId": "s", "biz_type": 1, "push_content": pc}));
    let with = |field: &str, value: serde_json::Value| {
        let mut pc = content(1, "x");
        pc[field] = value;
        wrap(pc)
    };
    let without = |field: &str| {
        let mut pc = content(1, "x");
        pc.as_object_mut().unwrap().remove(field);
        wrap(pc)
    };
    let small = FrameRules {
        max_frame_bytes: 10,
        ..rules()
    };
    assert_eq!(
        decode_with(&"a".repeat(11), &small),
        Err(QuarantineReason::Oversized { len: 11, limit: 10 })
    );
    let cases = [
        ("%7B%zz".to_owned(), QuarantineReason::NotPercentEncoded),
        ("%7B%FF%7D".to_owned(), QuarantineReason::BadUtf8),
        (encode_uri_component("{not json"), QuarantineReason::NotJson),
        (encode(&json!([1, 2, 3])), QuarantineReason::UnknownShape),
        (
            encode(&json!({"hello": "world"})),
            QuarantineReason::UnknownShape,
        ),
        (
            encode(&json!({"epoiId": "s", "push_content": content(1, "x")})),
            QuarantineReason::MissingField { field: "biz_type" },
        ),
        (
            without("msg_id"),
            QuarantineReason::MissingField { field: "msg_id" },
        ),
        (
            without("msg_content"),
            QuarantineReason::MissingField {
                field: "msg_content",
            },
        ),
        (
            with("cts", json!(null)),
            QuarantineReason::MissingField { field: "cts" },
        ),
        (
            with("msg_content", json!(12)),
            QuarantineReason::BadField {
                field: "msg_content",
            },
        ),
        (
            with("msg_type", json!("text")),
            QuarantineReason::BadField { field: "msg_type" },
        ),
        (
            with("msg_id", json!(18_446_744_073_709_551_615_u64)),
            QuarantineReason::IdOutOfRange { field: "msg_id" },
        ),
        (
            with("msg_id", json!(-3)),
            QuarantineReason::IdOutOfRange { field: "msg_id" },
        ),
        (
            with("order_id", json!(1.5)),
            QuarantineReason::IdOutOfRange { field: "order_id" },
        ),
        (
            with("open_user_id", json!("99999999999999999999")),
            QuarantineReason::IdOutOfRange {
                field: "open_user_id",
            },
        ),
        (
            encode(
                &json!({"epoiId": "s", "biz_type": 1, "app_id": 1e40, "push_content": content(1, "x")}),
            ),
            QuarantineReason::IdOutOfRange { field: "app_id" },
        ),
        (
            encode(&json!({"epoiId": "s", "biz_type": 9, "push_content": content(1, "x")})),
            QuarantineReason::UnknownBizType { biz_type: 9 },
        ),
        (
            encode(&json!({"epoiId": true, "biz_type": 1, "push_content": content(1, "x")})),
            QuarantineReason::BadField { field: "epoiId" },
        ),
        (
            encode(&json!({"epoiId": "s", "biz_type": 1, "push_content": 7})),
            QuarantineReason::BadField {
                field: "push_content",
            },
        ),
    ];
    for (raw, want) in cases {
        assert_eq!(decode(&raw), Err(want.clone()), "{want}");
    }
}

#[test]
fn unknown_store_and_undecryptable_content_keep_the_message_identity() {
    let known = FrameRules {
        known_stores: Some(KnownStores::from_set(["s1".into()].into_iter().collect())),
        ..rules()
    };
    let q = decode_frame(&frames::message("s2", 77, "x"), &cipher(), &known).unwrap_err();
    assert_eq!(
        q.reason,
        QuarantineReason::UnknownStore { store: "s2".into() }
    );
    assert_eq!(
        q.key.map(|k| (k.store, k.msg_id)),
        Some(("s2".into(), MsgId(77)))
    );

    let other_key = AesEcbCipher::from_im_secret("0000000000000000").unwrap();
    let q = decode_frame(
        &frames::message("s1", 78, "secret text"),
        &other_key,
        &known,
    )
    .unwrap_err();
    assert!(
        matches!(q.reason, QuarantineReason::UndecryptableContent { .. }),
        "{}",
        q.reason
    );
    assert_eq!(q.key.map(|k| k.msg_id), Some(MsgId(78)));
    assert!(!q.reason.to_string().contains("secret text"));

    let mut pc = content(79, "x");
    pc["msg_content"] = json!("not base64!");
    let raw = encode(&json!({"epoiId": "s1", "biz_type": 1, "push_content": pc}));
    let q = decode_frame(&raw, &cipher(), &known).unwrap_err();
    assert_eq!(q.reason.code(), "undecryptable_content");
    assert_eq!(q.raw, raw);
}

#[test]
fn oversized_frames_keep_only_a_prefix() {
    let raw = "x".repeat(100_000);
    let q = decode_frame(&raw, &cipher(), &rules()).unwrap_err();
    assert_eq!(q.raw_len, 100_000);
    assert_eq!(q.raw.len(), meituan_push::quarantine::OVERSIZED_RAW_KEPT);
}

fn json_ish() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        ".{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("null".to_owned()),
        Just("true".to_owned()),
    ];
    let keys = prop_oneof![
        Just("biz_type"),
        Just("push_content"),
        Just("epoiId"),
        Just("app_id"),
        Just("msg_id"),
        Just("msg_content"),
        Just("msg_type"),
        Just("msg_source"),
        Just("cts"),
        Just("order_id"),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|pairs| {
            let body: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", body.join(","))
        })
    })
}

proptest! {
    #[test]
    fn decoding_arbitrary_text_never_panics(raw in ".{0,300}") {
        let _ = decode_frame(&raw, &cipher(), &rules());
    }

    #[test]
    fn decoding_arbitrary_encoded_json_never_panics(json in json_ish(), as_string in any::<bool>()) {
        let raw = if as_string {
            encode_uri_component(&format!("{{\"biz_type\":1,\"epoiId\":\"s\",\"push_content\":{}}}",
                serde_json::to_string(&json).unwrap()))
        } else {
            encode_uri_component(&json)
        };
        match decode_frame(&raw, &cipher(), &rules()) {
            Ok(Frame::Push(p)) => prop_assert!(p.content.msg_id.get() > 0),
            Ok(Frame::KeepAlive) => prop_assert!(false, "only HB is a keep-alive"),
            Err(q) => prop_assert_eq!(q.raw, raw),
        }
    }
}

/// A push is read, and its identity known, before decryption; opening it then tries the
/// newest secret first and falls back to an older one, and quarantines with the identity
/// when neither opens it.
#[test]
fn sealed_push_has_its_key_before_decryption_and_opens_with_a_fallback_secret() {
    use meituan_push::{read_frame, SealedFrame};
    let raw = frames::message("store-3", 42, "少送了一杯饮料");
    let Ok(SealedFrame::Push(sealed)) = read_frame(&raw, &rules()) else {
        panic!("a push")
    };
    assert_eq!(sealed.key().msg_id, MsgId(42));
    assert_eq!(sealed.key().store, StoreId::from("store-3"));
    let other = AesEcbCipher::from_im_secret("ZZZZZZZZZZZZZZZZZZZZ").unwrap();
    let opened = sealed
        .clone()
        .open_with(&[&other, &cipher()], &raw)
        .unwrap();
    assert_eq!(opened.text, "少送了一杯饮料");
    let q = sealed.open(&other, &raw).unwrap_err();
    assert!(matches!(
        q.reason,
        QuarantineReason::UndecryptableContent { .. }
    ));
    assert_eq!(q.key.map(|k| k.msg_id), Some(MsgId(42)));
    assert_eq!(q.raw, raw);
    assert_eq!(read_frame("HB", &rules()), Ok(SealedFrame::KeepAlive));
}

/// A value that leaves the common shape when put in place of a field (or `None`: the field
/// is removed).
fn odd_value() -> impl Strategy<Value = Option<serde_json::Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!(null))),
        Just(Some(json!(0))),
        Just(Some(json!(-3))),
        Just(Some(json!(1.5))),
        Just(Some(json!(u64::MAX))),
        Just(Some(json!(1_i64 << 40))),
        (1i64..1000).prop_map(|n| Some(json!(format!(" {n} ")))),
        Just(Some(json!(""))),
        Just(Some(json!("  "))),
        Just(Some(json!(" s2 "))),
        Just(Some(json!(1234))),
        Just(Some(json!(99))),
        Just(Some(json!(true))),
        Just(Some(json!([1]))),
        Just(Some(json!("a-very-long-store"))),
    ]
}

/// Fields a mutation can replace; the first three sit on the wrapper.
const FIELDS: [&str; 17] = [
    "app_id",
    "epoiId",
    "biz_type",
    "msg_id",
    "msg_content",
    "msg_type",
    "msg_source",
    "cts",
    "order_id",
    "open_user_id",
    "comment_id",
    "group_id",
    "rider_id",
    "scene_tag",
    "has_reply",
    "scene_name",
    "group_name",
];

/// How a frame's layout can leave the common shape.
#[derive(Debug, Clone, Copy)]
enum Layout {
    Common,
    ContentAsText,
    Bare,
    OtherStoreSpelling,
    DuplicateKey,
    /// A field no reader uses, holding a number beyond f64 (the fuzz target's find).
    UnknownHugeNumber,
}

/// A frame of the common shape (optional fields present or not) with zero to three fields
/// replaced by odd values and, sometimes, another layout: every way of leaving the common
/// shape, one or a few at a time.
fn varied_frame() -> impl Strategy<Value = String> {
    let common = (
        1i64..1_000_000_000_000,
        prop::sample::select(vec![1, 4, 5, 6]),
        prop::collection::vec(prop::option::of(0i64..1_000_000_000_000), 5),
        prop::option::of("[a-z退款 ]{0,6}"),
        "[a-z退款 ]{0,6}",
    );
    let mutations = prop::collection::vec((0..FIELDS.len(), odd_value()), 0..3);
    let layout = prop_oneof![
        8 => Just(Layout::Common),
        1 => Just(Layout::ContentAsText),
        1 => Just(Layout::Bare),
        1 => Just(Layout::OtherStoreSpelling),
        1 => Just(Layout::DuplicateKey),
        1 => Just(Layout::UnknownHugeNumber),
    ];
    (common, mutations, layout).prop_map(|((msg_id, biz, ids, scene, text), mutations, layout)| {
        let mut root = json!({"app_id": 718, "epoiId": "s1", "biz_type": biz});
        let mut content = json!({
            "msg_id": msg_id, "msg_content": text, "msg_type": 1, "msg_source": 2,
            "cts": 1_700_000_000, "scene_tag": -1, "has_reply": 0,
        });
        for (name, id) in [
            "order_id",
            "open_user_id",
            "comment_id",
            "group_id",
            "rider_id",
        ]
        .iter()
        .zip(ids)
        {
            if let Some(id) = id {
                content[*name] = json!(id);
            }
        }
        if let Some(scene) = scene {
            content["scene_name"] = json!(scene);
        }
        for (index, value) in mutations {
            let target = if index < 3 { &mut root } else { &mut content };
            let Some(map) = target.as_object_mut() else {
                continue;
            };
            match value {
                Some(v) => map.insert(FIELDS[index].into(), v),
                None => map.remove(FIELDS[index]),
            };
        }
        let (Some(root_map), serde_json::Value::Object(content_map)) =
            (root.as_object_mut(), content)
        else {
            unreachable!("both are objects")
        };
        let text = match layout {
            Layout::Bare => {
                root_map.extend(content_map);
                root.to_string()
            }
            Layout::ContentAsText => {
                let inner = serde_json::Value::Object(content_map).to_string();
                root_map.insert("push_content".into(), json!(inner));
                root.to_string()
            }
            Layout::OtherStoreSpelling => {
                if let Some(store) = root_map.remove("epoiId") {
                    root_map.insert("ePoiId".into(), store);
                }
                root_map.insert(
                    "push_content".into(),
                    serde_json::Value::Object(content_map),
                );
                root.to_string()
            }
            Layout::DuplicateKey => {
                root_map.insert(
                    "push_content".into(),
                    serde_json::Value::Object(content_map),
                );
                // The general reader keeps the last of a repeated key; the typed one refuses.
                root.to_string().replacen('{', "{\"biz_type\":4,", 1)
            }
            Layout::UnknownHugeNumber => {
                root_map.insert(
                    "push_content".into(),
                    serde_json::Value::Object(content_map),
                );
                root.to_string()
                    .replacen('{', "{\"o_rder_id\":27001234561e407890,", 1)
            }
            Layout::Common => {
                root_map.insert(
                    "push_content".into(),
                    serde_json::Value::Object(content_map),
                );
                root.to_string()
            }
        };
        encode_uri_component(&text)
    })
}

proptest! {
    // Each case leaves the common shape in at most a few ways; enough cases to meet each.
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// The typed fast path (common shape) and the general reader agree on every frame: the
    /// same push, or the same quarantine reason, under every kind of connection rules.
    #[test]
    fn the_fast_path_and_the_general_reader_agree(raw in varied_frame()) {
        use meituan_push::{read_frame, read_frame_general};
        let store_scope = FrameRules {
            max_frame_bytes: 64 * 1024,
            scope: ConnectionScope::Store("s1".into()),
            known_stores: None,
        };
        let known = FrameRules {
            known_stores: Some(KnownStores::from_fn(|s| s.as_str().len() < 8)),
            ..rules()
        };
        for r in [&rules(), &store_scope, &known] {
            prop_assert_eq!(read_frame(&raw, r), read_frame_general(&raw, r));
        }
    }
}
