//! The connection doctor (连接诊断): [`Desk::doctor`] checks each store's token with a harmless
//! read, and reports the push sockets, the imSecret's age, our clock against the gateway's, the
//! last replies that were not `OP_SUCCESS` and the quarantined frames; [`Desk::diagnostic_bundle`]
//! zips that report with redacted logs for a brand to send to support.
//!
//! What the platform answered is heard through `meituan-api`'s `ReplyObserver` hook
//! ([`crate::doctor_log::PlatformLog`]), which sees codes, traceIds and endpoints, never a body
//! or a token.
//! Everything that leaves through the report or the bundle is scrubbed twice: values are
//! masked where they are built ([`crate::doctor_redact`]), and the client's own secrets are
//! replaced in the finished text.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use meituan_api::im::GetPoiImStatus;
use meituan_api::{ApiError, MeituanClient, StoreKey};
use meituan_push::{ConnectionHealth, ConnectionScope};

use crate::desk::Desk;
use crate::doctor_log::{clamp, counts, MSG_CHARS};
use crate::doctor_redact::{redact_frame, redact_log};
use crate::error::{DeskError, DeskResult};
use crate::view::{
    BundleInfo, CheckFailure, DoctorReport, PushReport, QuarantineEntry, QuarantineReport,
    SocketReport, StoreCheck,
};

/// Quarantined frames shown in the report; reasons are counted over [`QUARANTINE_COUNTED`].
const QUARANTINE_SHOWN: usize = 50;
const QUARANTINE_COUNTED: u32 = 1000;
/// The tail of each log file the bundle carries.
const LOG_TAIL_BYTES: u64 = 4 * 1024 * 1024;

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
