//! The connection doctor (连接诊断): [`Desk::doctor`] checks each store's token with a harmless
//! read, and reports the push sockets, the imSecret's age, our clock against the gateway's, the
//! last replies that were not `OP_SUCCESS` and the quarantined frames; [`Desk::diagnostic_bundle`]
//! zips that report with redacted logs for a brand to send to support.
//!
//! What the platform answered is heard through `meituan-api`'s [`ReplyObserver`] hook
//! ([`PlatformLog`]), which sees codes, traceIds and endpoints, never a body or a token.
//! Everything that leaves through the report or the bundle is scrubbed twice: values are
//! masked where they are built ([`crate::doctor_redact`]), and the client's own secrets are
//! replaced in the finished text.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use meituan_api::im::GetPoiImStatus;
use meituan_api::{ApiError, ClockSample, MeituanClient, ObservedReply, ReplyObserver, StoreKey};
use meituan_push::{ConnectionHealth, ConnectionScope};
use meituan_wire::Clock;

use crate::desk::Desk;
use crate::doctor_redact::{redact_frame, redact_log};
use crate::error::{DeskError, DeskResult};
use crate::view::{
    BundleInfo, CheckFailure, ClockReport, DoctorReport, PlatformReply, ProblemCount, PushReport,
    QuarantineEntry, QuarantineReport, RepliesReport, SocketReport, StoreCheck,
};

/// How many failed replies the doctor keeps.
pub const RECENT_REPLIES: usize = 50;
/// How many clock samples the skew estimate is the median of.
const CLOCK_SAMPLES: usize = 16;
/// Quarantined frames shown in the report; reasons are counted over [`QUARANTINE_COUNTED`].
const QUARANTINE_SHOWN: usize = 50;
const QUARANTINE_COUNTED: u32 = 1000;
/// The tail of each log file the bundle carries.
const LOG_TAIL_BYTES: u64 = 4 * 1024 * 1024;
/// The platform's `msg` is cut to this many characters.
const MSG_CHARS: usize = 200;
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

    fn replies(&self, redact: impl Fn(&str) -> String) -> RepliesReport {
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

    fn clock_report(&self) -> ClockReport {
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

    fn last_grant_at(&self) -> Option<i64> {
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

fn clamp(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

fn counts(map: &BTreeMap<String, u64>) -> Vec<ProblemCount> {
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

/// A failed check in the report's terms (secrets scrubbed by the caller).
fn check_failure(e: &ApiError) -> CheckFailure {
    let (code, message) = match e {
        ApiError::Platform { code, msg, .. } => (code.clone(), msg.clone()),
        ApiError::Transport {
            kind: meituan_api::TransportError::UnreadableJson { .. },
            ..
        } => ("unreadable".into(), e.to_string()),
        ApiError::Transport { .. } => ("network".into(), e.to_string()),
        ApiError::MissingToken { .. } | ApiError::OAuth { .. } => ("auth".into(), e.to_string()),
        _ => ("local".into(), e.to_string()),
    };
    CheckFailure {
        code,
        message: message.chars().take(MSG_CHARS).collect(),
        trace_id: e.trace_id().map(str::to_owned),
    }
}

async fn check_store(
    client: Arc<MeituanClient>,
    epoi_id: String,
    name: String,
    key: StoreKey,
) -> StoreCheck {
    let started = client.now().0;
    let result = client.call(&key, &GetPoiImStatus).await;
    let elapsed_ms = client.now().0 - started;
    let (token_ok, im_open, failure) = match result {
        Ok(status) => (
            true,
            Some(status.im_status == meituan_api::im::ImStatus::On),
            None,
        ),
        Err(e) => {
            let mut f = check_failure(&e);
            f.message = client.redact(&f.message);
            (false, None, Some(f))
        }
    };
    StoreCheck {
        epoi_id,
        name,
        business_id: u8::try_from(key.business_id.code()).unwrap_or(0),
        token_ok,
        im_open,
        failure,
        elapsed_ms,
    }
}

fn socket_report(h: &ConnectionHealth) -> SocketReport {
    let summary = crate::link::status(std::slice::from_ref(h));
    let state = summary
        .sockets
        .first()
        .map_or(crate::view::SocketState::Stopped, |s| s.state);
    SocketReport {
        index: clamp(h.index),
        state,
        last_frame_at: h.last_frame_at_ms,
        reconnects: clamp(h.reconnects),
        frames: clamp(h.frames),
        keepalives: clamp(h.keepalives),
        duplicates: clamp(h.duplicates),
        quarantined: clamp(h.quarantined),
        last_disconnect: h.last_disconnect.as_ref().map(ToString::to_string),
    }
}

fn scope_name(scope: &ConnectionScope) -> String {
    match scope {
        ConnectionScope::Developer => "developer".to_owned(),
        ConnectionScope::Store(store) => format!("store:{store}"),
    }
}

/// The reason's code from the stored reason (the serde form `{"code":…}`, or a bare code).
fn reason_code(reason: &str) -> String {
    serde_json::from_str::<serde_json::Value>(reason)
        .ok()
        .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
        .unwrap_or_else(|| reason.chars().take(40).collect())
}

impl Desk {
    /// The connection doctor's report: checks each store's token with `getPoiIMStatus` (in
    /// parallel), then gathers the push sockets, the imSecret's age, the clock skew, the last
    /// failed replies and the quarantine. Never fails for what the platform answers: a failed
    /// check is a line of the report.
    pub async fn doctor(&self) -> DeskResult<DoctorReport> {
        let now = self.now();
        let mut stores = Vec::new();
        if let Some(meituan) = &self.meituan {
            let mut checks = tokio::task::JoinSet::new();
            for (epoi_id, entry) in self.stores.entries() {
                checks.spawn(check_store(
                    meituan.client.clone(),
                    epoi_id,
                    entry.name,
                    entry.key,
                ));
            }
            while let Some(done) = checks.join_next().await {
                stores.push(done.map_err(|_| DeskError::Stopped)?);
            }
            stores.sort_by(|a, b| a.epoi_id.cmp(&b.epoi_id));
        } else {
            for (epoi_id, entry) in self.stores.entries() {
                stores.push(StoreCheck {
                    epoi_id,
                    name: entry.name,
                    business_id: u8::try_from(entry.key.business_id.code()).unwrap_or(0),
                    token_ok: false,
                    im_open: None,
                    failure: Some(CheckFailure {
                        code: "auth".into(),
                        message: "no developer credentials configured".into(),
                        trace_id: None,
                    }),
                    elapsed_ms: 0,
                });
            }
        }
        let fetched_at = self.platform_log.last_grant_at();
        let push = PushReport {
            scope: self
                .meituan
                .as_ref()
                .map_or_else(|| "none".to_owned(), |m| scope_name(&m.push.scope)),
            running: self.health.is_some(),
            state: self.connection_status().state,
            sockets: self
                .health
                .as_ref()
                .map(|h| h.borrow().iter().map(socket_report).collect())
                .unwrap_or_default(),
            im_secret_fetched_at: fetched_at,
            im_secret_age_ms: fetched_at.map(|at| (now - at).max(0)),
        };
        let c = &self.platform_log.coordinates;
        Ok(DoctorReport {
            generated_at: now,
            gateway_url: c.gateway_url.clone(),
            push_url: c.push_url.clone(),
            developer_id: c.developer_id.map(|d| d.to_string()),
            stores,
            push,
            clock: self.platform_log.clock_report(),
            replies: self.platform_log.replies(|t| self.redact(t)),
            quarantine: self.quarantine_report().await?,
        })
    }

    async fn quarantine_report(&self) -> DeskResult<QuarantineReport> {
        let total = self.store.quarantine_count_async().await?;
        let rows = self
            .store
            .quarantined_async(None, QUARANTINE_COUNTED)
            .await?;
        let mut by_reason = BTreeMap::new();
        for row in &rows {
            *by_reason.entry(reason_code(&row.reason)).or_insert(0u64) += 1;
        }
        let recent = rows
            .iter()
            .take(QUARANTINE_SHOWN)
            .map(|row| QuarantineEntry {
                id: row.id,
                received_at: row.received_at_ms,
                reason: reason_code(&row.reason),
                detail: self.redact(&row.reason),
                redacted: self.redact(&redact_frame(&row.raw)),
                raw_len: clamp(row.raw.len()),
            })
            .collect();
        Ok(QuarantineReport {
            total: clamp(total.max(0)),
            counts: counts(&by_reason),
            recent,
        })
    }

    /// `text` with the client's secrets (signKey, store access and refresh tokens) replaced.
    fn redact(&self, text: &str) -> String {
        match &self.meituan {
            Some(m) => m.client.redact(text),
            None => text.to_owned(),
        }
    }

    /// Writes a diagnostic bundle into `dir`: a zip with the doctor's report and the tail of
    /// each of `logs`, redacted (secrets, token-like fields and non-ASCII text masked).
    /// Returns where it is and what it holds.
    pub async fn diagnostic_bundle(
        &self,
        dir: &Path,
        logs: Vec<PathBuf>,
    ) -> DeskResult<BundleInfo> {
        let report = self.doctor().await?;
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| DeskError::Diagnostics(e.to_string()))?;
        let mut entries = vec![
            ("README.txt".to_owned(), README.to_owned()),
            ("report.json".to_owned(), self.redact(&json)),
        ];
        let logs = tokio::task::spawn_blocking(move || read_logs(&logs))
            .await
            .map_err(|_| DeskError::Stopped)?;
        for (name, text) in logs {
            entries.push((format!("logs/{name}"), self.redact(&redact_log(&text))));
        }
        let path = dir.join(format!("imdesk-diagnostics-{}.zip", report.generated_at));
        let written = path.clone();
        let bytes = tokio::task::spawn_blocking(move || write_zip(&written, &entries))
            .await
            .map_err(|_| DeskError::Stopped)??;
        tracing::info!(path = %path.display(), bytes = bytes.1, "diagnostic bundle written");
        Ok(BundleInfo {
            path: path.display().to_string(),
            entries: bytes.0,
            bytes: i64::try_from(bytes.1).unwrap_or(i64::MAX),
        })
    }
}

const README: &str = "imdesk diagnostic bundle (连接诊断)\n\n\
report.json  the connection doctor's report: each store's token check, push sockets, imSecret\n\
             age, clock skew, the last replies that were not OP_SUCCESS, quarantined frames\n\
             (every text value masked)\n\
logs/        the tail of the desk's logs, redacted\n\n\
No signKey, token, imSecret or customer message text is included: secrets are replaced by\n\
<redacted>, quarantined frames keep only their shape, ids and lengths.\n";

/// The tail of each readable log file, by file name; unreadable ones are named with the reason.
fn read_logs(paths: &[PathBuf]) -> Vec<(String, String)> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut out = Vec::new();
    for path in paths {
        let name = path
            .file_name()
            .map_or_else(|| "log".to_owned(), |n| n.to_string_lossy().into_owned());
        let text = std::fs::File::open(path).and_then(|mut f| {
            let len = f.metadata()?.len();
            f.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)))?;
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes)?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        });
        match text {
            Ok(text) => out.push((name, text)),
            Err(e) => out.push((format!("{name}.unreadable"), format!("cannot read: {e}\n"))),
        }
    }
    out
}

/// Writes `entries` as a deflated zip at `path`; returns the entry names and the file size.
fn write_zip(path: &Path, entries: &[(String, String)]) -> DeskResult<(Vec<String>, u64)> {
    let io = |e: std::io::Error| DeskError::Diagnostics(format!("{}: {e}", path.display()));
    let zip_err =
        |e: zip::result::ZipError| DeskError::Diagnostics(format!("{}: {e}", path.display()));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let file = std::fs::File::create(path).map_err(io)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut names = Vec::new();
    for (name, text) in entries {
        zip.start_file(name.as_str(), options).map_err(zip_err)?;
        zip.write_all(text.as_bytes()).map_err(io)?;
        names.push(name.clone());
    }
    let file = zip.finish().map_err(zip_err)?;
    let size = file.metadata().map_err(io)?.len();
    Ok((names, size))
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
