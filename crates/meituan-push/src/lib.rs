//! The Meituan push long connection (`wss://wpush.meituan.com`, §6 of the protocol
//! document). This crate owns: fetching connection tokens through a [`TokenSource`] the
//! engine implements; N redundant sockets (3 by default, 1–5), one task each; keep-alive every
//! 10 s; declaring a socket silent for 30 s dead; reconnecting with exponential backoff,
//! jitter and a fresh token; decoding frames defensively ([`frame`]) and decrypting
//! `msg_content` through the one cipher module (`meituan_wire::cipher`); quarantining what it
//! cannot understand ([`quarantine`]); dropping copies across connections; and handing out a
//! typed stream of [`PushEvent`]s with per-connection [`ConnectionHealth`].
//!
//! It knows nothing of `meituan-api`, the database or the UI (architecture rule 1). The
//! inferred parts each sit in one place (rule 3): the frame shape in `frame::shape`, the
//! keep-alive payload in [`keepalive`], the URL and the derived connectionId in [`endpoint`],
//! and the connection scope in [`ConnectionScope`] (several scope units, one per store, run
//! side by side through [`PushClient::start_units`]).
//!
//! ```no_run
//! # async fn demo(tokens: impl meituan_push::TokenSource) -> Result<(), meituan_push::PushError> {
//! use meituan_push::{PushClient, PushConfig, PushEvent};
//! let (handle, mut events) = PushClient::start(PushConfig::new("wss://wpush.meituan.com"), tokens)?;
//! while let Some(event) = events.recv().await {
//!     match event {
//!         PushEvent::Message(m) => println!("{} {}", m.store, m.content.msg_id),
//!         PushEvent::Quarantined(q) => println!("quarantined: {}", q.reason),
//!     }
//! }
//! handle.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod client;
pub mod config;
mod connection;
mod dedupe;
pub mod endpoint;
mod error;
pub mod event;
pub mod frame;
pub mod health;
pub mod keepalive;
pub mod quarantine;
mod tls;
pub mod token;

pub use client::{PushClient, PushHandle, PushUnit};
pub use config::{BackoffConfig, ConnectionScope, KnownStores, PushConfig};
pub use error::PushError;
pub use event::{PushEvent, PushedMessage, QuarantinedFrame};
#[doc(hidden)]
pub use frame::read_frame_general;
pub use frame::{
    decode_frame, read_frame, DecodedPush, Frame, FrameRules, SealedFrame, SealedPush,
};
pub use health::{ConnectionHealth, ConnectionState, Disconnect};
pub use quarantine::{DedupeKey, Quarantine, QuarantineReason};
pub use token::{ConnectionGrant, ConnectionSlot, TokenError, TokenSource};
