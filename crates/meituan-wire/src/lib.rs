//! Wire vocabulary shared by the Meituan client (`meituan-api`) and the push stream
//! (`meituan-push`): id newtypes, the integration (`BusinessId`) and message codes, the
//! `push_content` object with its exact wire names, time units (`cts` seconds versus
//! `last_read_time` milliseconds, both converted to [`TimeMs`] at the boundary), the one
//! injectable clock, and the one `msg_content` cipher module ([`cipher`]).
//!
//! This crate does no I/O. Every decoder returns a `Result`; ids are parsed as `i64` from
//! either JSON numbers or strings and never pass through `f64`.

#![warn(missing_docs)]

pub mod cipher;
pub mod codes;
pub mod ids;
pub mod lenient;
pub mod push;
pub mod time;

pub use cipher::{AesEcbCipher, CipherError, MsgCipher};
pub use codes::{
    BizType, BusinessId, HasReply, MsgKind, MsgSource, MsgType, SceneTag, UnknownBusinessId,
};
pub use ids::{AppId, CommentId, GroupId, MsgId, OpenUserId, OrderId, RiderId, StoreId};
pub use push::PushContent;
pub use time::{Clock, FixedClock, SystemClock, TimeMs, UnixSeconds};
