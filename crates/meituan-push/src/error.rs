//! The crate's error type. Errors carry ids and causes, never tokens, `imSecret` or message
//! text.

/// Why the push client could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// A configuration value is out of range.
    #[error("invalid push configuration: {0}")]
    Config(String),
}
