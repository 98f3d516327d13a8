//! Client settings: base URL, timeouts, retries, rate limit and the platform's error codes.
//!
//! The platform does not publish its error codes or rate limits (open question 7), so the
//! codes that mean "token expired" and "rate limited" are configurable \[INF\]. The defaults
//! are the codes the project's sandbox uses.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::time::Duration;

/// The production gateway.
pub const DEFAULT_BASE_URL: &str = "https://api-open-cater.meituan.com";

/// How the client talks to the gateway. `Default` is production with conservative limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Gateway base URL, without trailing path (default [`DEFAULT_BASE_URL`]).
    pub base_url: String,
    /// Connect timeout (default 3 s, as the SDK).
    pub connect_timeout: Duration,
    /// Read timeout (default 5 s, as the SDK).
    pub read_timeout: Duration,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Client-side request rate limit for this developer.
    pub rate_limit: RateLimit,
    /// Which platform codes mean success, an expired token, or rate limiting.
    pub codes: ErrorCodes,
    /// Refresh a store token this long before it expires (default 30 min).
    pub refresh_margin: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            connect_timeout: Duration::from_secs(3),
            read_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            rate_limit: RateLimit::default(),
            codes: ErrorCodes::default(),
            refresh_margin: Duration::from_secs(30 * 60),
        }
    }
}

impl ClientConfig {
    /// The default settings against another gateway (a sandbox, a proxy).
    pub fn with_base_url(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            ..Self::default()
        }
    }
}

/// Exponential backoff with jitter for transient failures (timeouts, 5xx, rate limiting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 3).
    pub max_retries: usize,
    /// First delay (default 200 ms).
    pub min_delay: Duration,
    /// Largest delay (default 5 s).
    pub max_delay: Duration,
    /// Randomise delays so many clients do not retry in step (default on).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            jitter: true,
        }
    }
}

/// A token bucket: `per_second` sustained, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per second (default 10).
    pub per_second: NonZeroU32,
    /// Requests allowed at once (default 10).
    pub burst: NonZeroU32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: NonZeroU32::MIN.saturating_add(9),
            burst: NonZeroU32::MIN.saturating_add(9),
        }
    }
}

/// The platform's `code` values the client acts on \[INF\]. Any other non-success code is a
/// permanent platform error, shown with its message and trace id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCodes {
    /// Success (default `OP_SUCCESS`, §2.1).
    pub success: String,
    /// Token expired or invalid: refresh the store token, then retry once.
    pub auth: BTreeSet<String>,
    /// Rate limited: transient, retried with backoff.
    pub rate_limited: BTreeSet<String>,
}

impl Default for ErrorCodes {
    fn default() -> Self {
        Self {
            success: "OP_SUCCESS".to_owned(),
            auth: ["OP_AUTH_TOKEN_EXPIRED", "OP_AUTH_TOKEN_INVALID"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            rate_limited: std::iter::once("OP_RATE_LIMITED".to_owned()).collect(),
        }
    }
}

impl ErrorCodes {
    /// Whether `code` asks for a token refresh.
    pub fn is_auth(&self, code: &str) -> bool {
        self.auth.contains(code)
    }

    /// Whether `code` means rate limiting.
    pub fn is_rate_limited(&self, code: &str) -> bool {
        self.rate_limited.contains(code)
    }
}
