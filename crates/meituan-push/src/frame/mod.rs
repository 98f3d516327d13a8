//! Turning one WebSocket text frame into a typed push, or into a [`Quarantine`] with a
//! reason. Pure and panic-free on any input, so it is the fuzz target's entry point.
//!
//! Steps: size limit → keep-alive → `decodeURIComponent` → JSON → shape (`frame::shape`,
//! \[INF\]) → field checks → `PushContent` → store → `msg_content` decryption through the one
//! cipher module (`meituan_wire::cipher`). A message that does not decrypt is quarantined with its
//! identity, never delivered without text and never dropped.

mod fields;
mod percent;
mod shape;

use meituan_wire::{AppId, BizType, MsgCipher, PushContent, StoreId};
use serde_json::Value;

use crate::config::{ConnectionScope, KnownStores, PushConfig};
use crate::keepalive;
use crate::quarantine::{DedupeKey, Quarantine, QuarantineReason};

use self::percent::PercentError;

/// The decoding rules taken from [`PushConfig`].
#[derive(Debug, Clone)]
pub struct FrameRules {
    /// Frames longer than this many bytes are quarantined as oversized.
    pub max_frame_bytes: usize,
    /// Developer- or store-scoped connection \[INF\].
    pub scope: ConnectionScope,
    /// Stores frames may name; `None` accepts any.
    pub known_stores: Option<KnownStores>,
}

impl FrameRules {
    /// The rules of a client configuration.
    pub fn from_config(config: &PushConfig) -> Self {
        Self {
            max_frame_bytes: config.max_frame_bytes,
            scope: config.scope.clone(),
            known_stores: config.known_stores.clone(),
        }
    }
}

/// A decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The server's keep-alive answer.
    KeepAlive,
    /// A message push.
    Push(Box<DecodedPush>),
}

/// A message push with its content decrypted.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodedPush {
    /// The store it belongs to.
    pub store: StoreId,
    /// The developer application id, when the frame carries one.
    pub app_id: Option<AppId>,
    /// The conversation kind.
    pub biz_type: BizType,
    /// The message as the platform sent it (`msg_content` still encrypted).
    pub content: PushContent,
    /// The decrypted `msg_content`.
    pub text: String,
}

impl DecodedPush {
    /// The cross-connection identity of this message.
    pub fn key(&self) -> DedupeKey {
        DedupeKey {
            store: self.store.clone(),
            biz_type: self.biz_type,
            msg_id: self.content.msg_id,
        }
    }
}

// Debug never shows the decrypted customer text.
impl std::fmt::Debug for DecodedPush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedPush")
            .field("store", &self.store)
            .field("app_id", &self.app_id)
            .field("biz_type", &self.biz_type)
            .field("content", &self.content)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .finish()
    }
}

/// Decodes one text frame. Never panics; every refusal is a [`Quarantine`] holding the raw
/// frame and the reason.
pub fn decode_frame(
    raw: &str,
    cipher: &dyn MsgCipher,
    rules: &FrameRules,
) -> Result<Frame, Quarantine> {
    let quarantine = |reason| Quarantine::new(reason, raw);
    if raw.len() > rules.max_frame_bytes {
        return Err(quarantine(QuarantineReason::Oversized {
            len: raw.len(),
            limit: rules.max_frame_bytes,
        }));
    }
    if keepalive::is_server_keepalive(raw) {
        return Ok(Frame::KeepAlive);
    }
    let text = percent::decode_uri_component(raw).map_err(|e| {
        quarantine(match e {
            PercentError::Malformed => QuarantineReason::NotPercentEncoded,
            PercentError::NotUtf8 => QuarantineReason::BadUtf8,
        })
    })?;
    let json: Value =
        serde_json::from_str(&text).map_err(|_| quarantine(QuarantineReason::NotJson))?;
    let envelope = shape::envelope(json).map_err(quarantine)?;

    let biz_type = envelope
        .biz_type
        .as_ref()
        .ok_or(QuarantineReason::MissingField { field: "biz_type" })
        .and_then(|v| fields::code_i32(v, "biz_type"))
        .map(BizType::from)
        .map_err(quarantine)?;
    if let BizType::Unknown(code) = biz_type {
        return Err(quarantine(QuarantineReason::UnknownBizType {
            biz_type: code,
        }));
    }
    let app_id = match &envelope.app_id {
        Some(v) => Some(AppId(fields::id_i64(v, "app_id").map_err(quarantine)?)),
        None => None,
    };
    fields::check_content(&envelope.content).map_err(quarantine)?;
    let content: PushContent =
        serde_json::from_value(Value::Object(envelope.content)).map_err(|_| {
            quarantine(QuarantineReason::BadField {
                field: "push_content",
            })
        })?;
    let named = named_store(envelope.store.as_ref()).map_err(quarantine)?;
    let store = resolve_store(named, rules).map_err(quarantine)?;

    let key = DedupeKey {
        store: store.clone(),
        biz_type,
        msg_id: content.msg_id,
    };
    if let Some(known) = &rules.known_stores {
        if !known.contains(&store) {
            return Err(quarantine(QuarantineReason::UnknownStore { store }).with_key(key));
        }
    }
    let text = cipher.decrypt(&content.msg_content).map_err(|e| {
        quarantine(QuarantineReason::UndecryptableContent {
            cause: e.to_string(),
        })
        .with_key(key.clone())
    })?;
    Ok(Frame::Push(Box::new(DecodedPush {
        store,
        app_id,
        biz_type,
        content,
        text,
    })))
}

/// The store a frame names, if any: a non-empty string or an integer.
fn named_store(v: Option<&Value>) -> Result<Option<StoreId>, QuarantineReason> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(StoreId::new(s.trim()))),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(StoreId::new(n.to_string()))),
        Some(_) => Err(QuarantineReason::BadField { field: "epoiId" }),
    }
}

/// Applies the connection scope \[INF\] to the store a frame names.
fn resolve_store(named: Option<StoreId>, rules: &FrameRules) -> Result<StoreId, QuarantineReason> {
    match (&rules.scope, named) {
        (ConnectionScope::Developer, Some(store)) => Ok(store),
        (ConnectionScope::Developer, None) => {
            Err(QuarantineReason::MissingField { field: "epoiId" })
        }
        (ConnectionScope::Store(own), None) => Ok(own.clone()),
        (ConnectionScope::Store(own), Some(store)) if &store == own => Ok(store),
        (ConnectionScope::Store(_), Some(store)) => Err(QuarantineReason::UnknownStore { store }),
    }
}
