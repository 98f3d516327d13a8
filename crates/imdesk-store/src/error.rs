//! The store's error type. Variants carry ids and sizes, never message text.

use std::sync::Arc;

/// Everything the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The batch this operation ran in could not be committed; nothing of it was written.
    #[error("batch commit failed: {0}")]
    CommitFailed(Arc<rusqlite::Error>),
    /// An ingest (possibly merged with other ingest calls queued at the same time) failed and
    /// was rolled back; carries the storage error's description (never message text).
    #[error("ingest failed and was rolled back: {0}")]
    IngestFailed(Arc<String>),
    /// The file was written by a newer imdesk.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew {
        /// `user_version` found in the file.
        found: i64,
        /// The latest version this build knows.
        supported: i64,
    },
    /// Another process (or another `Store` in this one) has the database open for writing.
    #[error(
        "database {db} is already in use by another imdesk process{pid} (lock file {lock_file}); \
         stop that process (the app, `imdesk-cli headless` or a relay) or give this one another \
         database (IMDESK_DB or IMDESK_DATA_DIR)",
        db = db.display(),
        lock_file = lock_file.display(),
        pid = holder.map(|p| format!(", pid {p}")).unwrap_or_default()
    )]
    Locked {
        /// The database asked for.
        db: std::path::PathBuf,
        /// The lock file beside it.
        lock_file: std::path::PathBuf,
        /// The holder's pid, as it wrote it into the lock file (a hint; absent if unreadable).
        holder: Option<u32>,
    },
    /// The lock file beside the database cannot be created or locked.
    #[error("cannot use the lock file {}: {source}", path.display())]
    LockFile {
        /// The lock file.
        path: std::path::PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The writer thread has stopped (the store is closing or a job panicked).
    #[error("the store's writer thread is gone")]
    WriterGone,
    /// A write job panicked; its writes were rolled back and the writer goes on.
    #[error("a store write job panicked; its writes were rolled back")]
    JobPanicked,
    /// The writer thread could not be started.
    #[error("cannot start the writer thread: {0}")]
    WriterStart(std::io::Error),
    /// A blocking reader task could not be joined.
    #[error("reader task failed: {0}")]
    ReaderTask(String),
    /// No conversation with this id.
    #[error("conversation {0} not found")]
    ConversationNotFound(i64),
    /// A reply-clock policy with a window that is not positive.
    #[error("a reply window must be positive")]
    InvalidClockPolicy,
    /// A conversation cannot be keyed: biz_type 1 needs open_user_id; 4, 5 and 6 need
    /// group_id; other kinds are unknown.
    #[error("no conversation key for biz_type {biz_type}")]
    NoConversationKey {
        /// The kind asked for.
        biz_type: i32,
    },
    /// No outbox item with this id.
    #[error("outbox item {0} not found")]
    OutboxNotFound(i64),
    /// The outbox refused a message before any send attempt.
    #[error("outbox refused the message: {0}")]
    Refused(#[from] OutboxRefusal),
    /// An outbox state change that would deliver a message twice or revive a sent one.
    #[error("outbox item {id} is already sent")]
    AlreadySent {
        /// Outbox row id.
        id: i64,
    },
}

impl StoreError {
    /// True when SQLite refused a write because the disk (or the page cap of
    /// [`crate::Store::limit_pages`]) is full.
    pub fn is_disk_full(&self) -> bool {
        let sqlite = match self {
            StoreError::Sqlite(e) => e,
            StoreError::CommitFailed(e) => e.as_ref(),
            StoreError::IngestFailed(message) => return message.contains("full"),
            _ => return false,
        };
        sqlite.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull)
    }
}

/// Why a merchant message was refused locally. The core maps each case to a clear zh-CN text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboxRefusal {
    /// The text is empty or only whitespace.
    #[error("the text is empty")]
    EmptyText,
    /// The text has more characters than allowed.
    #[error("the text has {chars} characters, more than the limit of {max}")]
    TextTooLong {
        /// Characters (Unicode scalar values) in the text.
        chars: usize,
        /// The configured limit ([`crate::StoreOptions::max_outbox_chars`]).
        max: usize,
    },
    /// The customer of this two-party conversation is blocked.
    #[error("the customer is blocked")]
    CustomerBlocked,
    /// The order was completed more than the after-sale window ago.
    #[error("the after-sale window closed at {closed_at_ms}")]
    AfterSaleClosed {
        /// UTC ms when the 48-hour window closed.
        closed_at_ms: i64,
    },
}

/// Short alias used throughout the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
