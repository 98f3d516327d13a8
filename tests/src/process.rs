//! Child processes the harness owns: an X server, a private D-Bus session, tauri-driver.
//! Each runs in its own process group and is terminated (group-wide) on drop, so no
//! WebKitWebDriver or app process outlives a test (toolchain-notes pitfall 8).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A process group leader that is stopped with SIGTERM (then SIGKILL) on drop.
#[derive(Debug)]
pub struct GroupChild {
    name: &'static str,
    child: Child,
}

impl GroupChild {
    /// Spawns `cmd` as the leader of a new process group.
    pub fn spawn(name: &'static str, cmd: &mut Command) -> anyhow::Result<Self> {
        let child = cmd.process_group(0).spawn().with_context(|| {
            format!("cannot start {name} (is it installed? run scripts/setup.sh)")
        })?;
        Ok(Self { name, child })
    }

    /// The OS process id (also the process group id).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Mutable access to the child, e.g. to take its stdout.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    fn signal_group(&self, signal: &str) {
        // The `kill` utility reaches the whole group without unsafe libc calls.
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        self.signal_group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                // The leader is gone; make sure no member of its group lingers.
                self.signal_group("-KILL");
                return;
            }
            pause(Duration::from_millis(50));
        }
        eprintln!(
            "[harness] {} did not stop on SIGTERM; killing its group",
            self.name
        );
        self.signal_group("-KILL");
        let _ = self.child.wait();
    }
}

/// Sleeps the current (non-async) thread: the harness's teardown runs outside the executor.
#[allow(clippy::disallowed_methods)]
pub fn pause(d: Duration) {
    std::thread::sleep(d);
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something accepts connections on `127.0.0.1:port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        pause(Duration::from_millis(50));
    }
    bail!("nothing listened on port {port} within {timeout:?}")
}

/// A private X server, unless the caller already has a display and did not ask for its own.
#[derive(Debug)]
pub struct Display {
    /// The value for `DISPLAY`.
    pub name: String,
    _server: Option<GroupChild>,
}

impl Display {
    /// Starts `Xvfb` on the first free display number from 90 up.
    pub fn start() -> anyhow::Result<Self> {
        if let Ok(existing) = std::env::var("DISPLAY") {
            if !existing.is_empty() && std::env::var_os("IMDESK_E2E_OWN_DISPLAY").is_none() {
                return Ok(Self {
                    name: existing,
                    _server: None,
                });
            }
        }
        for n in 90..190 {
            let lock = PathBuf::from(format!("/tmp/.X{n}-lock"));
            if lock.exists() {
                continue;
            }
            let server = GroupChild::spawn(
                "Xvfb",
                Command::new("Xvfb")
                    .args([
                        &format!(":{n}"),
                        "-screen",
                        "0",
                        "1440x900x24",
                        "-nolisten",
                        "tcp",
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            )?;
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            if wait_for_path(&socket, Duration::from_secs(10)) {
                return Ok(Self {
                    name: format!(":{n}"),
                    _server: Some(server),
                });
            }
        }
        bail!("could not start Xvfb on any display :90..:189")
    }
}

fn wait_for_path(path: &Path, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        pause(Duration::from_millis(50));
    }
    false
}

/// A private D-Bus session bus, so the app neither touches the user's bus nor autolaunches
/// daemons that outlive the test (toolchain-notes pitfall 7).
#[derive(Debug)]
pub struct SessionBus {
    /// The value for `DBUS_SESSION_BUS_ADDRESS`.
    pub address: String,
    _daemon: GroupChild,
}

impl SessionBus {
    /// Starts `dbus-daemon --session` and reads the address it prints.
    pub fn start() -> anyhow::Result<Self> {
        let mut daemon = GroupChild::spawn(
            "dbus-daemon",
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let stdout = daemon
            .child_mut()
            .stdout
            .take()
            .context("dbus-daemon stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let address = line.trim().to_owned();
        if address.is_empty() {
            bail!("dbus-daemon printed no address");
        }
        Ok(Self {
            address,
            _daemon: daemon,
        })
    }
}
