//! Why a frame was set aside. A quarantined frame is never dropped silently: it reaches the
//! engine as [`crate::PushEvent::Quarantined`] with its raw text, is counted in the
//! connection's health, and the engine keeps it in its quarantine table (architecture rule 4).

use std::fmt;

use meituan_wire::{BizType, MsgId, StoreId};
use serde::Serialize;

/// How much of an oversized frame is kept for diagnostics.
pub const OVERSIZED_RAW_KEPT: usize = 4096;

/// The reason a frame could not be turned into a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum QuarantineReason {
    /// The frame is longer than `max_frame_bytes`; only its first bytes are kept.
    Oversized {
        /// Length of the frame in bytes.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A `%` is not followed by two hex digits (`decodeURIComponent` would throw).
    NotPercentEncoded,
    /// The percent-decoded bytes (or a binary frame) are not UTF-8.
    BadUtf8,
    /// The decoded text (or a `push_content` string) is not JSON.
    NotJson,
    /// JSON, but neither a wrapper with `push_content` nor a bare `push_content` object.
    UnknownShape,
    /// A required field is absent or null.
    MissingField {
        /// Wire name of the field.
        field: &'static str,
    },
    /// A field has the wrong JSON type.
    BadField {
        /// Wire name of the field.
        field: &'static str,
    },
    /// An id is not a positive 64-bit integer (too large, negative, fractional).
    IdOutOfRange {
        /// Wire name of the field.
        field: &'static str,
    },
    /// A `biz_type` this client does not know how to route.
    UnknownBizType {
        /// The value received.
        biz_type: i32,
    },
    /// The frame names a store that is not one of ours.
    UnknownStore {
        /// The store named by the frame.
        store: StoreId,
    },
    /// `msg_content` does not decrypt with the current `imSecret`.
    UndecryptableContent {
        /// What went wrong, from the cipher module (never the content).
        cause: String,
    },
}

impl QuarantineReason {
    /// A stable short code for storage and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Oversized { .. } => "oversized",
            Self::NotPercentEncoded => "not_percent_encoded",
            Self::BadUtf8 => "bad_utf8",
            Self::NotJson => "not_json",
            Self::UnknownShape => "unknown_shape",
            Self::MissingField { .. } => "missing_field",
            Self::BadField { .. } => "bad_field",
            Self::IdOutOfRange { .. } => "id_out_of_range",
            Self::UnknownBizType { .. } => "unknown_biz_type",
            Self::UnknownStore { .. } => "unknown_store",
            Self::UndecryptableContent { .. } => "undecryptable_content",
        }
    }
}

impl fmt::Display for QuarantineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Oversized { len, limit } => write!(f, "frame of {len} bytes exceeds {limit}"),
            Self::NotPercentEncoded => f.write_str("frame is not percent-encoded"),
            Self::BadUtf8 => f.write_str("frame is not UTF-8"),
            Self::NotJson => f.write_str("frame is not JSON"),
            Self::UnknownShape => f.write_str("frame has an unknown shape"),
            Self::MissingField { field } => write!(f, "field {field} is missing"),
            Self::BadField { field } => write!(f, "field {field} has the wrong type"),
            Self::IdOutOfRange { field } => write!(f, "id {field} is out of range"),
            Self::UnknownBizType { biz_type } => write!(f, "unknown biz_type {biz_type}"),
            Self::UnknownStore { store } => write!(f, "unknown store {store}"),
            Self::UndecryptableContent { cause } => write!(f, "undecryptable content: {cause}"),
        }
    }
}

/// The identity of a pushed message across connections: (store, biz_type, msg_id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DedupeKey {
    /// The store the message belongs to.
    pub store: StoreId,
    /// The conversation kind.
    pub biz_type: BizType,
    /// Meituan's message id.
    pub msg_id: MsgId,
}

/// A frame set aside, with its raw text (cut to [`OVERSIZED_RAW_KEPT`] bytes when oversized).
#[derive(Clone, PartialEq, Eq)]
pub struct Quarantine {
    /// Why.
    pub reason: QuarantineReason,
    /// The frame as received (possibly cut, see `raw_len`).
    pub raw: String,
    /// Length of the whole frame in bytes.
    pub raw_len: usize,
    /// The message identity when the frame got far enough to have one (unknown store,
    /// undecryptable content); used to drop copies from the other connections.
    pub key: Option<DedupeKey>,
}

impl Quarantine {
    pub(crate) fn new(reason: QuarantineReason, raw: &str) -> Self {
        let kept = if raw.len() > OVERSIZED_RAW_KEPT {
            let mut end = OVERSIZED_RAW_KEPT;
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            &raw[..end]
        } else {
            raw
        };
        Self {
            reason,
            raw: kept.to_owned(),
            raw_len: raw.len(),
            key: None,
        }
    }

    pub(crate) fn with_key(mut self, key: DedupeKey) -> Self {
        self.key = Some(key);
        self
    }
}

// The raw frame may hold customer text (plain or encrypted): Debug shows only its length.
impl fmt::Debug for Quarantine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Quarantine")
            .field("reason", &self.reason)
            .field("raw_len", &self.raw_len)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_raw_is_cut_on_a_char_boundary() {
        let raw = "好".repeat(OVERSIZED_RAW_KEPT); // 3 bytes each
        let q = Quarantine::new(QuarantineReason::NotJson, &raw);
        assert!(q.raw.len() <= OVERSIZED_RAW_KEPT && q.raw.len() > OVERSIZED_RAW_KEPT - 3);
        assert_eq!(q.raw_len, raw.len());
        assert!(!format!("{q:?}").contains('好'));
    }

    #[test]
    fn codes_are_stable_snake_case() {
        let r = QuarantineReason::MissingField { field: "msg_id" };
        assert_eq!(r.code(), "missing_field");
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"code":"missing_field","field":"msg_id"}"#
        );
        assert_eq!(r.to_string(), "field msg_id is missing");
    }
}
