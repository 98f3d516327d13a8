//! Team mode through the front doors, with a real `nats-server`: two `imdesk-cli relay`
//! processes share the push socket budget (3 + 2), a headless team desk mirrors the stream,
//! and relay A is SIGKILLed in the middle of a load burst. Every pushed message reaches the
//! desk exactly once, `imdesk-cli send` in team mode still goes through relay B, and relay B
//! drains and exits 0 on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use meituan_sandbox::{Sandbox, SandboxConfig};
use nats_harness::NatsServer;

mod common;

use common::{desk_command, exported_lines, relay, run_within, wait_for};

/// (store, msg_id) → how many times `imdesk-cli export` printed it from the desk's database.
async fn exported(nats: &NatsServer, home: &Path, db: &Path) -> HashMap<(String, i64), usize> {
    let out = desk_command(nats, home, db, "x", &["export"])
        .output()
        .await
        .unwrap();
    exported_lines(&out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_one_killed_mid_peak_lose_nothing_and_sends_go_on() {
    let nats = NatsServer::start().unwrap();
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let mut a = relay(&sb, &nats, &home.join("relay-a.sqlite3"), "relay-a", 3);
    let mut b = relay(&sb, &nats, &home.join("relay-b.sqlite3"), "relay-b", 2);
    wait_for(30, "the 3 + 2 push sockets of both relays", async || {
        sb.open_connections() == 5
    })
    .await;
    let desk_db = home.join("desk.sqlite3");
    let mut desk = desk_command(&nats, home, &desk_db, "alice", &["headless"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // A peak: 1,000 messages at 1,000 msg/s; relay A is killed half-way through.
    let mut pushed = Vec::new();
    let load = sb.run_load(1_000, 1_000.0);
    let kill = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        a.start_kill().unwrap(); // SIGKILL
        a.wait().await.unwrap();
    };
    let (burst, ()) = tokio::join!(load, kill);
    pushed.extend(burst);
    // And after it, relay B alone.
    pushed.extend(sb.run_load(200, 500.0).await);
    let expected: Vec<(String, i64)> = pushed
        .iter()
        .map(|p| (p.epoi_id.clone(), p.msg_id))
        .collect();
    wait_for(60, "every pushed message on the desk", async || {
        let got = exported(&nats, home, &desk_db).await;
        expected.iter().all(|k| got.contains_key(k))
    })
    .await;
    let got = exported(&nats, home, &desk_db).await;
    let doubled: Vec<_> = got.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "stored more than once: {doubled:?}");
    assert_eq!(got.len(), expected.len(), "nothing but the pushed messages");

    // A reply from the CLI in team mode: it catches up, sends through relay B, and exits 0
    // only when the platform accepted it.
    let first = &pushed[0];
    let (store, user) = (first.epoi_id.clone(), first.open_user_id);
    let since_kill = Instant::now();
    let mut args = vec![
        "send".to_owned(),
        "--store".into(),
        store.clone(),
        "--biz-type".into(),
        first.biz_type.to_string(),
        "--text".into(),
        "您好，已为您处理".into(),
        "--timeout-secs".into(),
        "60".into(),
    ];
    match (first.biz_type, user) {
        (1, Some(u)) => {
            args.extend(["--open-user-id".into(), u.to_string()]);
            args.extend(["--order-id".into(), first.order_id.unwrap_or(0).to_string()]);
        }
        _ => {
            let g = first.group_id.expect("a group message names its group");
            args.extend(["--group-id".into(), g.to_string()]);
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_within(
        90,
        desk_command(&nats, home, &home.join("cli.sqlite3"), "bob", &args),
        &args,
    )
    .await;
    assert!(
        out.status.success(),
        "send failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["state"], "sent");
    let sent = sb
        .merchant_messages(&store)
        .unwrap()
        .into_iter()
        .filter(|m| m.text == "您好，已为您处理")
        .count();
    assert_eq!(sent, 1, "exactly one relay sent it, once");
    println!(
        "team failover: {} messages, 0 lost; a send after relay A's SIGKILL took {:.2} s",
        expected.len(),
        since_kill.elapsed().as_secs_f64()
    );

    // SIGTERM: relay B drains and exits 0.
    let pid = b.id().unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), b.wait())
        .await
        .expect("relay B stops after SIGTERM")
        .unwrap();
    assert!(status.success(), "relay B exits 0 after draining: {status}");
    desk.start_kill().unwrap();
    let _ = desk.wait().await;
}
