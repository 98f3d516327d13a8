//! What a diagnostics tool may learn of the exchanges with the gateway: a [`ReplyObserver`]
//! the caller installs with [`MeituanClient::with_observer`] hears of every reply that was not
//! a success (one call per attempt, retries included), of every success by endpoint name only,
//! and of the gateway's `Date` header for clock skew. It never sees a request, a token, a body
//! or message text: an unreadable body is described by its [`BodyKind`] alone.
//!
//! [`MeituanClient::redact`] scrubs the client's own secrets (signKey, every store's access
//! and refresh token) from a text a diagnostics bundle is about to carry.

use std::fmt;

use meituan_wire::TimeMs;

use crate::client::MeituanClient;
use crate::error::{ApiError, TransportError};

/// What a body that was not the expected JSON looked like (never its text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// An HTML page (a proxy's or a gateway's error page).
    Html,
    /// JSON, but not of the expected shape.
    Json,
    /// Something else (plain text, binary).
    Other,
}

impl BodyKind {
    /// Sniffs the first bytes of a body.
    pub fn sniff(body: &[u8]) -> Self {
        let start = body
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&body[..0], |i| &body[i..]);
        let head: Vec<u8> = start.iter().take(64).map(u8::to_ascii_lowercase).collect();
        if head.starts_with(b"<!doctype html") || head.starts_with(b"<html") {
            Self::Html
        } else if head.first().is_some_and(|b| *b == b'{' || *b == b'[') {
            Self::Json
        } else if head.first() == Some(&b'<') {
            Self::Html
        } else {
            Self::Other
        }
    }

    /// A short stable name (`html`, `json`, `other`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Json => "json",
            Self::Other => "other",
        }
    }
}

/// One attempt's outcome, as a diagnostics tool may see it.
#[derive(Debug, Clone, Copy)]
pub enum ObservedReply<'a> {
    /// The envelope said success (its `data` is not shown).
    Success,
    /// The error the attempt ended with (platform code, transport failure, unreadable body).
    Failed(&'a ApiError),
    /// The envelope said success (heard as [`ObservedReply::Success`] first) but `data` did
    /// not have the expected shape.
    Undecodable(&'a ApiError),
    /// HTTP 200 with a body that is not the §2.1 envelope.
    Unreadable {
        /// The error the caller gets.
        error: &'a ApiError,
        /// What the body looked like.
        body: BodyKind,
    },
}

/// A reading of the gateway's clock: its `Date` header against ours around the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSample {
    /// Our clock when the request left.
    pub sent_at: TimeMs,
    /// Our clock when the reply's headers arrived.
    pub received_at: TimeMs,
    /// The gateway's `Date` (whole seconds).
    pub server_at: TimeMs,
}

/// Hears what the gateway answered (see the module documentation). Called on the request's
/// task: keep it quick and never block.
pub trait ReplyObserver: Send + Sync + fmt::Debug {
    /// One attempt of `endpoint` ended with `reply`.
    fn reply(&self, endpoint: &str, reply: ObservedReply<'_>);
    /// The gateway's clock was read from a reply of `endpoint`.
    fn clock(&self, endpoint: &str, sample: ClockSample);
}

impl MeituanClient {
    /// Tells the observer, if any, how one attempt ended; `body` is the HTTP 200 body read.
    pub(crate) fn observe_attempt<T>(
        &self,
        endpoint: &str,
        body: Option<&[u8]>,
        result: &Result<T, ApiError>,
    ) {
        let Some(observer) = &self.observer else {
            return;
        };
        let reply = match (result, body) {
            (Ok(_), _) => ObservedReply::Success,
            (
                Err(
                    error @ ApiError::Transport {
                        kind: TransportError::UnreadableJson { .. },
                        ..
                    },
                ),
                Some(body),
            ) => ObservedReply::Unreadable {
                error,
                body: BodyKind::sniff(body),
            },
            (Err(error), _) => ObservedReply::Failed(error),
        };
        observer.reply(endpoint, reply);
    }

    /// Tells the observer that `data` of a successful envelope did not decode.
    pub(crate) fn observe_undecodable(&self, endpoint: &str, error: &ApiError) {
        if let Some(observer) = &self.observer {
            observer.reply(endpoint, ObservedReply::Undecodable(error));
        }
    }

    /// Reads the `Date` header for the observer, if any.
    pub(crate) fn observe_date(
        &self,
        endpoint: &str,
        sent_at: TimeMs,
        headers: &reqwest::header::HeaderMap,
    ) {
        let Some(observer) = &self.observer else {
            return;
        };
        let Some(server_at) = headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date)
        else {
            return;
        };
        observer.clock(
            endpoint,
            ClockSample {
                sent_at,
                received_at: self.clock.now(),
                server_at,
            },
        );
    }

    /// `text` with every secret this client holds (the signKey, each store's access and
    /// refresh token) replaced by `<redacted>`. For diagnostics that leave the machine.
    pub fn redact(&self, text: &str) -> String {
        let mut secrets: Vec<String> = vec![self.developer.sign_key.expose().to_owned()];
        for token in self.all_tokens() {
            secrets.push(token.access_token.expose().to_owned());
            if let Some(r) = &token.refresh_token {
                secrets.push(r.expose().to_owned());
            }
        }
        redact_values(text, &secrets)
    }
}

/// `text` with each non-blank value of `secrets` replaced by `<redacted>` (longest first, so a
/// secret containing another is replaced whole).
pub fn redact_values(text: &str, secrets: &[String]) -> String {
    let mut sorted: Vec<&str> = secrets
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for s in sorted {
        if out.contains(s) {
            out = out.replace(s, "<redacted>");
        }
    }
    out
}

/// An HTTP-date (RFC 9110: IMF-fixdate, and the two obsolete forms) as UTC milliseconds.
pub fn parse_http_date(value: &str) -> Option<TimeMs> {
    let at = httpdate::parse_http_date(value).ok()?;
    let since_epoch = at.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(TimeMs(i64::try_from(since_epoch.as_millis()).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse_to_utc_ms() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(TimeMs(784_111_777_000))
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(TimeMs(0))
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 CET"), None);
    }

    #[test]
    fn bodies_are_sniffed_not_kept() {
        assert_eq!(
            BodyKind::sniff(b"  <!DOCTYPE html><title>502</title>"),
            BodyKind::Html
        );
        assert_eq!(BodyKind::sniff(b"<HTML>"), BodyKind::Html);
        assert_eq!(BodyKind::sniff(br#"{"foo":1}"#), BodyKind::Json);
        assert_eq!(BodyKind::sniff(b"oops"), BodyKind::Other);
        assert_eq!(BodyKind::sniff(b""), BodyKind::Other);
    }

    #[test]
    fn redaction_replaces_longest_secrets_first() {
        let secrets = vec!["abc".to_owned(), "abcdef".to_owned(), "  ".to_owned()];
        assert_eq!(
            redact_values("x abcdef y abc", &secrets),
            "x <redacted> y <redacted>"
        );
    }
}
