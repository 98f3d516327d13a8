//! Turning one WebSocket text frame into a typed push, or into a [`Quarantine`] with a
//! reason. Pure and panic-free on any input, so it is the fuzz target's entry point.
//!
//! Steps: size limit → keep-alive → `decodeURIComponent` → JSON → shape (`frame::shape`,
//! \[INF\]) → field checks → `PushContent` → store ([`read_frame`]) → `msg_content` decryption
//! through the one cipher module, `meituan_wire::cipher` ([`SealedPush::open`]). The connections
//! read first and decrypt only a message no other connection delivered. A message that does
//! not decrypt is quarantined with its identity, never delivered without text and never
//! dropped.

mod fast;
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
/// frame and the reason. The same as [`read_frame`] followed by [`SealedPush::open`].
pub fn decode_frame(
    raw: &str,
    cipher: &dyn MsgCipher,
    rules: &FrameRules,
) -> Result<Frame, Quarantine> {
    match read_frame(raw, rules)? {
        SealedFrame::KeepAlive => Ok(Frame::KeepAlive),
        SealedFrame::Push(sealed) => Ok(Frame::Push(Box::new(sealed.open(cipher, raw)?))),
    }
}

/// A frame read up to, but not including, decryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealedFrame {
    /// The server's keep-alive answer.
    KeepAlive,
    /// A message push whose `msg_content` is still encrypted.
    Push(Box<SealedPush>),
}

/// A message push read and checked, `msg_content` not yet decrypted: its identity
/// ([`SealedPush::key`]) is known, so copies from redundant connections can be dropped
/// before paying for decryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPush {
    /// The store it belongs to.
    pub store: StoreId,
    /// The developer application id, when the frame carries one.
    pub app_id: Option<AppId>,
    /// The conversation kind.
    pub biz_type: BizType,
    /// The message as the platform sent it (`msg_content` encrypted).
    pub content: PushContent,
}

impl SealedPush {
    /// The cross-connection identity of this message.
    pub fn key(&self) -> DedupeKey {
        DedupeKey {
            store: self.store.clone(),
            biz_type: self.biz_type,
            msg_id: self.content.msg_id,
        }
    }

    /// Decrypts `msg_content` with `cipher`; `raw` is the frame, kept in the quarantine when
    /// it does not decrypt (with the message's identity).
    pub fn open(self, cipher: &dyn MsgCipher, raw: &str) -> Result<DecodedPush, Quarantine> {
        self.open_with(&[cipher], raw)
    }

    /// Decrypts `msg_content` with the first of `ciphers` that opens it (the newest imSecret,
    /// then an older one); quarantined with the last cipher's error when none does.
    pub fn open_with(
        self,
        ciphers: &[&dyn MsgCipher],
        raw: &str,
    ) -> Result<DecodedPush, Quarantine> {
        let mut cause = String::from("no cipher");
        for cipher in ciphers {
            match cipher.decrypt(&self.content.msg_content) {
                Ok(text) => {
                    return Ok(DecodedPush {
                        store: self.store,
                        app_id: self.app_id,
                        biz_type: self.biz_type,
                        content: self.content,
                        text,
                    })
                }
                Err(e) => cause = e.to_string(),
            }
        }
        let key = self.key();
        Err(Quarantine::new(QuarantineReason::UndecryptableContent { cause }, raw).with_key(key))
    }
}

/// Reads one text frame without decrypting it. Never panics; every refusal is a
/// [`Quarantine`] holding the raw frame and the reason.
pub fn read_frame(raw: &str, rules: &FrameRules) -> Result<SealedFrame, Quarantine> {
    read_frame_with(raw, rules, true)
}

/// [`read_frame`] without the typed fast path (`frame::fast`): every frame goes through the
/// general reader. Only for checking that both agree (tests and the fuzz target).
#[doc(hidden)]
pub fn read_frame_general(raw: &str, rules: &FrameRules) -> Result<SealedFrame, Quarantine> {
    read_frame_with(raw, rules, false)
}

fn read_frame_with(raw: &str, rules: &FrameRules, fast: bool) -> Result<SealedFrame, Quarantine> {
    let quarantine = |reason| Quarantine::new(reason, raw);
    if raw.len() > rules.max_frame_bytes {
        return Err(quarantine(QuarantineReason::Oversized {
            len: raw.len(),
            limit: rules.max_frame_bytes,
        }));
    }
    if keepalive::is_server_keepalive(raw) {
        return Ok(SealedFrame::KeepAlive);
    }
    let text = percent::decode_uri_component(raw).map_err(|e| {
        quarantine(match e {
            PercentError::Malformed => QuarantineReason::NotPercentEncoded,
            PercentError::NotUtf8 => QuarantineReason::BadUtf8,
        })
    })?;
    let read = match fast.then(|| fast::read(&text)).flatten() {
        Some(read) => read,
        None => read_general(&text).map_err(quarantine)?,
    };
    let (named, app_id, biz_type, content) = read;
    let store = resolve_store(named, rules).map_err(quarantine)?;
    let sealed = SealedPush {
        store,
        app_id,
        biz_type,
        content,
    };
    if let Some(known) = &rules.known_stores {
        if !known.contains(&sealed.store) {
            return Err(quarantine(QuarantineReason::UnknownStore {
                store: sealed.store.clone(),
            })
            .with_key(sealed.key()));
        }
    }
    Ok(SealedFrame::Push(Box::new(sealed)))
}

/// The general reader: JSON into a tree, the shape (`frame::shape`), then each field checked
/// so that a refusal names it.
fn read_general(text: &str) -> Result<fast::Read, QuarantineReason> {
    let json: Value = serde_json::from_str(text).map_err(|_| QuarantineReason::NotJson)?;
    let envelope = shape::envelope(json)?;
    let biz_type = envelope
        .biz_type
        .as_ref()
        .ok_or(QuarantineReason::MissingField { field: "biz_type" })
        .and_then(|v| fields::code_i32(v, "biz_type"))
        .map(BizType::from)?;
    if let BizType::Unknown(code) = biz_type {
        return Err(QuarantineReason::UnknownBizType { biz_type: code });
    }
    let app_id = match &envelope.app_id {
        Some(v) => Some(AppId(fields::id_i64(v, "app_id")?)),
        None => None,
    };
    fields::check_content(&envelope.content)?;
    let content: PushContent =
        serde_json::from_value(Value::Object(envelope.content)).map_err(|_| {
            QuarantineReason::BadField {
                field: "push_content",
            }
        })?;
    let named = named_store(envelope.store.as_ref())?;
    Ok((named, app_id, biz_type, content))
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
