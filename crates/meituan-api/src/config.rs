//! Client settings: base URL, timeouts, retries, rate limit and the platform's error codes.
//!
//! The platform does not publish its error codes or rate limits (open question 7), so the
//! code table is data ([`PlatformCodes`], \[INF\]) and the backoff after a burst of failures
//! of any kind ([`ErrorBurst`]) does not depend on it.

use std::num::NonZeroU32;
use std::time::Duration;

pub use crate::codes::PlatformCodes;

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
    /// What the platform's codes mean (success, token expired, rate limited, …).
    pub codes: PlatformCodes,
    /// Backoff after failures in a row, whatever their codes.
    pub burst: ErrorBurst,
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
            codes: PlatformCodes::default(),
            burst: ErrorBurst::default(),
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

/// Backoff after a burst of failures of any kind \[INF\]: the platform's rate-limit code is
/// unknown (open question 7), so after `after` failures in a row (HTTP errors, unknown codes,
/// rate limiting; not refusals of one request such as a blocked customer) every request of
/// the developer waits first, exponentially longer while failures go on; one success ends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBurst {
    /// Failures in a row that start the backoff (default 5; 0 turns it off).
    pub after: u32,
    /// Wait before the first request after the burst began (default 500 ms).
    pub min_delay: Duration,
    /// Largest wait (default 30 s).
    pub max_delay: Duration,
    /// Randomise waits so many clients do not retry in step (default on).
    pub jitter: bool,
}

impl Default for ErrorBurst {
    fn default() -> Self {
        Self {
            after: 5,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            jitter: true,
        }
    }
}
