//! What team mode puts on the stream and in KV: JSON, one version field each, so a desk can
//! tell a newer relay's record from garbage. A record that does not decode is quarantined
//! with its raw bytes (never dropped) and counted.

use std::sync::Arc;

use imdesk_store::{FailureKind, MessageRow, SendFailure};
use meituan_push::PushedMessage;
use meituan_wire::{
    BizType, CommentId, GroupId, HasReply, MsgId, MsgSource, MsgType, OpenUserId, OrderId,
    PushContent, RiderId, SceneTag, StoreId, TimeMs, UnixSeconds,
};
use serde::{Deserialize, Serialize};

/// One message of a relay's archive (`im.m.<store>.<conv>.in`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireMessage {
    pub v: u32,
    pub store: String,
    pub biz_type: i32,
    pub msg_id: i64,
    pub msg_source: i32,
    pub msg_type: i32,
    /// Decrypted text; `None` when the relay could not decrypt it.
    pub text: Option<String>,
    pub cts_ms: i64,
    pub order_id: Option<i64>,
    pub open_user_id: Option<i64>,
    pub group_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub rider_id: Option<i64>,
    pub scene_tag: i32,
    pub scene_name: String,
    pub has_reply: i32,
    pub group_name: Option<String>,
    pub received_at_ms: i64,
}

impl WireMessage {
    /// From a row of the relay's archive.
    pub fn of(row: &MessageRow) -> Self {
        Self {
            v: 1,
            store: row.store.clone(),
            biz_type: row.biz_type,
            msg_id: row.msg_id,
            msg_source: row.msg_source,
            msg_type: row.msg_type,
            text: row.text.clone(),
            cts_ms: row.cts_ms,
            order_id: row.order_id,
            open_user_id: row.open_user_id,
            group_id: row.group_id,
            comment_id: row.comment_id,
            rider_id: row.rider_id,
            scene_tag: row.scene_tag,
            scene_name: row.scene_name.clone(),
            has_reply: row.has_reply,
            group_name: row.group_name.clone(),
            received_at_ms: row.received_at_ms,
        }
    }

    /// The conversation's peer: the customer of a two-party chat, the group otherwise.
    pub fn peer_id(&self) -> Option<i64> {
        imdesk_store::ConversationKey::peer_of(self.biz_type, self.open_user_id, self.group_id)
    }

    /// As the engine's ingest takes a pushed message (the desk's mirror feeds the same
    /// ingest as the push sockets do). `raw` is the stream record, kept if the cache cannot
    /// place the message.
    pub(crate) fn into_pushed(self, raw: Arc<str>) -> PushedMessage {
        let biz_type = BizType::from(self.biz_type);
        let content = PushContent {
            msg_id: MsgId(self.msg_id),
            msg_content: String::new(),
            msg_type: MsgType(self.msg_type),
            msg_source: MsgSource::from(self.msg_source),
            cts: UnixSeconds(self.cts_ms.div_euclid(1000)),
            order_id: self.order_id.map(OrderId),
            open_user_id: self.open_user_id.map(OpenUserId),
            scene_tag: (self.scene_tag >= 0).then_some(SceneTag(self.scene_tag)),
            scene_name: (!self.scene_name.is_empty()).then_some(self.scene_name),
            has_reply: (self.has_reply != 0).then(|| HasReply::from(self.has_reply)),
            comment_id: self.comment_id.map(CommentId),
            group_id: self.group_id.map(GroupId),
            group_name: self.group_name,
            rider_id: self.rider_id.map(RiderId),
        };
        PushedMessage {
            store: StoreId::new(self.store),
            app_id: None,
            biz_type,
            content,
            text: self.text.unwrap_or_default(),
            received_at: TimeMs(self.received_at_ms),
            connection: 0,
            raw_frame: raw,
        }
    }
}

/// A desk's reply (`im.m.<store>.<conv>.out`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireReply {
    pub v: u32,
    /// Our msg_id, chosen by the desk: the relay's outbox and the platform see the same one.
    pub msg_id: i64,
    pub store: String,
    pub biz_type: i32,
    pub open_user_id: Option<i64>,
    pub group_id: Option<i64>,
    pub msg_type: i32,
    pub text: String,
    /// Who wrote it (`IMDESK_AGENT`).
    pub agent: String,
    /// Which desk published it (a random id per desk database).
    pub desk: String,
    /// When the agent sent it, UTC ms (the desk's clock).
    pub at_ms: i64,
    /// A supervisor answered in a conversation another agent owns.
    #[serde(default)]
    pub supervisor: bool,
}

impl WireReply {
    pub fn peer_id(&self) -> Option<i64> {
        imdesk_store::ConversationKey::peer_of(self.biz_type, self.open_user_id, self.group_id)
    }
}

/// What became of a reply, as its relay says (`im.s.<store>.<conv>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendOutcome {
    /// The relay took it into its outbox.
    Taken,
    /// The platform accepted it.
    Sent,
    /// It failed for good; `failure` says why.
    Failed,
    /// A relay took it and went away before it knew; never resent blindly.
    Uncertain,
}

impl SendOutcome {
    /// Whether nothing more will be said about the send.
    pub fn is_final(self) -> bool {
        !matches!(self, SendOutcome::Taken)
    }
}

/// A relay's word on a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireState {
    pub v: u32,
    pub msg_id: i64,
    pub outcome: SendOutcome,
    /// For `failed`: where it failed (`platform`, `network`, `local`), the platform's code
    /// and traceId, and the reason.
    pub kind: Option<String>,
    pub platform_code: Option<String>,
    pub trace_id: Option<String>,
    pub message: Option<String>,
    /// The relay that says so.
    pub relay: String,
    pub at_ms: i64,
}

impl WireState {
    /// The failure a desk records for a final state that is not `sent`.
    pub fn failure(&self) -> Option<SendFailure> {
        let kind = match self.outcome {
            SendOutcome::Sent | SendOutcome::Taken => return None,
            SendOutcome::Uncertain => FailureKind::Uncertain,
            SendOutcome::Failed => failure_kind(self.kind.as_deref()),
        };
        Some(SendFailure {
            kind,
            platform_code: self.platform_code.clone(),
            trace_id: self.trace_id.clone(),
            message: self.message.clone().unwrap_or_default(),
        })
    }

    /// A failed state from a relay's recorded failure.
    pub fn failed(msg_id: i64, f: &SendFailure, relay: &str, at_ms: i64) -> Self {
        let kind = wire_kind(f.kind);
        Self {
            v: 1,
            msg_id,
            outcome: if f.kind == FailureKind::Uncertain {
                SendOutcome::Uncertain
            } else {
                SendOutcome::Failed
            },
            kind: Some(kind.to_owned()),
            platform_code: f.platform_code.clone(),
            trace_id: f.trace_id.clone(),
            message: Some(f.message.clone()),
            relay: relay.to_owned(),
            at_ms,
        }
    }

    /// A state without a failure.
    pub fn plain(msg_id: i64, outcome: SendOutcome, relay: &str, at_ms: i64) -> Self {
        Self {
            v: 1,
            msg_id,
            outcome,
            kind: None,
            platform_code: None,
            trace_id: None,
            message: None,
            relay: relay.to_owned(),
            at_ms,
        }
    }
}

/// Where a failure happened, as the wire names it: `platform`, `network` or `local`.
pub(crate) fn wire_kind(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Platform => "platform",
        FailureKind::Network => "network",
        _ => "local",
    }
}

/// [`wire_kind`] read back (anything else is local).
pub(crate) fn failure_kind(kind: Option<&str>) -> FailureKind {
    match kind {
        Some("platform") => FailureKind::Platform,
        Some("network") => FailureKind::Network,
        _ => FailureKind::Local,
    }
}

/// A store as the `STORES` bucket lists it: never a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireStore {
    pub v: u32,
    pub epoi_id: String,
    pub name: String,
    pub business_id: u8,
}

/// A relay's heartbeat in the `RELAYS` bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireRelay {
    pub v: u32,
    pub relay: String,
    /// Push sockets open now, and how many it may open.
    pub sockets_open: u32,
    pub sockets: u32,
    /// When it said so, UTC ms.
    pub at_ms: i64,
    /// The platform's own reply rates per store, as the relay's poller last read them
    /// (getReversionRateAndRightsList), for the supervisor's wall.
    #[serde(default)]
    pub platform_rates: std::collections::BTreeMap<String, PlatformRates>,
}

/// A store's rates as the platform states them (its own strings, e.g. `"95.2%"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformRates {
    pub five_min: Option<String>,
    pub urgent: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_state_round_trips_its_failure() {
        let f = SendFailure {
            kind: FailureKind::Platform,
            platform_code: Some("1001".into()),
            trace_id: Some("t".into()),
            message: "refused".into(),
        };
        let s = WireState::failed(7, &f, "r1", 1);
        let back: WireState = serde_json::from_slice(&serde_json::to_vec(&s).unwrap()).unwrap();
        assert_eq!(back.failure(), Some(f));
        assert!(back.outcome.is_final());
        let taken = WireState::plain(7, SendOutcome::Taken, "r1", 1);
        assert_eq!(taken.failure(), None);
        assert!(!taken.outcome.is_final());
    }
}
