//! Errors of the sandbox's Rust API (the HTTP side answers in the platform envelope instead).

/// What went wrong when starting or scripting the sandbox.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The listener could not be bound.
    #[error("cannot bind the sandbox listener: {0}")]
    Bind(#[from] std::io::Error),
    /// No store has this ePoiId.
    #[error("unknown store {0}")]
    UnknownStore(String),
    /// The store has no customer with this open_user_id.
    #[error("store {store} has no customer {open_user_id}")]
    UnknownCustomer {
        /// ePoiId of the store.
        store: String,
        /// The customer id that was asked for.
        open_user_id: i64,
    },
    /// The store has no order with this id.
    #[error("store {store} has no order {order_id}")]
    UnknownOrder {
        /// ePoiId of the store.
        store: String,
        /// The order id that was asked for.
        order_id: i64,
    },
    /// The customer is blocked by the store and cannot reach it.
    #[error("customer {open_user_id} is blocked by store {store}")]
    CustomerBlocked {
        /// ePoiId of the store.
        store: String,
        /// The blocked customer.
        open_user_id: i64,
    },
    /// The two-party chat's order completed more than 48 hours ago.
    #[error("the chat about order {order_id} closed 48 hours after completion")]
    ChatExpired {
        /// The order whose after-sale window has closed.
        order_id: i64,
    },
    /// A scripted request does not make sense (for example a fault list that does not parse).
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// Result alias of the sandbox's Rust API.
pub type Result<T, E = SandboxError> = std::result::Result<T, E>;
