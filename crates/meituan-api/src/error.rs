//! Errors of the client, in three families: the platform said no ([`ApiError::Platform`],
//! [`ApiError::OAuth`]), the exchange failed ([`ApiError::Transport`]), or the request was
//! refused before sending ([`ApiError::Validation`], [`ApiError::MissingToken`],
//! [`ApiError::Config`]).
//!
//! Every variant names the endpoint, and the trace id when the platform sent one. None of them
//! carries the signKey, a token, or message text: decode errors keep only a category and a
//! position, never the offending value.

use std::fmt;

use meituan_wire::{BusinessId, StoreId};

use crate::codes::CodeMeaning;

/// What went wrong on the way to or from the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No response within the configured connect or read timeout.
    Timeout,
    /// The connection could not be opened (refused, DNS, TLS).
    Connect,
    /// HTTP status other than 200.
    Status(u16),
    /// The response body is empty.
    EmptyBody,
    /// The body is not JSON, or not of the expected shape. `detail` is a category and a
    /// position only.
    UnreadableJson {
        /// Category and position of the problem, without the offending text.
        detail: String,
    },
    /// Any other failure of the HTTP stack.
    Other,
    /// The request was sent and then the answer was lost (the inner failure), so the platform
    /// may have processed it. Said of calls that must not be repeated blindly: an OAuth code
    /// exchange (codes are single-use) or a refresh (the refresh token may have rotated).
    OutcomeUnknown(Box<TransportError>),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timed out"),
            Self::Connect => f.write_str("could not connect"),
            Self::Status(status) => write!(f, "HTTP status {status}"),
            Self::EmptyBody => f.write_str("empty response body"),
            Self::UnreadableJson { detail } => write!(f, "unreadable JSON ({detail})"),
            Self::Other => f.write_str("HTTP failure"),
            Self::OutcomeUnknown(cause) => write!(
                f,
                "{cause} after the request was sent: the platform may have processed it (a \
                 refresh token may now be rotated, an authorization code used up), so it was \
                 not repeated; if the next refresh is refused, authorize the store again"
            ),
        }
    }
}

/// An error of a call to the Meituan open platform.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The platform answered with a `code` other than success.
    #[error("{endpoint}: platform error {code}: {msg} (traceId {})", show(.trace_id))]
    Platform {
        /// Endpoint name, for example `msg/send`.
        endpoint: String,
        /// The platform's error code.
        code: String,
        /// The platform's message.
        msg: String,
        /// The platform's trace id.
        trace_id: Option<String>,
        /// What the code table says the code means; `None` for a code it does not know,
        /// where `msg` is all there is to show.
        meaning: Option<CodeMeaning>,
    },
    /// An OAuth call answered with a non-zero integer `code` (§3).
    #[error("{endpoint}: OAuth error {code}: {msg}")]
    OAuth {
        /// `oauth/token` or `oauth/refresh`.
        endpoint: String,
        /// The integer code.
        code: i64,
        /// The platform's message.
        msg: String,
    },
    /// The request or response did not make it.
    #[error("{endpoint}: {kind} (traceId {})", show(.trace_id))]
    Transport {
        /// Endpoint name.
        endpoint: String,
        /// What failed.
        kind: TransportError,
        /// Trace id, if the platform sent a readable envelope.
        trace_id: Option<String>,
    },
    /// The request was refused locally before sending.
    #[error("{endpoint}: invalid request: {reason}")]
    Validation {
        /// Endpoint name.
        endpoint: String,
        /// What is wrong.
        reason: String,
        /// `Some(b)` when the endpoint does not exist at all in integration `b` (image upload
        /// on businessId 2): no request can succeed for such a store, so a front end should
        /// hide the action instead of offering a retry. See [`ApiError::unsupported_in`].
        unsupported_in: Option<BusinessId>,
    },
    /// No appAuthToken is known for the store, or it expired and cannot be refreshed.
    #[error("{endpoint}: no usable appAuthToken for store {store} (businessId {business_id})")]
    MissingToken {
        /// Endpoint name.
        endpoint: String,
        /// The store.
        store: StoreId,
        /// The integration.
        business_id: BusinessId,
    },
    /// The client could not be built (base URL, TLS).
    #[error("client configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
}

fn show(trace_id: &Option<String>) -> &str {
    trace_id.as_deref().unwrap_or("-")
}

impl ApiError {
    /// The endpoint the error belongs to (empty for [`ApiError::Config`]).
    pub fn endpoint(&self) -> &str {
        match self {
            Self::Platform { endpoint, .. }
            | Self::OAuth { endpoint, .. }
            | Self::Transport { endpoint, .. }
            | Self::Validation { endpoint, .. }
            | Self::MissingToken { endpoint, .. } => endpoint,
            Self::Config { .. } => "",
        }
    }

    /// The platform trace id, when known.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            Self::Platform { trace_id, .. } | Self::Transport { trace_id, .. } => {
                trace_id.as_deref()
            }
            _ => None,
        }
    }

    /// The platform error code (`code` of the envelope), for platform errors.
    pub fn platform_code(&self) -> Option<&str> {
        match self {
            Self::Platform { code, .. } => Some(code),
            _ => None,
        }
    }

    /// What the platform's code means, when the code table knows it.
    pub fn meaning(&self) -> Option<CodeMeaning> {
        match self {
            Self::Platform { meaning, .. } => *meaning,
            _ => None,
        }
    }

    /// The platform's own words (`msg` of the envelope, or of an OAuth reply): what an agent
    /// is shown for a code nobody told us about.
    pub fn platform_msg(&self) -> Option<&str> {
        match self {
            Self::Platform { msg, .. } | Self::OAuth { msg, .. } if !msg.trim().is_empty() => {
                Some(msg)
            }
            _ => None,
        }
    }

    /// The integration in which the endpoint does not exist, when the request was refused
    /// for that reason (for example `Some(BusinessId::Waimai)` for an image upload).
    pub fn unsupported_in(&self) -> Option<BusinessId> {
        match self {
            Self::Validation { unsupported_in, .. } => *unsupported_in,
            _ => None,
        }
    }

    pub(crate) fn validation(endpoint: &str, reason: impl Into<String>) -> Self {
        Self::Validation {
            endpoint: endpoint.to_owned(),
            reason: reason.into(),
            unsupported_in: None,
        }
    }

    /// The endpoint has no path in `business_id`: refused locally, nothing is sent.
    pub(crate) fn unsupported(endpoint: &str, what: &str, business_id: BusinessId) -> Self {
        Self::Validation {
            endpoint: endpoint.to_owned(),
            reason: format!("no {what} endpoint for businessId {business_id}"),
            unsupported_in: Some(business_id),
        }
    }

    pub(crate) fn transport(endpoint: &str, kind: TransportError) -> Self {
        Self::Transport {
            endpoint: endpoint.to_owned(),
            kind,
            trace_id: None,
        }
    }

    pub(crate) fn unreadable(
        endpoint: &str,
        trace_id: Option<String>,
        e: &serde_json::Error,
    ) -> Self {
        Self::unreadable_because(endpoint, trace_id, json_error_position(e))
    }

    /// A body that is not JSON at all: says so plainly when it is an HTML page (what a proxy
    /// or a load balancer answers), without quoting it.
    pub(crate) fn unreadable_body(endpoint: &str, body: &[u8], e: &serde_json::Error) -> Self {
        let start = body.iter().find(|b| !b.is_ascii_whitespace());
        if start == Some(&b'<') {
            return Self::unreadable_because(
                endpoint,
                None,
                "an HTML page instead of JSON (a proxy's or gateway's error page?)".to_owned(),
            );
        }
        Self::unreadable(endpoint, None, e)
    }

    pub(crate) fn unreadable_because(
        endpoint: &str,
        trace_id: Option<String>,
        detail: String,
    ) -> Self {
        Self::Transport {
            endpoint: endpoint.to_owned(),
            kind: TransportError::UnreadableJson { detail },
            trace_id,
        }
    }
}

/// A serde_json error reduced to its category and position: its message can quote values
/// from the body, which may be message text or a token.
pub(crate) fn json_error_position(e: &serde_json::Error) -> String {
    let category = match e.classify() {
        serde_json::error::Category::Io => "io",
        serde_json::error::Category::Syntax => "syntax",
        serde_json::error::Category::Data => "unexpected shape",
        serde_json::error::Category::Eof => "truncated",
    };
    format!("{category} at line {} column {}", e.line(), e.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_error_names_endpoint_code_and_trace() {
        let e = ApiError::Platform {
            endpoint: "msg/send".into(),
            code: "OP_USER_BLOCKED".into(),
            msg: "blocked".into(),
            trace_id: Some("tr-1".into()),
            meaning: Some(CodeMeaning::CustomerBlocked),
        };
        assert_eq!(
            e.to_string(),
            "msg/send: platform error OP_USER_BLOCKED: blocked (traceId tr-1)"
        );
        assert_eq!(e.trace_id(), Some("tr-1"));
        assert_eq!(e.platform_msg(), Some("blocked"));
        assert_eq!(e.meaning(), Some(CodeMeaning::CustomerBlocked));
    }

    #[test]
    fn decode_errors_never_quote_the_body() {
        let err = serde_json::from_str::<i64>(r#""秘密 tok-abc""#).unwrap_err();
        let e = ApiError::unreadable("msgRead", None, &err);
        let shown = e.to_string();
        assert!(
            !shown.contains("tok-abc") && !shown.contains("秘密"),
            "{shown}"
        );
        assert!(shown.contains("msgRead") && shown.contains("unexpected shape"));
    }
}
