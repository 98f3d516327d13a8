//! What the push client hands to the engine.
//!
//! **Order:** events come out in the order the client first saw them. Each connection
//! delivers its own frames in arrival order; the connections are merged as they arrive, and a
//! message is emitted when its first copy arrives on any connection (later copies are
//! dropped). There is no global order across connections beyond that: consumers order a
//! conversation by `cts` (and the store's unique key absorbs any copy that slips through).

use std::fmt;

use meituan_wire::{AppId, BizType, PushContent, StoreId, TimeMs};

use crate::quarantine::{DedupeKey, QuarantineReason};

/// One item of the push stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushEvent {
    /// A message, decrypted, first copy only.
    Message(PushedMessage),
    /// A frame that could not be understood; keep it in the quarantine table.
    Quarantined(QuarantinedFrame),
}

/// A pushed message.
#[derive(Clone, PartialEq, Eq)]
pub struct PushedMessage {
    /// The store it belongs to.
    pub store: StoreId,
    /// The developer application id, when the frame carries one.
    pub app_id: Option<AppId>,
    /// The conversation kind.
    pub biz_type: BizType,
    /// The message as pushed (`msg_content` still in wire form).
    pub content: PushContent,
    /// The decrypted `msg_content`.
    pub text: String,
    /// UTC milliseconds when the first copy arrived.
    pub received_at: TimeMs,
    /// The connection that delivered it, 0-based.
    pub connection: usize,
    /// The frame as received, for diagnostics. Shared with the dedupe window's copy: it is
    /// kept only if the cache cannot place the message.
    pub raw_frame: std::sync::Arc<str>,
}

impl PushedMessage {
    /// The cross-connection identity (store, biz_type, msg_id).
    pub fn key(&self) -> DedupeKey {
        DedupeKey {
            store: self.store.clone(),
            biz_type: self.biz_type,
            msg_id: self.content.msg_id,
        }
    }
}

// Debug never shows customer text, plain or in the raw frame.
impl fmt::Debug for PushedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushedMessage")
            .field("store", &self.store)
            .field("app_id", &self.app_id)
            .field("biz_type", &self.biz_type)
            .field("content", &self.content)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .field("received_at", &self.received_at)
            .field("connection", &self.connection)
            .field(
                "raw_frame",
                &format_args!("<{} bytes>", self.raw_frame.len()),
            )
            .finish()
    }
}

/// A frame set aside with the reason.
#[derive(Clone, PartialEq, Eq)]
pub struct QuarantinedFrame {
    /// Why.
    pub reason: QuarantineReason,
    /// The frame as received; cut to its first 4 KiB when oversized (see `raw_len`).
    pub raw: String,
    /// Length of the whole frame in bytes.
    pub raw_len: usize,
    /// The message identity, when the frame got far enough to have one.
    pub key: Option<DedupeKey>,
    /// The connection that received it, 0-based.
    pub connection: usize,
    /// UTC milliseconds of arrival.
    pub at: TimeMs,
}

impl fmt::Debug for QuarantinedFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuarantinedFrame")
            .field("reason", &self.reason)
            .field("raw_len", &self.raw_len)
            .field("key", &self.key)
            .field("connection", &self.connection)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}
