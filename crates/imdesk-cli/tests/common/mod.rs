//! Shared by the front-door tests: the binary run against the sandbox (its coordinates as
//! `IMDESK_*` variables), and polling with a deadline.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use meituan_sandbox::Sandbox;
use nats_harness::NatsServer;
use tokio::process::{Child, Command};

/// The built binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_imdesk-cli");

/// Points `c` at the sandbox, with `db` as its SQLite file.
pub fn platform_env<'c>(c: &'c mut Command, sb: &Sandbox, db: &Path) -> &'c mut Command {
    c.env("IMDESK_GATEWAY_URL", sb.gateway_url())
        .env("IMDESK_PUSH_URL", sb.push_url())
        .env("IMDESK_DEVELOPER_ID", sb.developer_id().to_string())
        .env("IMDESK_SIGN_KEY", sb.sign_key())
        .env("IMDESK_STORES", sb.coordinates()["stores"].to_string())
        .env("IMDESK_DB", db)
}

/// The binary with a clean environment: only `home`, the sandbox's coordinates and `db`.
pub fn cli(sb: &Sandbox, home: &Path, db: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"));
    platform_env(&mut c, sb, db)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    c
}

/// Runs `c` to its end; a command still running after `secs` fails the test instead of
/// hanging it.
pub async fn run_within(secs: u64, mut c: Command, what: &[&str]) -> Output {
    tokio::time::timeout(Duration::from_secs(secs), c.output())
        .await
        .unwrap_or_else(|_| panic!("imdesk-cli {what:?} did not finish in {secs} s"))
        .unwrap()
}

/// Polls `check` every 50 ms until it holds, or fails the test after `secs` seconds.
pub async fn wait_for(secs: u64, what: &str, check: impl AsyncFnMut() -> bool) {
    if !poll_until(secs, check).await {
        panic!("timed out waiting for: {what}");
    }
}

/// Polls `check` every 50 ms until it holds (`true`) or `secs` seconds pass (`false`).
pub async fn poll_until(secs: u64, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// What `imdesk-cli export` printed: (store, msg_id) → how many times. Empty when the
/// command failed (the database is not created yet).
pub fn exported_lines(out: &Output) -> std::collections::HashMap<(String, i64), usize> {
    let mut seen = std::collections::HashMap::new();
    if !out.status.success() {
        return seen;
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (
            v["store"].as_str().unwrap().to_owned(),
            v["msg_id"].as_i64().unwrap(),
        );
        *seen.entry(key).or_default() += 1;
    }
    seen
}

/// Where a process's log goes: a file beside its database (`<db>.log`), so that a failing
/// test can point at it.
pub fn log_file(db: &Path) -> Stdio {
    Stdio::from(std::fs::File::create(db.with_extension("log")).unwrap())
}

/// A relay process with `connections` push sockets; its log goes to `<db>.log`
/// (`IMDESK_LOG` of the test's environment sets the filter), and its stdout says when it
/// runs ([`relay_ready`]).
pub fn relay(sb: &Sandbox, nats: &NatsServer, db: &Path, id: &str, connections: u8) -> Child {
    let mut c = Command::new(BIN);
    c.args(["relay", "--id", id]);
    platform_env(&mut c, sb, db)
        .env("IMDESK_NATS_URL", nats.url())
        .env("IMDESK_PUSH_CONNECTIONS", connections.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file(db))
        .kill_on_drop(true);
    c.spawn().unwrap()
}

/// Waits up to `secs` for the line a [`relay`] prints once it relays (its engine started and
/// its team buckets and consumer in place). A relay that exits or stays silent instead fails
/// the test with its log: a relay lost at start would otherwise show up much later as
/// messages missing after a failover.
pub async fn relay_ready(relay: &mut Child, db: &Path, secs: u64) {
    use tokio::io::AsyncBufReadExt as _;
    let stdout = relay.stdout.take().expect("the relay's stdout is piped");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(secs), lines.next_line()).await;
    if let Ok(Ok(Some(line))) = &line {
        if line.contains("\"relay\"") {
            // The rest of its stdout is read and dropped, so that a later line never meets
            // a closed pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return;
        }
    }
    let status = relay.try_wait().ok().flatten();
    let log = std::fs::read_to_string(db.with_extension("log")).unwrap_or_default();
    panic!(
        "relay {} did not start in {secs} s (stdout {line:?}, exit {status:?}); its log:\n{log}",
        db.display()
    );
}

/// A team desk's command: NATS only, no platform credentials.
pub fn desk_command(
    nats: &NatsServer,
    home: &Path,
    db: &Path,
    agent: &str,
    args: &[&str],
) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("IMDESK_NATS_URL", nats.url())
        .env("IMDESK_AGENT", agent)
        .env("IMDESK_DB", db)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Ok(filter) = std::env::var("IMDESK_LOG") {
        c.env("IMDESK_LOG", filter);
    }
    c
}
