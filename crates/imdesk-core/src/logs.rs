//! The one logging setup both front doors use: stderr, optionally a daily file under
//! `<data dir>/logs/` (`imdesk.YYYY-MM-DD.log`, UTC days) with a size cap per day and an age
//! cap, and an in-memory ring of the last lines for crash reports.
//!
//! Logs carry ids and states, never secrets or customer text (architecture rule 8); the crash
//! report redacts the ring again as a second line. `IMDESK_LOG` sets the filter.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// File names are `imdesk.<date>.log`; pruning only ever touches names of this shape.
const PREFIX: &str = "imdesk";
const SUFFIX: &str = "log";
/// How many of the last formatted lines a crash report can show.
const RING_LINES: usize = 200;

/// How and where to log.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// The log directory; `None` logs to stderr only (the CLI's one-shot commands).
    pub dir: Option<PathBuf>,
    /// The filter when `IMDESK_LOG` is unset or invalid.
    pub default_filter: &'static str,
    /// Colour codes on stderr (only for a person at a terminal).
    pub ansi: bool,
    /// Files older than this many days are removed at start and at each day's rollover.
    pub keep_days: u32,
    /// Bytes written to one day's file before the rest of that day is dropped: a log storm
    /// must not fill the disk.
    pub max_bytes_per_day: u64,
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            dir: None,
            default_filter: "info",
            ansi: false,
            keep_days: 14,
            max_bytes_per_day: 50 * 1024 * 1024,
        }
    }
}

/// Lines the file writer's queue holds before new ones are dropped (counted by
/// `tracing-appender`, never blocking the engine). Its default, 128,000, allocates and touches
/// a 4 MiB queue at start that a desk carries all day (measured with heaptrack on the window);
/// this one is 256 KiB, and the writer thread empties it as fast as the disk takes lines.
const BUFFERED_LINES: usize = 8 * 1024;

/// Keeps the background file writer alive; dropping it flushes the file.
#[derive(Debug)]
pub struct LogGuard {
    _worker: Option<tracing_appender::non_blocking::WorkerGuard>,
    /// Why file logging is off, when a directory was asked for and could not be used.
    pub file_error: Option<String>,
}

/// Installs the global subscriber. A log directory that cannot be used is reported on stderr
/// and logging goes on to stderr only: the desk keeps working without its log file.
pub fn init(options: &LogOptions) -> LogGuard {
    let filter = || {
        EnvFilter::try_from_env("IMDESK_LOG")
            .unwrap_or_else(|_| EnvFilter::new(options.default_filter))
    };
    let mut file_error = None;
    let file = match &options.dir {
        Some(dir) => match CappedDaily::open(dir, options.keep_days, options.max_bytes_per_day) {
            Ok(writer) => Some(
                tracing_appender::non_blocking::NonBlockingBuilder::default()
                    .buffered_lines_limit(BUFFERED_LINES)
                    .finish(writer),
            ),
            Err(e) => {
                let message = format!(
                    "日志目录不可用，仅输出到终端 / log directory {} is not usable, logging to stderr only: {e}",
                    dir.display()
                );
                eprintln!("{message}");
                file_error = Some(message);
                None
            }
        },
        None => None,
    };
    let (file_layer, worker) = match file {
        Some((writer, worker)) => (
            Some(
                fmt::layer()
                    .with_ansi(false)
                    .with_writer(writer)
                    .with_filter(filter()),
            ),
            Some(worker),
        ),
        None => (None, None),
    };
    let installed = tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_ansi(options.ansi)
                .with_writer(io::stderr)
                .with_filter(filter()),
        )
        .with(file_layer)
        .with(
            fmt::layer()
                .with_ansi(false)
                .with_writer(RingWriter)
                .with_filter(filter()),
        )
        .try_init();
    if installed.is_err() {
        // Already initialised (tests run several front doors in one process): keep that one.
        return LogGuard {
            _worker: None,
            file_error,
        };
    }
    if let Some(message) = &file_error {
        tracing::warn!(reason = %message, "file logging is off");
    }
    LogGuard {
        _worker: worker,
        file_error,
    }
}

/// The log files in `dir`, newest first (the diagnostic bundle takes the first few).
pub fn log_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| is_log_name(p))
        .collect();
    // Dated names sort by day; the pre-rotation `imdesk.log` sorts before every date.
    files.sort();
    files.reverse();
    files
}

/// Removes log files in `dir` last modified more than `keep` before `now`; returns how many.
/// Only `imdesk.*.log` names are touched, so a log directory shared with anything else is safe.
pub fn prune(dir: &Path, keep: Duration, now: SystemTime) -> io::Result<usize> {
    let cutoff = now.checked_sub(keep).unwrap_or(UNIX_EPOCH);
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !is_log_name(&path) {
            continue;
        }
        let modified = match std::fs::metadata(&path).and_then(|m| m.modified()) {
            Ok(modified) => modified,
            Err(_) => continue,
        };
        if modified < cutoff {
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                // One file that cannot go (open elsewhere, read-only) must not stop the rest.
                Err(e) => eprintln!("cannot remove old log {}: {e}", path.display()),
            }
        }
    }
    Ok(removed)
}

/// The last formatted log lines of this process, oldest first (for crash reports).
pub fn recent_lines() -> Vec<String> {
    // try_lock: a panic while a line was being stored must not deadlock the crash hook.
    match ring().try_lock() {
        Ok(ring) => ring.iter().cloned().collect(),
        Err(_) => Vec::new(),
    }
}

fn is_log_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(&format!("{PREFIX}.")) && n.ends_with(&format!(".{SUFFIX}")))
}

fn ring() -> &'static Mutex<VecDeque<String>> {
    static RING: OnceLock<Mutex<VecDeque<String>>> = OnceLock::new();
    RING.get_or_init(|| Mutex::new(VecDeque::with_capacity(RING_LINES)))
}

/// Collects one formatted event and stores its lines in the ring when dropped.
#[derive(Debug, Default)]
struct RingWriter;

#[derive(Debug, Default)]
struct RingLine(Vec<u8>);

impl Write for RingLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for RingLine {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let Ok(mut ring) = ring().lock() else { return };
        for line in text.lines().filter(|l| !l.is_empty()) {
            if ring.len() == RING_LINES {
                ring.pop_front();
            }
            ring.push_back(line.to_owned());
        }
    }
}

impl<'a> MakeWriter<'a> for RingWriter {
    type Writer = RingLine;
    fn make_writer(&'a self) -> RingLine {
        RingLine::default()
    }
}

/// `tracing-appender`'s daily file with two caps it lacks: bytes per day (the rest of the
/// day is dropped after one notice line) and age (old files pruned at each rollover).
#[derive(Debug)]
pub struct CappedDaily {
    inner: RollingFileAppender,
    dir: PathBuf,
    keep: Duration,
    max_bytes: u64,
    day: u64,
    written: u64,
    noted: bool,
}

impl CappedDaily {
    /// Creates `dir` if needed, prunes files older than `keep_days` and opens today's file.
    pub fn open(dir: &Path, keep_days: u32, max_bytes: u64) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let keep = Duration::from_secs(u64::from(keep_days.max(1)) * 86_400);
        prune(dir, keep, wall_now())?;
        let inner = RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix(PREFIX)
            .filename_suffix(SUFFIX)
            // A second, count-based cap for clocks that jump: never more files than days kept.
            .max_log_files(usize::try_from(keep_days.max(1)).unwrap_or(usize::MAX))
            .build(dir)
            .map_err(io::Error::other)?;
        let day = today();
        // A restart later the same day continues counting from what is already there.
        let written = std::fs::metadata(dir.join(file_name(day)))
            .map(|m| m.len())
            .unwrap_or(0);
        Ok(Self {
            inner,
            dir: dir.to_path_buf(),
            keep,
            max_bytes,
            day,
            written,
            noted: false,
        })
    }
}

impl Write for CappedDaily {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let day = today();
        if day != self.day {
            self.day = day;
            self.written = 0;
            self.noted = false;
            // Daily pruning rides on the first line of a new day; a failure only costs disk.
            let _ = prune(&self.dir, self.keep, wall_now());
        }
        if self.written.saturating_add(buf.len() as u64) > self.max_bytes {
            if !self.noted {
                self.noted = true;
                let _ = self.inner.write_all(
                    b"-- log size cap for today reached; further lines today go to stderr only --\n",
                );
            }
            // Claim the bytes were written: the logger must not retry or report an error.
            return Ok(buf.len());
        }
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The wall clock. Log files and crash reports are named by the calendar the appender itself
/// reads (real time, not the engine's injected clock); `prune` takes `now` so tests can move it.
#[allow(clippy::disallowed_methods)]
pub(crate) fn wall_now() -> SystemTime {
    SystemTime::now()
}

/// Days since the Unix epoch in UTC, the calendar `tracing-appender` names files by.
fn today() -> u64 {
    wall_now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400)
}

/// `imdesk.YYYY-MM-DD.log` for a day number.
fn file_name(day: u64) -> String {
    let secs = i64::try_from(day).unwrap_or(0).saturating_mul(86_400);
    let date = chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    format!("{PREFIX}.{}.{SUFFIX}", date.format("%Y-%m-%d"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn file_names_match_the_appenders_calendar() {
        assert_eq!(file_name(0), "imdesk.1970-01-01.log");
        assert_eq!(file_name(20_454), "imdesk.2026-01-01.log");
        assert_eq!(file_name(19_782), "imdesk.2024-02-29.log");
    }

    #[test]
    fn old_files_are_pruned_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let now = wall_now();
        let touch = |name: &str, age_days: u64| {
            let path = dir.path().join(name);
            std::fs::write(&path, "x\n").unwrap();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(now - Duration::from_secs(age_days * 86_400 + 60))
                .unwrap();
        };
        touch("imdesk.2020-01-01.log", 30);
        touch("imdesk.2020-01-20.log", 15);
        touch("imdesk.2020-02-01.log", 3);
        touch("notes.txt", 30);
        let removed = prune(dir.path(), Duration::from_secs(14 * 86_400), now).unwrap();
        assert_eq!(removed, 2);
        assert!(dir.path().join("imdesk.2020-02-01.log").exists());
        assert!(dir.path().join("notes.txt").exists(), "foreign files stay");
        assert_eq!(
            log_files(dir.path()),
            vec![dir.path().join("imdesk.2020-02-01.log")]
        );
    }

    #[test]
    fn opening_prunes_and_writes_todays_file_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("imdesk.2001-01-01.log");
        std::fs::write(&old, "old\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(wall_now() - Duration::from_secs(40 * 86_400))
            .unwrap();

        let mut writer = CappedDaily::open(dir.path(), 7, 1_000).unwrap();
        assert!(
            !old.exists(),
            "a file older than the age cap is removed at start"
        );
        let line = [b'a'; 99];
        for _ in 0..50 {
            writer.write_all(&line).unwrap();
            writer.write_all(b"\n").unwrap();
        }
        writer.flush().unwrap();
        let today = dir.path().join(file_name(today()));
        let text = std::fs::read_to_string(&today).unwrap();
        assert!(text.len() <= 1_000 + 100, "{} bytes", text.len());
        assert!(text.contains("log size cap"), "{text}");
        assert_eq!(text.matches("log size cap").count(), 1);
    }

    #[test]
    fn an_unusable_log_dir_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        // A path below a regular file can never be created, even for root.
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "").unwrap();
        let err = CappedDaily::open(&file.join("logs"), 7, 1_000).unwrap_err();
        assert!(!err.to_string().is_empty());
        let guard = init(&LogOptions {
            dir: Some(file.join("logs")),
            ..LogOptions::default()
        });
        let why = guard.file_error.as_deref().unwrap();
        assert!(
            why.contains("not usable") && why.contains("not-a-dir"),
            "{why}"
        );
        tracing::info!("still logging");
    }
}
