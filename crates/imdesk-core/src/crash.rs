//! Crash reports: a panic hook that writes `<data dir>/crashes/crash-<ms>.txt` (version, OS,
//! the panic message and location, a backtrace and the last log lines), redacted the way the
//! doctor's bundle is (known secret values, secret-named fields, non-ASCII text), so a report
//! can be attached to a support ticket as it is. The next start offers the newest unseen one.

use std::backtrace::Backtrace;
use std::io;
use std::panic::PanicHookInfo;
use std::path::{Path, PathBuf};
use std::sync::{OnceLock, RwLock};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::config::DeskConfig;
use crate::doctor_redact::redact_log;

/// Reports beyond this many are removed, oldest first, when a new one is written.
const KEEP_REPORTS: usize = 20;
const SEEN_SUFFIX: &str = ".seen.txt";

/// A crash report from an earlier run that the agent has not looked at or dismissed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PendingCrash {
    /// The report's file name inside the crash directory (what `dismiss` takes).
    pub file: String,
    /// The full path, for "open the folder" and support tickets.
    pub path: String,
    /// The redacted report.
    pub text: String,
}

/// What one report holds before redaction.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    /// The app version.
    pub version: &'a str,
    /// The panic message.
    pub message: &'a str,
    /// `file:line:column` of the panic.
    pub location: Option<String>,
    /// The panicking thread's name.
    pub thread: &'a str,
    /// The rendered backtrace.
    pub backtrace: &'a str,
    /// The last log lines.
    pub log_lines: &'a [String],
    /// Secret values (signKey, tokens) to replace wherever they appear.
    pub secrets: &'a [String],
}

struct HookState {
    dir: PathBuf,
    version: &'static str,
    secrets: RwLock<Vec<String>>,
}

fn state() -> &'static OnceLock<HookState> {
    static STATE: OnceLock<HookState> = OnceLock::new();
    &STATE
}

/// Installs the panic hook (once per process) in front of the existing one, which still runs
/// and prints the panic to stderr.
pub fn install(dir: PathBuf, version: &'static str) {
    if state()
        .set(HookState {
            dir,
            version,
            secrets: RwLock::new(Vec::new()),
        })
        .is_err()
    {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(state) = state().get() {
            match write_from_hook(state, info) {
                Ok(path) => eprintln!("崩溃报告 / crash report: {}", path.display()),
                Err(e) => eprintln!("cannot write the crash report: {e}"),
            }
        }
        previous(info);
    }));
}

/// Tells the hook which secret values to scrub; called once the config and keyring are read.
pub fn set_secrets(secrets: Vec<String>) {
    if let Some(state) = state().get() {
        if let Ok(mut slot) = state.secrets.write() {
            *slot = secrets;
        }
    }
}

/// The secret values of a config: the signKey and every store's appAuthToken.
pub fn secrets_of(config: &DeskConfig) -> Vec<String> {
    config
        .sign_key
        .iter()
        .map(|s| s.expose().to_owned())
        .chain(
            config
                .stores
                .iter()
                .map(|s| s.app_auth_token.expose().to_owned()),
        )
        .filter(|s| !s.trim().is_empty())
        .collect()
}

fn write_from_hook(state: &HookState, info: &PanicHookInfo<'_>) -> io::Result<PathBuf> {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic payload>".to_owned());
    let location = info
        .location()
        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
    let thread = std::thread::current();
    let backtrace = Backtrace::force_capture().to_string();
    let log_lines = crate::logs::recent_lines();
    // try_read: a panic while the secrets were being replaced must not deadlock; the field and
    // non-ASCII masking still apply then.
    let secrets = state
        .secrets
        .try_read()
        .map(|s| s.clone())
        .unwrap_or_default();
    write_report(
        &state.dir,
        &ReportInput {
            version: state.version,
            message: &message,
            location,
            thread: thread.name().unwrap_or("<unnamed>"),
            backtrace: &backtrace,
            log_lines: &log_lines,
            secrets: &secrets,
        },
    )
}

/// The report's text, redacted.
pub fn render(input: &ReportInput<'_>) -> String {
    let when = crate::logs::wall_now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut text = format!(
        "imdesk crash report\n\
         version: {}\n\
         os: {} {} ({})\n\
         time_unix: {when}\n\
         thread: {}\n\
         location: {}\n\
         message: {}\n\n\
         backtrace:\n{}\n\n\
         last log lines:\n",
        input.version,
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::env::consts::FAMILY,
        input.thread,
        input.location.as_deref().unwrap_or("<unknown>"),
        input.message,
        input.backtrace.trim_end(),
    );
    for line in input.log_lines {
        text.push_str(line);
        text.push('\n');
    }
    redact(&text, input.secrets)
}

/// Known secret values replaced first (they can sit anywhere, not only after a field name),
/// then the doctor's log redaction: secret-named fields and every non-ASCII run masked.
fn redact(text: &str, secrets: &[String]) -> String {
    // Values too short to be a real secret would mask ordinary words.
    let secrets: Vec<String> = secrets.iter().filter(|s| s.len() >= 4).cloned().collect();
    redact_log(&meituan_api::observe::redact_values(text, &secrets))
}

/// Writes a report into `dir` (created if needed) and trims old reports; returns its path.
pub fn write_report(dir: &Path, input: &ReportInput<'_>) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let ms = crate::logs::wall_now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let path = dir.join(format!("crash-{ms}.txt"));
    std::fs::write(&path, render(input))?;
    trim(dir);
    Ok(path)
}

/// Report files in `dir`, oldest first (the millisecond stamps sort as numbers of one width).
fn reports(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("crash-") && n.ends_with(".txt"))
        })
        .collect();
    files.sort();
    files
}

fn trim(dir: &Path) {
    let files = reports(dir);
    let extra = files.len().saturating_sub(KEEP_REPORTS);
    for old in files.into_iter().take(extra) {
        let _ = std::fs::remove_file(old);
    }
}

/// The newest report not yet dismissed, if any. A report that cannot be read is skipped.
pub fn pending(dir: &Path) -> Option<PendingCrash> {
    reports(dir)
        .into_iter()
        .rev()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.ends_with(SEEN_SUFFIX))
        })
        .find_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            Some(PendingCrash {
                file: path.file_name()?.to_str()?.to_owned(),
                path: path.display().to_string(),
                text,
            })
        })
}

/// Marks a report seen (renamed to `*.seen.txt`, kept for a later support ticket). `file` must
/// be a bare report name from [`pending`]: anything with a path separator is refused.
pub fn dismiss(dir: &Path, file: &str) -> io::Result<()> {
    let valid = file.starts_with("crash-")
        && file.ends_with(".txt")
        && !file.ends_with(SEEN_SUFFIX)
        && !file.contains(['/', '\\'])
        && !file.contains("..");
    if !valid {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a crash report name: {file}"),
        ));
    }
    let stem = file.trim_end_matches(".txt");
    std::fs::rename(dir.join(file), dir.join(format!("{stem}{SEEN_SUFFIX}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const SIGN_KEY: &str = "sk-PLANTED-9f8e7d";
    const TOKEN: &str = "tok-PLANTED-1a2b3c";
    const CUSTOMER: &str = "我的地址是幸福路8号";

    fn input<'a>(lines: &'a [String], secrets: &'a [String]) -> ReportInput<'a> {
        ReportInput {
            version: "9.8.7",
            message: "boom while handling store mt-1",
            location: Some("crates/imdesk-core/src/outbox.rs:42:7".to_owned()),
            thread: "engine",
            backtrace: "   0: imdesk_core::outbox::send\n   1: std::rt::lang_start",
            log_lines: lines,
            secrets,
        }
    }

    #[test]
    fn a_report_has_version_and_location_and_no_secrets_or_customer_text() {
        let lines = vec![
            format!("INFO config loaded sign_key={SIGN_KEY}"),
            format!("DEBUG token refreshed for mt-1 value {TOKEN}"),
            format!("WARN odd frame msg_content=\"{CUSTOMER}\""),
            format!("INFO raw {CUSTOMER}"),
        ];
        let secrets = vec![SIGN_KEY.to_owned(), TOKEN.to_owned()];
        let dir = tempfile::tempdir().unwrap();
        let path = write_report(dir.path(), &input(&lines, &secrets)).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains("version: 9.8.7"), "{text}");
        assert!(text.contains("outbox.rs:42:7"), "{text}");
        assert!(text.contains("imdesk_core::outbox::send"), "{text}");
        assert!(text.contains("config loaded"), "{text}");
        for planted in [SIGN_KEY, TOKEN, CUSTOMER, "幸福路"] {
            assert!(!text.contains(planted), "{planted} in {text}");
        }
    }

    #[test]
    fn pending_offers_the_newest_unseen_report_until_dismissed() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(pending(dir.path()), None);
        std::fs::write(dir.path().join("crash-1000.txt"), "old").unwrap();
        std::fs::write(dir.path().join("crash-2000.txt"), "new").unwrap();
        let first = pending(dir.path()).unwrap();
        assert_eq!(
            (first.file.as_str(), first.text.as_str()),
            ("crash-2000.txt", "new")
        );
        dismiss(dir.path(), &first.file).unwrap();
        assert!(dir.path().join("crash-2000.seen.txt").exists());
        assert_eq!(pending(dir.path()).unwrap().file, "crash-1000.txt");
        dismiss(dir.path(), "crash-1000.txt").unwrap();
        assert_eq!(pending(dir.path()), None);
        assert!(dismiss(dir.path(), "../crash-1.txt").is_err());
        assert!(dismiss(dir.path(), "config.toml").is_err());
    }

    #[test]
    fn the_hook_writes_a_report_for_a_real_panic() {
        let dir = tempfile::tempdir().unwrap();
        let crashes = dir.path().join("crashes");
        install(crashes.clone(), "1.2.3");
        set_secrets(vec![SIGN_KEY.to_owned()]);
        let result = std::thread::Builder::new()
            .name("forced-panic".to_owned())
            .spawn(|| panic!("forced test panic with {SIGN_KEY} and {CUSTOMER}"))
            .unwrap()
            .join();
        assert!(result.is_err());
        let report = pending(&crashes).expect("a report after the panic");
        let text = report.text;
        assert!(text.contains("version: 1.2.3"), "{text}");
        assert!(text.contains("crash.rs:"), "{text}");
        assert!(text.contains("thread: forced-panic"), "{text}");
        assert!(text.contains("forced test panic"), "{text}");
        for planted in [SIGN_KEY, CUSTOMER] {
            assert!(!text.contains(planted), "{planted} in {text}");
        }
    }
}
