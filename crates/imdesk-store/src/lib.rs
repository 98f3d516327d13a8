//! The SQLite message cache of imdesk: messages, conversation summaries with reply clocks,
//! the outbox, quick replies, drafts, settings and the quarantine, with full-text search that
//! finds Chinese substrings of two or more characters, newest first.
//!
//! It owns the database file and nothing else: it knows no Meituan crate, Tauri or UI
//! (architecture rule 1). One writer thread owns the write connection and commits whatever is
//! queued in one transaction; reads use a small pool of reader connections (rule 5). Every
//! operation exists as a blocking method and as an `_async` method that never runs SQLite on
//! an executor thread. The schema is a linear list of migrations in `user_version`
//! ([`schema`]). Times are UTC milliseconds.
//!
//! ```no_run
//! # fn main() -> Result<(), imdesk_store::StoreError> {
//! use imdesk_store::{InboxQuery, Store, StoreOptions};
//! let store = Store::open("imdesk.sqlite3", StoreOptions::default())?;
//! let page = store.inbox(InboxQuery::default(), 1_700_000_000_000)?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod api;
mod authors;
#[cfg(feature = "bench-support")]
pub mod bench_support;
mod checkpoint;
mod conversations;
mod db;
mod desk_tables;
mod error;
mod inbox;
mod ingest;
mod ingest_summary;
mod lock;
mod messages;
mod options;
mod outbox;
pub mod platform_rates;
mod quarantine;
mod reply_rates;
mod retention;
mod review_contact;
pub mod schema;
pub mod search;
pub mod search_text;

pub use authors::{ReplyAuthor, ReplyEvent};
pub use conversations::{Conversation, ConversationKey, OrderState, ReplyClock};
pub use db::{Mark, QueuedIngest, Store};
pub use desk_tables::{OrderRecord, QuickReply, StoreRow};
pub use error::{OutboxRefusal, Result, StoreError};
pub use inbox::{
    InboxCursor, InboxPage, InboxQuery, InboxRow, InboxView, StoreCounts, StoreCountsAt,
    MAX_INBOX_PAGE,
};
pub use ingest::IngestOutcome;
pub use lock::lock_path;
pub use messages::{
    ExportFilter, HistoryCursor, MessageRow, NewMessage, StoreActivity, SOURCE_CUSTOMER,
    SOURCE_MERCHANT,
};
pub use options::{
    CheckpointPolicy, ClockPolicy, StoreOptions, NORMAL_WINDOW_MS, URGENT_WINDOW_MS,
};
pub use outbox::{FailureKind, NewOutboxMessage, OutboxItem, OutboxState, SendFailure};
pub use platform_rates::PlatformRateDay;
pub use quarantine::QuarantinedFrame;
pub use reply_rates::{RateCounts, ReplyRates};
pub use retention::{PruneLimits, Pruned};
pub use search::SearchFilter;
pub use search_text::SearchBody;
