//! The common frame read straight into types, without building a JSON tree first.
//!
//! It covers the shape the platform normally sends (\[INF\], see `frame::shape`): a wrapper with
//! a numeric `app_id`, a string `epoiId`, a numeric `biz_type` and an object `push_content`
//! whose ids and codes are JSON integers, and no other field. Anything else (ids written as
//! strings, another spelling of the store field, a string or bare `push_content`, a field of
//! an unexpected type, a duplicate key, an id out of range, a field this reader does not know)
//! returns `None` and is left to the general reader, which accepts every shape and names the
//! reason for a refusal. So this path only
//! ever accepts what the general reader accepts, with the same result; a property test
//! (`tests/decode.rs`) and the fuzz target check exactly that. The checks below restate, in
//! types, those of `frame::fields` (ids positive or non-negative) and `named_store` (a
//! trimmed, non-empty store); that test is what keeps the two in step.

use std::borrow::Cow;

use meituan_wire::{
    AppId, BizType, CommentId, GroupId, HasReply, MsgId, MsgSource, MsgType, OpenUserId, OrderId,
    PushContent, RiderId, SceneTag, StoreId, UnixSeconds,
};
use serde::Deserialize;

/// The wrapper. Unknown fields are refused rather than skipped: the general reader parses
/// every value into its JSON tree and refuses one it cannot hold (a number beyond `f64`, for
/// one), which skipping would not notice (found by the fuzz target).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapper<'a> {
    app_id: Option<i64>,
    #[serde(rename = "epoiId", borrow)]
    epoi_id: Option<Cow<'a, str>>,
    biz_type: Option<i32>,
    push_content: Content,
}

/// `push_content` with every field in its canonical JSON type, and no other field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Content {
    msg_id: i64,
    msg_content: String,
    msg_type: i32,
    msg_source: i32,
    cts: i64,
    order_id: Option<i64>,
    open_user_id: Option<i64>,
    comment_id: Option<i64>,
    group_id: Option<i64>,
    rider_id: Option<i64>,
    scene_tag: Option<i32>,
    has_reply: Option<i32>,
    scene_name: Option<String>,
    group_name: Option<String>,
}

/// What a frame's JSON says before the connection's rules apply: the store it names, the
/// application, the conversation kind and the content.
pub(super) type Read = (Option<StoreId>, Option<AppId>, BizType, PushContent);

/// Reads `json` when it has the common shape; `None` sends it to the general reader.
pub(super) fn read(json: &str) -> Option<Read> {
    let w: Wrapper<'_> = serde_json::from_str(json).ok()?;
    // Absent or null: the general reader would look for it inside push_content.
    let app_id = AppId(w.app_id?);
    let biz_type = BizType::from(w.biz_type?);
    if matches!(biz_type, BizType::Unknown(_)) {
        return None;
    }
    let store = w.epoi_id?;
    let store = store.trim();
    if store.is_empty() {
        return None;
    }
    let c = w.push_content;
    let ids = [
        c.order_id,
        c.open_user_id,
        c.comment_id,
        c.group_id,
        c.rider_id,
    ];
    if c.msg_id <= 0 || ids.iter().flatten().any(|&id| id < 0) {
        return None;
    }
    let content = PushContent {
        msg_id: MsgId(c.msg_id),
        msg_content: c.msg_content,
        msg_type: MsgType(c.msg_type),
        msg_source: MsgSource::from(c.msg_source),
        cts: UnixSeconds(c.cts),
        order_id: c.order_id.map(OrderId),
        open_user_id: c.open_user_id.map(OpenUserId),
        scene_tag: c.scene_tag.map(SceneTag),
        scene_name: c.scene_name,
        has_reply: c.has_reply.map(HasReply::from),
        comment_id: c.comment_id.map(CommentId),
        group_id: c.group_id.map(GroupId),
        group_name: c.group_name,
        rider_id: c.rider_id.map(RiderId),
    };
    Some((Some(StoreId::new(store)), Some(app_id), biz_type, content))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn common() -> serde_json::Value {
        json!({"app_id": 718, "epoiId": " s1 ", "biz_type": 1, "push_content": {
            "msg_id": 9_007_199_254_740_993_i64, "msg_content": "x", "msg_type": 1,
            "msg_source": 2, "cts": 1_700_000_000, "open_user_id": 5, "order_id": 6,
            "scene_tag": 3, "scene_name": "退款", "has_reply": 0
        }})
    }

    #[test]
    fn the_common_shape_is_read_with_every_digit() {
        let Some((store, app_id, biz_type, c)) = read(&common().to_string()) else {
            panic!("the common shape takes the fast path")
        };
        assert_eq!(store, Some(StoreId::new("s1")));
        assert_eq!(app_id, Some(AppId(718)));
        assert_eq!(biz_type, BizType::TwoParty);
        assert_eq!(c.msg_id, MsgId(9_007_199_254_740_993));
        assert_eq!(c.scene_tag, Some(SceneTag(3)));
        assert_eq!(c.scene_name.as_deref(), Some("退款"));
        assert_eq!(c.group_id, None);
    }

    #[test]
    fn anything_else_is_left_to_the_general_reader() {
        let edits: [fn(&mut serde_json::Value); 9] = [
            // An unknown field: the general reader checks its value (here a number beyond
            // f64, which it refuses as not JSON).
            |v| v["push_content"]["extra"] = json!([1]),
            |v| v["extra"] = json!(1),
            |v| v["push_content"]["msg_id"] = json!("5"),
            |v| v["push_content"]["open_user_id"] = json!(-1),
            |v| v["push_content"]["msg_id"] = json!(0),
            |v| v["biz_type"] = json!(99),
            |v| v["epoiId"] = json!(12),
            |v| v["app_id"] = json!(null),
            |v| v["push_content"] = json!(v["push_content"].to_string()),
        ];
        for edit in edits {
            let mut v = common();
            edit(&mut v);
            assert!(read(&v.to_string()).is_none(), "{v}");
        }
    }
}
