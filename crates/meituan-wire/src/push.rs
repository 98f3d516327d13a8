//! `push_content`: the message object of `msg/send` and, as far as known, of incoming pushes
//! (§4.3). Field names are the exact wire names; `cts` stays seconds on the wire.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::codes::{HasReply, MsgSource, MsgType, SceneTag};
use crate::ids::{CommentId, GroupId, MsgId, OpenUserId, OrderId, RiderId};
use crate::time::{TimeMs, UnixSeconds};

/// One IM message as the platform writes it (§4.3). Optional fields are required only for
/// some `biz_type`s; absent ones are left out when serializing. Unknown fields are ignored.
///
/// `Debug` shows the length of `msg_content`, never the content.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushContent {
    /// Unique message id: Meituan's on received messages, ours on sent ones.
    pub msg_id: MsgId,
    /// The content, encrypted with the [`crate::cipher`] module.
    pub msg_content: String,
    /// Content type; its meaning depends on `biz_type`.
    pub msg_type: MsgType,
    /// Merchant or customer.
    pub msg_source: MsgSource,
    /// Send time in Unix seconds (10 digits). See [`PushContent::cts_ms`].
    pub cts: UnixSeconds,
    /// Order, for two-party chats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Customer, for two-party chats and rider groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_user_id: Option<OpenUserId>,
    /// Scene tag (two-party): `-1` normal, above 0 a scene message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene_tag: Option<SceneTag>,
    /// Scene name matching `scene_tag`; empty for normal messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene_name: Option<String>,
    /// Reply state (two-party).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_reply: Option<HasReply>,
    /// Review id, for review-contact groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_id: Option<CommentId>,
    /// Group id, for biz_type 4, 5 and 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<GroupId>,
    /// Fans group name, for biz_type 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Rider, for biz_type 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rider_id: Option<RiderId>,
}

impl PushContent {
    /// `cts` converted to UTC milliseconds.
    pub fn cts_ms(&self) -> TimeMs {
        self.cts.to_ms()
    }
}

impl fmt::Debug for PushContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushContent")
            .field("msg_id", &self.msg_id)
            .field(
                "msg_content",
                &format_args!("<{} bytes>", self.msg_content.len()),
            )
            .field("msg_type", &self.msg_type)
            .field("msg_source", &self.msg_source)
            .field("cts", &self.cts)
            .field("order_id", &self.order_id)
            .field("open_user_id", &self.open_user_id)
            .field("scene_tag", &self.scene_tag)
            .field("has_reply", &self.has_reply)
            .field("comment_id", &self.comment_id)
            .field("group_id", &self.group_id)
            .field("rider_id", &self.rider_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOMER_MESSAGE: &str = r#"{
        "msg_id": 7012345678901234567, "msg_content": "OKXpdENpyQ8DIRwteLtzeM5ZPeu8CRdjR99aAXN2YLo=",
        "msg_type": 1, "msg_source": 2, "cts": 1700000000, "order_id": "27001234567890",
        "open_user_id": 88001234, "scene_tag": 9003, "scene_name": "紧急消息", "has_reply": 1,
        "some_future_field": {"x": 1}
    }"#;

    #[test]
    fn decodes_a_customer_message_with_mixed_id_forms() {
        let p: PushContent = serde_json::from_str(CUSTOMER_MESSAGE).unwrap();
        assert_eq!(p.msg_id, MsgId(7_012_345_678_901_234_567));
        assert_eq!(p.order_id, Some(OrderId(27_001_234_567_890)));
        assert_eq!(p.msg_source, MsgSource::Customer);
        assert_eq!(p.scene_tag, Some(SceneTag::MERCHANT_COMPLAINT));
        assert_eq!(p.has_reply, Some(HasReply::NotReplied));
        assert_eq!(p.cts_ms(), TimeMs(1_700_000_000_000));
        assert_eq!(p.group_id, None);
    }

    #[test]
    fn serializes_wire_names_and_omits_absent_fields() {
        let p = PushContent {
            msg_id: MsgId(1),
            msg_content: "x".into(),
            msg_type: MsgType(0),
            msg_source: MsgSource::Merchant,
            cts: UnixSeconds(1_700_000_000),
            order_id: None,
            open_user_id: None,
            scene_tag: None,
            scene_name: None,
            has_reply: None,
            comment_id: Some(CommentId(5)),
            group_id: Some(GroupId(6)),
            group_name: None,
            rider_id: None,
        };
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"msg_id":1,"msg_content":"x","msg_type":0,"msg_source":1,"cts":1700000000,"comment_id":5,"group_id":6}"#
        );
    }

    #[test]
    fn debug_hides_message_content() {
        let p: PushContent = serde_json::from_str(CUSTOMER_MESSAGE).unwrap();
        let shown = format!("{p:?}");
        assert!(!shown.contains("OKXpdENp"));
        assert!(shown.contains("7012345678901234567"));
    }
}
