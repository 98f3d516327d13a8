//! One start of a window under test: spawned in its own process group with a private display,
//! bus and XDG directories, its stderr read line by line on a thread that stamps each line
//! with this process's clock (the marker lines `imdesk-bench: <name>`) and copies it to a log.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::process::{GroupChild, SessionBus};

/// A D-Bus session of one start, and the services it started (the notification daemon, dunst,
/// activated by the window's first notification). Each start gets its own, as a login does:
/// with one bus for the whole run, dunst kept every start's notifications on screen (the
/// demo's urgent ones never time out), and in the last run before this change imdesk's warm-up
/// start reached its first page in 471 ms and its five timed starts in 958-1,043 ms, while
/// probes on a fresh session took 489-550 ms.
#[derive(Debug)]
struct StartBus {
    bus: Option<SessionBus>,
    address: String,
}

impl StartBus {
    fn start() -> anyhow::Result<Self> {
        let bus = SessionBus::start()?;
        Ok(Self {
            address: bus.address.clone(),
            bus: Some(bus),
        })
    }
}

impl Drop for StartBus {
    /// Stops the bus, then every process started with its address (activated services are
    /// not in the bus daemon's process group).
    fn drop(&mut self) {
        drop(self.bus.take());
        // Activated services get the address as the starter's, and most as the session's.
        let needles = [
            format!("DBUS_SESSION_BUS_ADDRESS={}", self.address),
            format!("DBUS_STARTER_ADDRESS={}", self.address),
        ];
        let me = std::process::id().to_string();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in procs.flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
                continue;
            };
            if environ
                .split(|b| *b == 0)
                .any(|var| needles.iter().any(|n| var == n.as_bytes()))
            {
                let _ = Command::new("kill").args(["-TERM", &pid]).status();
            }
        }
    }
}

/// Where and how a window is started.
#[derive(Debug, Clone)]
pub struct Launch {
    /// `imdesk` or `empty window`, for messages.
    pub label: &'static str,
    pub binary: PathBuf,
    /// The marker that ends the start: `first-paint` or `first-inbox-page`.
    pub marker: &'static str,
    pub display: String,
    /// `IMDESK_DATA_DIR`; the XDG directories go under it too, so nothing is shared.
    pub data_dir: PathBuf,
    /// Variables set for this window only (after the caller's WebKit switches are removed).
    pub env: Vec<(&'static str, &'static str)>,
}

/// A started window.
#[derive(Debug)]
pub struct Running {
    pub label: &'static str,
    child: GroupChild,
    /// Dropped after `child`: the window stops before its session does.
    _bus: StartBus,
    lines: Receiver<(Instant, String)>,
    started: Instant,
    /// Lines read so far (the sandbox URL is looked up among them).
    pub seen: Vec<String>,
}

impl Launch {
    /// Spawns the binary; `log` receives its stderr.
    pub fn start(&self, log: &Path) -> anyhow::Result<Running> {
        let mut cmd = Command::new(&self.binary);
        // No credentials or settings of the caller's: demo mode, on this run's data only.
        for (key, _) in std::env::vars_os() {
            let key_text = key.to_string_lossy();
            if key_text.starts_with("IMDESK_") || key_text.starts_with("WEBKIT_") {
                cmd.env_remove(key);
            }
        }
        cmd.envs(self.env.iter().copied());
        let bus = StartBus::start()?;
        cmd.env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("IMDESK_DATA_DIR", &self.data_dir)
            .env("XDG_DATA_HOME", self.data_dir.join("xdg-data"))
            .env("XDG_CONFIG_HOME", self.data_dir.join("xdg-config"))
            .env("XDG_CACHE_HOME", self.data_dir.join("xdg-cache"))
            .env("IMDESK_BENCH_MARKS", "1")
            .env("IMDESK_NO_DIALOGS", "1")
            .env("NO_AT_BRIDGE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("cannot write {}", log.display()))?;
        let started = Instant::now();
        let mut child = GroupChild::spawn("window under test", &mut cmd)?;
        let stderr = child
            .child_mut()
            .stderr
            .take()
            .context("the window's stderr")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let at = Instant::now();
                let _ = writeln!(log, "{line}");
                if tx.send((at, line)).is_err() {
                    break;
                }
            }
        });
        Ok(Running {
            label: self.label,
            child,
            _bus: bus,
            lines,
            started,
            seen: Vec::new(),
        })
    }
}

impl Running {
    /// The process group leader (the app's own pid).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for `imdesk-bench: <marker>` and returns the time from spawn to the read line.
    pub fn wait_marker(&mut self, marker: &str, timeout: Duration) -> anyhow::Result<Duration> {
        let want = format!("imdesk-bench: {marker}");
        let deadline = self.started + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((at, line)) => {
                    let hit = line.trim_end() == want;
                    self.seen.push(line);
                    if hit {
                        return Ok(at.duration_since(self.started));
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    bail!("{}: no `{want}` within {timeout:?}", self.label)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.child_mut().try_wait().ok().flatten();
                    bail!(
                        "{}: stderr closed before `{want}` (exit status {status:?}); last lines:\n{}",
                        self.label,
                        self.seen[self.seen.len().saturating_sub(15)..].join("\n")
                    )
                }
            }
        }
    }

    /// Reads what the window printed meanwhile (without waiting), so the pipe never fills.
    pub fn drain(&mut self) {
        while let Ok((_, line)) = self.lines.try_recv() {
            self.seen.push(line);
        }
    }

    /// Whether the app is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.child_mut().try_wait(), Ok(None))
    }
}
