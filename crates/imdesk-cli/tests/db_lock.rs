//! One writer per database across processes: while `imdesk-cli headless` holds a database, a
//! second `headless` and a `send` on it exit non-zero at once with the reason on stderr, open
//! no push socket and send nothing; `export` still reads beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use meituan_sandbox::{Sandbox, SandboxConfig};
use tokio::process::Command;

mod common;

use common::{cli, run_within, wait_for};

fn command(sb: &Sandbox, home: &Path, db: &Path, args: &[&str]) -> Command {
    cli(sb, home, db, args)
}

async fn run(sb: &Sandbox, home: &Path, db: &Path, args: &[&str]) -> Output {
    // A refusal must be prompt: well under the time a desk takes to connect.
    run_within(20, cli(sb, home, db, args), args).await
}

fn merchant_messages(sb: &Sandbox) -> usize {
    sb.stores()
        .iter()
        .map(|s| sb.merchant_messages(&s.epoi_id).unwrap().len())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_on_a_held_database_is_refused_with_the_reason() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("archive.sqlite3");
    let mut first = command(&sb, home, &db, &["headless"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(20, "the first desk's three push sockets", async || {
        sb.open_connections() == 3
    })
    .await;

    let second = run(&sb, home, &db, &["headless"]).await;
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "second headless: {stderr}");
    assert!(stderr.contains("already in use"), "{stderr}");
    assert!(stderr.contains("archive.sqlite3.lock"), "{stderr}");
    let pid = first.id().unwrap().to_string();
    assert!(stderr.contains(&format!("pid {pid}")), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let store = sb.stores()[0].epoi_id.clone();
    let send = run(
        &sb,
        home,
        &db,
        &[
            "send",
            "--store",
            &store,
            "--biz-type",
            "1",
            "--open-user-id",
            "42",
            "--order-id",
            "0",
            "--text",
            "您好",
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&send.stderr);
    assert!(!send.status.success(), "send: {stderr}");
    assert!(stderr.contains("already in use"), "{stderr}");
    assert_eq!(merchant_messages(&sb), 0, "nothing was sent");
    assert_eq!(sb.open_connections(), 3, "only the first desk's sockets");

    // A reader is not a writer: export works beside the live desk.
    let export = run(&sb, home, &db, &["export"]).await;
    assert!(
        export.status.success(),
        "export: {}",
        String::from_utf8_lossy(&export.stderr)
    );

    // The first desk is unharmed and stops cleanly; then the database is free again.
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first desk still runs"
    );
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(20), first.wait())
        .await
        .expect("headless stops on SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let mut again = command(&sb, home, &db, &["headless"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(20, "a new desk on the freed database", async || {
        sb.open_connections() == 3
    })
    .await;
    again.start_kill().unwrap();
    again.wait().await.unwrap();
}
