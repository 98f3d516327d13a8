//! One HTTP exchange with the gateway, and the retry loop around it.
//!
//! Every attempt waits for the rate limiter, reads the clock for a fresh `timestamp`, signs,
//! and posts the form. Transient failures are retried with exponential backoff and jitter:
//! timeouts and 5xx only for idempotent calls (a send is idempotent by `msg_id`), connection
//! failures, HTTP 429 and rate-limit codes always, since those calls were not processed.

use backon::{ExponentialBuilder, Retryable};
use meituan_wire::UnixSeconds;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::Deserialize;

use crate::client::MeituanClient;
use crate::config::ErrorCodes;
use crate::envelope::SignedForm;
use crate::error::{ApiError, TransportError};

/// The business envelope of §2.1, read leniently.
#[derive(Deserialize)]
struct Envelope {
    #[serde(
        default,
        deserialize_with = "meituan_wire::lenient::opt_string_from_scalar"
    )]
    code: Option<String>,
    #[serde(default)]
    msg: Option<String>,
    #[serde(rename = "traceId", default)]
    trace_id: Option<String>,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

/// A successful reply: the `data` payload (if any) and the trace id.
#[derive(Debug)]
pub(crate) struct Reply {
    pub data: Option<serde_json::Value>,
    pub trace_id: Option<String>,
}

impl MeituanClient {
    /// Posts `form(timestamp)` to `path` once and returns the raw body of an HTTP 200.
    async fn post_once(
        &self,
        endpoint: &str,
        path: &str,
        form: &(dyn Fn(UnixSeconds) -> SignedForm + Sync),
    ) -> Result<Vec<u8>, ApiError> {
        self.limiter.until_ready().await;
        let sent_at = self.clock.now();
        let timestamp = sent_at.to_unix_seconds();
        let body = form(timestamp).encode();
        let url = format!("{}{}", self.base_url, path);
        let response = self
            .http
            .post(url)
            .header(
                CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=UTF-8",
            )
            .header(ACCEPT, "application/json")
            .header("DeveloperId", self.developer.developer_id.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| ApiError::transport(endpoint, classify(&e)))?;
        self.observe_date(endpoint, sent_at, response.headers());
        let status = response.status().as_u16();
        if status != 200 {
            return Err(ApiError::transport(
                endpoint,
                TransportError::Status(status),
            ));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ApiError::transport(endpoint, classify(&e)))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::transport(endpoint, TransportError::EmptyBody));
        }
        Ok(bytes.to_vec())
    }

    /// One business API exchange: post, then read the §2.1 envelope.
    async fn api_once(
        &self,
        endpoint: &str,
        path: &str,
        form: &(dyn Fn(UnixSeconds) -> SignedForm + Sync),
    ) -> Result<Reply, ApiError> {
        let body = self.post_once(endpoint, path, form).await;
        let result = match &body {
            Ok(body) => read_envelope(endpoint, body, &self.config.codes),
            Err(e) => Err(e.clone()),
        };
        self.observe_attempt(endpoint, body.as_deref().ok(), &result);
        result
    }

    /// A business API call with retries of transient failures.
    pub(crate) async fn api_with_retries(
        &self,
        endpoint: &str,
        path: &str,
        idempotent: bool,
        form: &(dyn Fn(UnixSeconds) -> SignedForm + Sync),
    ) -> Result<Reply, ApiError> {
        (|| self.api_once(endpoint, path, form))
            .retry(self.backoff())
            .sleep(tokio::time::sleep)
            .when(|e| is_retryable(e, idempotent, &self.config.codes))
            .notify(|e, delay| {
                tracing::warn!(endpoint, trace_id = e.trace_id(), ?delay, "retrying: {e}");
            })
            .await
    }

    /// An OAuth exchange (raw body) with retries of transient failures.
    pub(crate) async fn oauth_with_retries(
        &self,
        endpoint: &str,
        path: &str,
        form: &(dyn Fn(UnixSeconds) -> SignedForm + Sync),
    ) -> Result<Vec<u8>, ApiError> {
        (|| self.post_once(endpoint, path, form))
            .retry(self.backoff())
            .sleep(tokio::time::sleep)
            .when(|e| is_retryable(e, true, &self.config.codes))
            .await
    }

    fn backoff(&self) -> ExponentialBuilder {
        let policy = &self.config.retry;
        let builder = ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.max_retries);
        if policy.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }
}

/// Reads the §2.1 envelope: success yields `data`, anything else a platform error.
pub(crate) fn read_envelope(
    endpoint: &str,
    body: &[u8],
    codes: &ErrorCodes,
) -> Result<Reply, ApiError> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| ApiError::unreadable(endpoint, None, &e))?;
    match envelope.code {
        Some(code) if code == codes.success => Ok(Reply {
            data: envelope.data,
            trace_id: envelope.trace_id,
        }),
        code => Err(ApiError::Platform {
            endpoint: endpoint.to_owned(),
            code: code.unwrap_or_default(),
            msg: envelope.msg.unwrap_or_default(),
            trace_id: envelope.trace_id,
        }),
    }
}

/// Whether a failed attempt may be repeated.
pub(crate) fn is_retryable(error: &ApiError, idempotent: bool, codes: &ErrorCodes) -> bool {
    match error {
        ApiError::Transport { kind, .. } => match kind {
            TransportError::Connect | TransportError::Status(429) => true,
            TransportError::Timeout => idempotent,
            TransportError::Status(status) => idempotent && (500..600).contains(status),
            _ => false,
        },
        ApiError::Platform { code, .. } => codes.is_rate_limited(code),
        _ => false,
    }
}

fn classify(error: &reqwest::Error) -> TransportError {
    if error.is_timeout() {
        TransportError::Timeout
    } else if error.is_connect() {
        TransportError::Connect
    } else {
        TransportError::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_success_and_failure() {
        let codes = ErrorCodes::default();
        let ok = read_envelope(
            "x",
            br#"{"code":"OP_SUCCESS","traceId":"t1","data":{"a":1}}"#,
            &codes,
        )
        .unwrap();
        assert_eq!(ok.trace_id.as_deref(), Some("t1"));
        assert_eq!(ok.data, Some(serde_json::json!({"a":1})));
        let err = read_envelope(
            "x",
            br#"{"code":"OP_IM_CLOSED","msg":"closed","traceId":"t2"}"#,
            &codes,
        )
        .unwrap_err();
        assert_eq!(err.platform_code(), Some("OP_IM_CLOSED"));
        assert_eq!(err.trace_id(), Some("t2"));
        let unreadable = read_envelope("x", b"<html>", &codes).unwrap_err();
        assert!(matches!(
            unreadable,
            ApiError::Transport {
                kind: TransportError::UnreadableJson { .. },
                ..
            }
        ));
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let codes = ErrorCodes::default();
        let t = |kind| ApiError::transport("x", kind);
        let p = |code: &str| ApiError::Platform {
            endpoint: "x".into(),
            code: code.into(),
            msg: String::new(),
            trace_id: None,
        };
        assert!(is_retryable(&t(TransportError::Status(503)), true, &codes));
        assert!(!is_retryable(
            &t(TransportError::Status(503)),
            false,
            &codes
        ));
        assert!(!is_retryable(&t(TransportError::Status(404)), true, &codes));
        assert!(is_retryable(&t(TransportError::Status(429)), false, &codes));
        assert!(is_retryable(&t(TransportError::Timeout), true, &codes));
        assert!(!is_retryable(&t(TransportError::Timeout), false, &codes));
        assert!(is_retryable(&t(TransportError::Connect), false, &codes));
        assert!(!is_retryable(
            &t(TransportError::UnreadableJson {
                detail: String::new()
            }),
            true,
            &codes
        ));
        assert!(is_retryable(&p("OP_RATE_LIMITED"), false, &codes));
        assert!(!is_retryable(&p("OP_SIGN_INVALID"), true, &codes));
        assert!(!is_retryable(&p("OP_AUTH_TOKEN_EXPIRED"), true, &codes));
    }
}
