//! [`DeskError`]: the engine's errors, and their one conversion into the IPC shape
//! ([`crate::view::IpcError`]). Messages carry ids and platform codes, never secrets or
//! message text.

use imdesk_store::{OutboxRefusal, StoreError};
use meituan_api::{ApiError, CodeMeaning};

use crate::config::ConfigError;
use crate::view::{ErrorCode, IpcError};

/// Everything the desk can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The local cache failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A platform call failed.
    #[error("platform: {0}")]
    Api(#[from] ApiError),
    /// A platform call for one store failed; `store` names it ("望京店 (mt-1001)").
    #[error("store {store}: {source}")]
    AtStore {
        /// The store's name and ePoiId.
        store: String,
        /// What the platform (or the client) said (boxed: it is large, and errors travel far).
        source: Box<ApiError>,
    },
    /// The push connection could not start.
    #[error("push: {0}")]
    Push(#[from] meituan_push::PushError),
    /// No such conversation, message, store or quick reply.
    #[error("{what} {id} not found")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// Its id as given.
        id: String,
    },
    /// A text longer than the platform takes; `field` names it.
    #[error("{field} is {chars} characters; the platform takes at most {max}")]
    TooLong {
        /// What the text is ("the reply text of scene 18").
        field: String,
        /// Its length in characters.
        chars: usize,
        /// The most the platform takes.
        max: usize,
    },
    /// The UI passed something malformed.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// No developer credentials are configured.
    #[error("no developer credentials configured")]
    NoCredentials,
    /// Team mode: the NATS server or the stream failed (no secret in the text).
    #[error("team: {0}")]
    Team(String),
    /// Team mode: what the agent acted on changed meanwhile (an owner, a setting).
    #[error("changed meanwhile: {0}")]
    Conflict(String),
    /// Team mode: the conversation belongs to another agent.
    #[error("this conversation belongs to {owner}")]
    NotOwner {
        /// Its owner.
        owner: String,
    },
    /// The store's IM switch is off.
    #[error("IM is switched off for store {0}")]
    ImClosed(String),
    /// The platform has not given the store the right the action needs (review contact, fans
    /// groups); nothing was created.
    #[error("store {store} does not hold the right: {right}")]
    RightLocked {
        /// The store's name and ePoiId.
        store: String,
        /// Which right, and why it is known to be missing.
        right: String,
    },
    /// The thing to create exists already; `field` names what makes it the same one.
    #[error("{field}: {what} exists already")]
    Duplicate {
        /// The field that makes it a duplicate.
        field: String,
        /// What exists.
        what: String,
    },
    /// A time that must lie ahead has passed; `field` names it.
    #[error("{field} is in the past")]
    InPast {
        /// The field.
        field: String,
    },
    /// A send failed for good; `code` is the platform's (or `network`, or `local`).
    #[error("send of outbox item {id} failed: {code}: {reason}")]
    SendFailed {
        /// Outbox item id.
        id: i64,
        /// Platform error code, or `network`, or `local`.
        code: String,
        /// The platform's reason (its own `msg`), or ours for `network` and `local`.
        reason: String,
        /// What the code table says `code` means; `None` when it does not know the code.
        meaning: Option<CodeMeaning>,
    },
    /// A picture the platform would not take (format or size), with the reason.
    #[error("picture refused: {0}")]
    BadImage(String),
    /// The store's integration has no endpoint for the action.
    #[error("not available for store {store}: {what}")]
    Unsupported {
        /// The store.
        store: String,
        /// What is missing.
        what: String,
    },
    /// A staged picture could not be written or read.
    #[error(transparent)]
    Attachment(#[from] crate::attachments::AttachmentError),
    /// A diagnostic bundle could not be written (the path and the I/O reason).
    #[error("diagnostics: {0}")]
    Diagnostics(String),
    /// An export could not be written (the path and the I/O reason).
    #[error("export: {0}")]
    Export(String),
    /// The engine has shut down.
    #[error("the desk has shut down")]
    Stopped,
    /// The engine's worker thread could not be started.
    #[error("cannot start the desk's worker thread: {0}")]
    Thread(std::io::Error),
}

impl DeskError {
    pub(crate) fn not_found(what: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// The code the UI branches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            DeskError::Store(StoreError::Refused(refusal)) => match refusal {
                OutboxRefusal::EmptyText => ErrorCode::EmptyText,
                OutboxRefusal::TextTooLong { .. } => ErrorCode::TextTooLong,
                OutboxRefusal::CustomerBlocked => ErrorCode::CustomerBlocked,
                OutboxRefusal::AfterSaleClosed { .. } => ErrorCode::WindowClosed,
            },
            DeskError::Store(
                StoreError::ConversationNotFound(_) | StoreError::OutboxNotFound(_),
            )
            | DeskError::NotFound { .. } => ErrorCode::NotFound,
            DeskError::Store(e) if e.is_disk_full() => ErrorCode::DiskFull,
            DeskError::Store(_)
            | DeskError::Push(_)
            | DeskError::Attachment(_)
            | DeskError::Diagnostics(_)
            | DeskError::Export(_)
            | DeskError::Stopped
            | DeskError::Thread(_) => ErrorCode::Internal,
            DeskError::BadImage(_) => ErrorCode::BadImage,
            DeskError::Unsupported { .. } => ErrorCode::Unsupported,
            DeskError::Api(e) => api_code(e),
            DeskError::AtStore { source, .. } => api_code(source),
            DeskError::SendFailed { code, .. } if code == "network" => ErrorCode::Network,
            DeskError::SendFailed { code, .. } if code == "conflict" => ErrorCode::Conflict,
            DeskError::SendFailed { code, .. } if code == "uncertain" => ErrorCode::Uncertain,
            DeskError::SendFailed { meaning, .. } => platform_code(*meaning),
            DeskError::Invalid(_) => ErrorCode::Invalid,
            DeskError::TooLong { .. } => ErrorCode::TextTooLong,
            DeskError::Config(_) | DeskError::NoCredentials => ErrorCode::Auth,
            DeskError::Team(_) => ErrorCode::Network,
            DeskError::Conflict(_) => ErrorCode::Conflict,
            DeskError::NotOwner { .. } => ErrorCode::NotOwner,
            DeskError::ImClosed(_) => ErrorCode::ImClosed,
            DeskError::RightLocked { .. } => ErrorCode::RightLocked,
            DeskError::Duplicate { .. } => ErrorCode::Duplicate,
            DeskError::InPast { .. } => ErrorCode::InPast,
        }
    }

    /// The platform's own words about the failure, when it said any: what the agent is shown
    /// for a code the table does not know ([`IpcError::platform_msg`]).
    pub fn platform_msg(&self) -> Option<String> {
        match self {
            DeskError::Api(e) => e.platform_msg().map(str::to_owned),
            DeskError::AtStore { source, .. } => source.platform_msg().map(str::to_owned),
            DeskError::SendFailed { code, reason, .. }
                if !matches!(
                    code.as_str(),
                    "network" | "local" | "conflict" | "uncertain"
                ) && !reason.trim().is_empty() =>
            {
                Some(reason.clone())
            }
            _ => None,
        }
    }
}

/// The UI case of a platform refusal, by what the code table says its code means (the table
/// is data: `[platform_codes]` in the config file). A code it does not know is a plain
/// platform refusal, shown with the platform's own words.
fn platform_code(meaning: Option<CodeMeaning>) -> ErrorCode {
    match meaning {
        Some(CodeMeaning::CustomerBlocked) => ErrorCode::CustomerBlocked,
        Some(CodeMeaning::ChatWindowClosed) => ErrorCode::WindowClosed,
        Some(CodeMeaning::ImClosed) => ErrorCode::ImClosed,
        Some(CodeMeaning::TokenExpired | CodeMeaning::CredentialsInvalid) => ErrorCode::Auth,
        Some(CodeMeaning::RateLimited | CodeMeaning::StaleSecret | CodeMeaning::InvalidParam)
        | None => ErrorCode::Platform,
    }
}

fn api_code(e: &ApiError) -> ErrorCode {
    match e {
        ApiError::Platform { meaning, .. } => platform_code(*meaning),
        ApiError::Transport { .. } => ErrorCode::Network,
        ApiError::OAuth { .. } | ApiError::MissingToken { .. } | ApiError::Config { .. } => {
            ErrorCode::Auth
        }
        ApiError::Validation { .. } if e.unsupported_in().is_some() => ErrorCode::Unsupported,
        ApiError::Validation { .. } => ErrorCode::Invalid,
    }
}

impl From<DeskError> for IpcError {
    fn from(e: DeskError) -> Self {
        IpcError {
            code: e.code(),
            platform_msg: e.platform_msg(),
            message: e.to_string(),
        }
    }
}

/// Short alias.
pub type DeskResult<T> = Result<T, DeskError>;
