//! One HTTP exchange with the gateway, and the retry loop around it.
//!
//! Every attempt waits for the rate limiter, reads the clock for a fresh `timestamp`, signs,
//! and posts the form. Transient failures are retried with exponential backoff and jitter:
//! timeouts and 5xx only for idempotent calls (a send is idempotent by `msg_id`), connection
//! failures, HTTP 429 and rate-limit codes always, since those calls were not processed.
//! Across calls, a burst of failures of any kind slows every request down ([`BurstState`]),
//! because the platform's own rate-limit code may be one the code table does not know.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use meituan_wire::UnixSeconds;
use reqwest::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use serde::Deserialize;

use crate::client::MeituanClient;
use crate::codes::{CodeMeaning, PlatformCodes};
use crate::config::ErrorBurst;
use crate::envelope::SignedForm;
use crate::error::{ApiError, TransportError};

/// `User-Agent` as the official Java SDK sends it (\[SDK\] §1.1). We send the SDK's own
/// headers rather than our name: the gateway sees them on every SDK call, so a request shaped
/// like the SDK's is the one least likely to be treated differently by a gateway or WAF rule
/// nobody documented. Whether the gateway needs them is unknown (§1.1, \[INF\]).
pub const SDK_USER_AGENT: &str = "mt-sdk-java";
/// The `Sdk-Info` header's name and value as the Java SDK sends them (\[SDK\] §1.1).
pub const SDK_INFO_HEADER: (&str, &str) = ("Sdk-Info", "java-1.0.1");

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
    /// Words under another name, read only when `msg` is missing: a reply of an unknown
    /// shape (a proxy's or another gateway's JSON) still shows what it said.
    #[serde(default)]
    message: Option<serde_json::Value>,
    #[serde(rename = "errorMsg", default)]
    error_msg: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
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
        if let Some(wait) = self.burst.wait(&self.config.burst) {
            tracing::warn!(
                endpoint,
                ?wait,
                "failures in a row: backing off before the request"
            );
            tokio::time::sleep(wait).await;
        }
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
            .header(USER_AGENT, SDK_USER_AGENT)
            .header(SDK_INFO_HEADER.0, SDK_INFO_HEADER.1)
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
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ApiError::transport(endpoint, classify(&e)))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::transport(endpoint, TransportError::EmptyBody));
        }
        to_utf8(endpoint, content_type.as_deref(), bytes.to_vec())
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
        self.burst.record(&result);
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
            .when(|e| is_retryable(e, idempotent))
            .notify(|e, delay| {
                tracing::warn!(endpoint, trace_id = e.trace_id(), ?delay, "retrying: {e}");
            })
            .await
    }

    /// An OAuth exchange (raw body). An authorization code is single-use and a refresh
    /// token may rotate (§3, the sandbox's reading), so an exchange the platform may have
    /// processed is never repeated: only failures that surely did not reach it (no
    /// connection, HTTP 429) are retried. A timeout, a 5xx or a broken answer comes back as
    /// [`TransportError::OutcomeUnknown`], and the token in hand is left as it was.
    pub(crate) async fn oauth_exchange(
        &self,
        endpoint: &str,
        path: &str,
        form: &(dyn Fn(UnixSeconds) -> SignedForm + Sync),
    ) -> Result<Vec<u8>, ApiError> {
        (|| self.post_once(endpoint, path, form))
            .retry(self.backoff())
            .sleep(tokio::time::sleep)
            .when(|e| is_retryable(e, false))
            .await
            .map_err(outcome_unknown)
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

/// A failure after which the platform may have processed the request: the answer was lost.
fn outcome_unknown(error: ApiError) -> ApiError {
    match error {
        ApiError::Transport {
            endpoint,
            kind:
                kind @ (TransportError::Timeout
                | TransportError::Status(500..=599)
                | TransportError::EmptyBody
                | TransportError::Other),
            trace_id,
        } => ApiError::Transport {
            endpoint,
            kind: TransportError::OutcomeUnknown(Box::new(kind)),
            trace_id,
        },
        other => other,
    }
}

/// The `charset` parameter of a `Content-Type` value, if it names one.
fn charset_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// The body as UTF-8, decoded from the charset `Content-Type` names. We ask for UTF-8 (the
/// `charset` form field, §1.2), but a gateway or a proxy in front of it may answer in another
/// charset (GBK is common on Chinese servers); without a charset the body is JSON's UTF-8
/// (RFC 8259). A charset we do not know or a body not valid in it is unreadable, never a panic.
pub(crate) fn to_utf8(
    endpoint: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<Vec<u8>, ApiError> {
    let Some(label) = content_type.and_then(charset_of) else {
        return Ok(body);
    };
    let unreadable =
        |detail: String| ApiError::transport(endpoint, TransportError::UnreadableJson { detail });
    // The label comes from the network: show only a short, plain form of it.
    let shown: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(32)
        .collect();
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes())
        .ok_or_else(|| unreadable(format!("unknown response charset {shown:?}")))?;
    if encoding == encoding_rs::UTF_8 {
        return Ok(body);
    }
    encoding
        .decode_without_bom_handling_and_without_replacement(&body)
        .map(|text| text.into_owned().into_bytes())
        .ok_or_else(|| {
            unreadable(format!(
                "body is not valid {} text, as Content-Type says",
                encoding.name()
            ))
        })
}

/// Reads the §2.1 envelope: success yields `data`, anything else a platform error.
pub(crate) fn read_envelope(
    endpoint: &str,
    body: &[u8],
    codes: &PlatformCodes,
) -> Result<Reply, ApiError> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| ApiError::unreadable_body(endpoint, body, &e))?;
    match envelope.code {
        Some(code) if codes.is_success(&code) => Ok(Reply {
            data: envelope.data,
            trace_id: envelope.trace_id,
        }),
        // JSON, but not the §2.1 envelope: an unknown shape, not a platform verdict. Any words
        // it has go into the reason, never mistaken for success.
        None => {
            let words = envelope
                .msg
                .or_else(|| {
                    [envelope.message, envelope.error_msg, envelope.error]
                        .into_iter()
                        .flatten()
                        .find_map(|v| v.as_str().map(str::to_owned))
                })
                .map(|w| format!(" ({w})"))
                .unwrap_or_default();
            Err(ApiError::unreadable_because(
                endpoint,
                envelope.trace_id,
                format!("a JSON reply without `code`: not the §2.1 envelope{words}"),
            ))
        }
        Some(code) => {
            let msg = envelope.msg.unwrap_or_default();
            Err(ApiError::Platform {
                endpoint: endpoint.to_owned(),
                meaning: codes.meaning(&code, &msg),
                code,
                msg,
                trace_id: envelope.trace_id,
            })
        }
    }
}

/// Failures in a row across every call of the developer, for [`ErrorBurst`].
#[derive(Debug, Default)]
pub(crate) struct BurstState(AtomicU32);

/// Steps of the burst backoff beyond which the wait stays at its largest.
const BURST_STEPS: u32 = 32;

impl BurstState {
    /// Counts a failed attempt, or ends the burst on success. A refusal of one request (a
    /// blocked customer, an expired token) says the platform is answering normally: it leaves
    /// the count alone.
    pub(crate) fn record<T>(&self, result: &Result<T, ApiError>) {
        match result {
            Ok(_) => self.0.store(0, Ordering::Relaxed),
            Err(e) if e.meaning().is_some_and(CodeMeaning::is_request_specific) => {}
            Err(ApiError::Platform { .. } | ApiError::Transport { .. }) => {
                // Saturating: an hour-long outage must not wrap the count to zero.
                let _ = self
                    .0
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                        Some(n.saturating_add(1))
                    });
            }
            Err(_) => {}
        }
    }

    /// How long the next request waits, if a burst is going on.
    pub(crate) fn wait(&self, policy: &ErrorBurst) -> Option<Duration> {
        let failures = self.0.load(Ordering::Relaxed);
        if policy.after == 0 || failures < policy.after {
            return None;
        }
        let step = (failures - policy.after).min(BURST_STEPS);
        let builder = ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .without_max_times();
        let builder = if policy.jitter {
            builder.with_jitter()
        } else {
            builder
        };
        builder.build().nth(usize::try_from(step).unwrap_or(0))
    }

    #[cfg(test)]
    fn failures(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Whether a failed attempt may be repeated.
pub(crate) fn is_retryable(error: &ApiError, idempotent: bool) -> bool {
    match error {
        ApiError::Transport { kind, .. } => match kind {
            TransportError::Connect | TransportError::Status(429) => true,
            TransportError::Timeout => idempotent,
            TransportError::Status(status) => idempotent && (500..600).contains(status),
            _ => false,
        },
        ApiError::Platform { meaning, .. } => *meaning == Some(CodeMeaning::RateLimited),
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
        let codes = PlatformCodes::default();
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
        let odd = read_envelope(
            "x",
            r#"{"status":502,"message":"系统繁忙"}"#.as_bytes(),
            &codes,
        )
        .unwrap_err();
        // No code is no success: an unknown shape, whose words are kept in the reason.
        assert!(
            matches!(
                &odd,
                ApiError::Transport {
                    kind: TransportError::UnreadableJson { .. },
                    ..
                }
            ),
            "{odd:?}"
        );
        assert!(odd.to_string().contains("系统繁忙"), "{odd}");
        assert_eq!(odd.meaning(), None);
        let numeric =
            read_envelope("x", r#"{"code":1001,"msg":"签名错误"}"#.as_bytes(), &codes).unwrap_err();
        assert_eq!(numeric.platform_code(), Some("1001"));
        assert_eq!(numeric.meaning(), None, "a code the table does not know");
        let stale = read_envelope(
            "x",
            br#"{"code":"OP_PARAM_INVALID","msg":"msg_content: does not decrypt"}"#,
            &codes,
        )
        .unwrap_err();
        assert_eq!(stale.meaning(), Some(CodeMeaning::StaleSecret));
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
        let codes = PlatformCodes::default();
        let t = |kind| ApiError::transport("x", kind);
        let p = |code: &str| ApiError::Platform {
            endpoint: "x".into(),
            code: code.into(),
            msg: String::new(),
            trace_id: None,
            meaning: codes.meaning(code, ""),
        };
        assert!(is_retryable(&t(TransportError::Status(503)), true));
        assert!(!is_retryable(&t(TransportError::Status(503)), false));
        assert!(!is_retryable(&t(TransportError::Status(404)), true));
        assert!(is_retryable(&t(TransportError::Status(429)), false));
        assert!(is_retryable(&t(TransportError::Timeout), true));
        assert!(!is_retryable(&t(TransportError::Timeout), false));
        assert!(is_retryable(&t(TransportError::Connect), false));
        assert!(!is_retryable(
            &t(TransportError::UnreadableJson {
                detail: String::new()
            }),
            true
        ));
        assert!(is_retryable(&p("OP_RATE_LIMITED"), false));
        assert!(!is_retryable(&p("OP_SIGN_INVALID"), true));
        assert!(!is_retryable(&p("OP_AUTH_TOKEN_EXPIRED"), true));
        assert!(
            !is_retryable(&p("E_UNKNOWN"), true),
            "unknown codes are the caller's call"
        );
    }

    #[test]
    fn a_burst_of_failures_of_any_kind_backs_off_and_one_success_ends_it() {
        let codes = PlatformCodes::default();
        let policy = ErrorBurst {
            after: 3,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            jitter: false,
        };
        let burst = BurstState::default();
        let unknown: Result<(), ApiError> = Err(ApiError::Platform {
            endpoint: "x".into(),
            code: "E_BUSY".into(),
            msg: "系统繁忙".into(),
            trace_id: None,
            meaning: None,
        });
        let blocked: Result<(), ApiError> = Err(ApiError::Platform {
            endpoint: "x".into(),
            code: "OP_USER_BLOCKED".into(),
            msg: String::new(),
            trace_id: None,
            meaning: codes.meaning("OP_USER_BLOCKED", ""),
        });
        let http: Result<(), ApiError> = Err(ApiError::transport("x", TransportError::Status(502)));
        for r in [&unknown, &http, &blocked] {
            burst.record(r);
            assert_eq!(burst.wait(&policy), None);
        }
        assert_eq!(
            burst.failures(),
            2,
            "a refusal of one request is not a burst"
        );
        burst.record(&unknown);
        let waits: Vec<_> = (0..4)
            .map(|_| {
                // backon computes in f32: compare whole milliseconds.
                let w = burst.wait(&policy).map(|d| d.as_millis());
                burst.record(&http);
                w
            })
            .collect();
        assert_eq!(waits, [Some(100), Some(200), Some(400), Some(400)]);
        burst.record(&Ok(()));
        assert_eq!(burst.wait(&policy), None);
        let off = ErrorBurst { after: 0, ..policy };
        for _ in 0..10 {
            burst.record(&unknown);
        }
        assert_eq!(burst.wait(&off), None);
    }
}
