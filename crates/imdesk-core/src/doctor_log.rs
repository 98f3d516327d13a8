//! What the connection doctor hears of the platform ([`PlatformLog`]): through
//! `meituan-api`'s [`ReplyObserver`] hook it counts every reply by kind, keeps the last
//! failures (codes, traceIds, endpoints — never a body or a token), samples the gateway's clock
//! and notes when a connection-token grant brought a new imSecret.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use meituan_api::{ApiError, ClockSample, ObservedReply, ReplyObserver};
use meituan_wire::Clock;

use crate::view::{ClockReport, PlatformReply, ProblemCount, RepliesReport};

/// How many failed replies the doctor keeps.
pub const RECENT_REPLIES: usize = 50;
/// How many clock samples the skew estimate is the median of.
const CLOCK_SAMPLES: usize = 16;
/// The platform's `msg` is cut to this many characters.
pub(crate) const MSG_CHARS: usize = 200;
/// Endpoints whose success means a new imSecret was granted (§6.5).
const GRANT_ENDPOINTS: [&str; 2] = ["getConnectionTokenWithCount", "getConnectionToken"];

/// What the doctor knows of the configuration: addresses and ids, nothing secret.
#[derive(Debug, Clone, Default)]
pub(crate) struct Coordinates {
    pub gateway_url: String,
    pub push_url: String,
    pub developer_id: Option<i64>,
}

#[derive(Debug, Default)]
struct LogState {
    total: u64,
    failed: u64,
    counts: BTreeMap<String, u64>,
    recent: VecDeque<PlatformReply>,
    skews: VecDeque<(i64, i64)>,
    clock_samples: u64,
    last_sample_at: Option<i64>,
    last_grant_at: Option<i64>,
}

/// The platform's replies as the doctor keeps them: counts, the last failures, clock samples.
pub(crate) struct PlatformLog {
    clock: Arc<dyn Clock>,
    pub coordinates: Coordinates,
    state: Mutex<LogState>,
}

impl fmt::Debug for PlatformLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformLog").finish_non_exhaustive()
    }
}

impl PlatformLog {
    pub(crate) fn new(clock: Arc<dyn Clock>, coordinates: Coordinates) -> Self {
        Self {
            clock,
            coordinates,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn replies(&self, redact: impl Fn(&str) -> String) -> RepliesReport {
        let s = self.state();
        RepliesReport {
            total: clamp(s.total),
            failed: clamp(s.failed),
            counts: counts(&s.counts),
            recent: s
                .recent
                .iter()
                .map(|r| PlatformReply {
                    msg: redact(&r.msg),
                    ..r.clone()
                })
                .collect(),
        }
    }

    pub(crate) fn clock_report(&self) -> ClockReport {
        let s = self.state();
        let mut skews: Vec<(i64, i64)> = s.skews.iter().copied().collect();
        skews.sort_unstable();
        let median = skews.get(skews.len() / 2).copied();
        ClockReport {
            samples: clamp(s.clock_samples),
            skew_ms: median.map(|(skew, _)| skew),
            precision_ms: median.map(|(_, precision)| precision),
            last_sample_at: s.last_sample_at,
        }
    }

    pub(crate) fn last_grant_at(&self) -> Option<i64> {
        self.state().last_grant_at
    }
}

impl ReplyObserver for PlatformLog {
    fn reply(&self, endpoint: &str, reply: ObservedReply<'_>) {
        let at = self.clock.now().0;
        let mut s = self.state();
        // An undecodable `data` was already counted as its envelope's success.
        if !matches!(reply, ObservedReply::Undecodable(_)) {
            s.total += 1;
        }
        let (kind, code, msg, trace_id) = match reply {
            ObservedReply::Success => {
                if GRANT_ENDPOINTS.contains(&endpoint) {
                    s.last_grant_at = Some(at);
                }
                return;
            }
            ObservedReply::Unreadable { error, body } => (
                "unreadable",
                body.as_str().to_owned(),
                error.to_string(),
                error.trace_id().map(str::to_owned),
            ),
            ObservedReply::Undecodable(error) => (
                "undecodable",
                "unknown_shape".to_owned(),
                error.to_string(),
                error.trace_id().map(str::to_owned),
            ),
            ObservedReply::Failed(error) => failed_reply(error),
        };
        s.failed += 1;
        *s.counts.entry(format!("{kind}:{code}")).or_default() += 1;
        s.recent.push_front(PlatformReply {
            at,
            endpoint: endpoint.to_owned(),
            kind: kind.to_owned(),
            code,
            msg: msg.chars().take(MSG_CHARS).collect(),
            trace_id,
        });
        s.recent.truncate(RECENT_REPLIES);
    }

    fn clock(&self, _endpoint: &str, sample: ClockSample) {
        let round_trip = (sample.received_at.0 - sample.sent_at.0).max(0);
        let midpoint = sample.sent_at.0 + round_trip / 2;
        // `Date` has whole seconds, cut down: the gateway's time is 0–999 ms after it.
        let skew = sample.server_at.0 + 500 - midpoint;
        let precision = 500 + round_trip / 2;
        let mut s = self.state();
        s.clock_samples += 1;
        s.last_sample_at = Some(sample.received_at.0);
        s.skews.push_back((skew, precision));
        while s.skews.len() > CLOCK_SAMPLES {
            s.skews.pop_front();
        }
    }
}

fn failed_reply(error: &ApiError) -> (&'static str, String, String, Option<String>) {
    let trace = error.trace_id().map(str::to_owned);
    match error {
        // JSON without a `code`: a reply in a shape we do not know.
        ApiError::Platform { code, msg, .. } if code.is_empty() => (
            "unreadable",
            "json_without_code".to_owned(),
            msg.clone(),
            trace,
        ),
        ApiError::Platform { code, msg, .. } => ("platform", code.clone(), msg.clone(), trace),
        ApiError::Transport { kind, .. } => {
            ("network", network_code(kind), kind.to_string(), trace)
        }
        other => ("local", "local".to_owned(), other.to_string(), trace),
    }
}

fn network_code(kind: &meituan_api::TransportError) -> String {
    use meituan_api::TransportError as T;
    match kind {
        T::Timeout => "timeout".into(),
        T::Connect => "connect".into(),
        T::Status(s) => format!("http_{s}"),
        T::EmptyBody => "empty_body".into(),
        T::UnreadableJson { .. } => "unreadable".into(),
        T::Other => "other".into(),
        T::OutcomeUnknown(cause) => format!("outcome_unknown:{}", network_code(cause)),
    }
}

pub(crate) fn clamp(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

pub(crate) fn counts(map: &BTreeMap<String, u64>) -> Vec<ProblemCount> {
    let mut out: Vec<ProblemCount> = map
        .iter()
        .map(|(kind, n)| ProblemCount {
            kind: kind.clone(),
            count: clamp(*n),
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.kind.cmp(&b.kind)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use meituan_wire::{FixedClock, TimeMs};

    fn log() -> PlatformLog {
        PlatformLog::new(
            Arc::new(FixedClock::new(TimeMs(1_000_000))),
            Coordinates::default(),
        )
    }

    fn refused(code: &str, n: usize) -> ApiError {
        ApiError::Platform {
            endpoint: "msg/send".into(),
            code: code.into(),
            msg: format!("refused {n}"),
            trace_id: Some(format!("t-{n}")),
            meaning: None,
        }
    }

    #[test]
    fn keeps_the_last_fifty_failures_newest_first_and_counts_them_all() {
        let log = log();
        for n in 0..60 {
            log.reply("msg/send", ObservedReply::Failed(&refused("OP_X", n)));
            log.reply("msg/send", ObservedReply::Success);
        }
        log.reply(
            "getConnectionToken",
            ObservedReply::Failed(&refused("", 99)),
        );
        let r = log.replies(str::to_owned);
        assert_eq!((r.total, r.failed), (121, 61));
        assert_eq!(r.recent.len(), RECENT_REPLIES);
        assert_eq!(r.recent[0].code, "json_without_code");
        assert_eq!(r.recent[1].trace_id.as_deref(), Some("t-59"));
        assert_eq!(r.counts[0].kind, "platform:OP_X");
        assert_eq!(r.counts[0].count, 60);
    }

    #[test]
    fn skew_is_the_median_of_recent_samples_and_grants_date_the_secret() {
        let log = log();
        assert_eq!(log.clock_report().skew_ms, None);
        for (sent, server) in [(1_000, 11_000), (2_000, 12_000), (3_000, 900_000)] {
            log.clock(
                "x",
                ClockSample {
                    sent_at: TimeMs(sent),
                    received_at: TimeMs(sent + 200),
                    server_at: TimeMs(server),
                },
            );
        }
        let c = log.clock_report();
        // (server + 500) - (sent + 100): the outlier does not move the median.
        assert_eq!(
            (c.samples, c.skew_ms, c.precision_ms),
            (3, Some(10_400), Some(600))
        );
        assert_eq!(log.last_grant_at(), None);
        log.reply("getConnectionTokenWithCount", ObservedReply::Success);
        assert_eq!(log.last_grant_at(), Some(1_000_000));
    }
}
