//! The imdesk engine ([`Desk`]): composes the signed client (`meituan-api`), the push
//! connection (`meituan-push`) and the SQLite cache (`imdesk-store`) into ingest, the outbox,
//! reply clocks and alerts, behind one API that both front doors call (the Tauri shell: one
//! command per method; `imdesk-cli`: headless, send, export).
//!
//! Rules it keeps (architecture.md): a pushed message is committed before any event about it
//! leaves the core; a merchant message is in the outbox, with our own msg_id, before its first
//! send attempt, and every retry reuses that id; no SQLite call runs on an executor thread;
//! every error converts once into [`view::IpcError`]; events are small and coalesced.
//!
//! ```no_run
//! # async fn demo() -> Result<(), imdesk_core::DeskError> {
//! use std::sync::Arc;
//! use imdesk_core::{Desk, DeskConfig, NullSink};
//! let desk = Desk::start(DeskConfig::load(None)?, Arc::new(NullSink)).await?;
//! let page = desk.inbox(imdesk_core::view::InboxQuery {
//!     store: None, filter: imdesk_core::view::InboxFilter::All, offset: 0, limit: 50,
//! }).await?;
//! desk.shutdown().await;
//! # Ok(()) }
//! ```

pub mod alerts;
pub mod bindings;

mod alerts_driver;
pub mod attachments;
mod commands;
pub mod config;
pub mod convert;
pub mod crash;
pub mod credentials;
mod desk;
mod detail;
mod doctor;
mod doctor_log;
mod doctor_redact;
mod error;
mod events;
pub mod export;
pub mod fans;
pub mod ingest;
mod link;
pub mod logs;
pub mod memory;
pub mod onboarding;
mod options;
mod outbox;
mod pictures;
pub mod platform;
mod pollers;
mod port;
mod queries;
mod rates;
mod registry;
mod retention;
pub mod reviews;
pub mod robot;
mod settings;
mod start_gate;
pub mod store_admin;
mod store_counts;
pub mod team;
mod team_commands;
pub mod team_settings;
pub mod token_vault;
mod tokens;
pub mod updates;
pub mod view;

pub use config::{ConfigError, DeskConfig, PlatformCodesConfig, PushScope, StoreCredentials};
pub use desk::{Desk, ENGINE_THREAD};
pub use detail::order_card;
pub use error::{DeskError, DeskResult};
pub use events::{DeskSink, NullSink};
pub use options::{CommitObserver, DeskOptions};
pub use settings::SEED_QUICK_REPLIES;
pub use start_gate::{StartGate, StartGateOpener};
