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

use common::{
    desk_command, exported_lines, log_file, poll_until, relay, relay_ready, run_within, wait_for,
};

/// (store, msg_id) → how many times `imdesk-cli export` printed it from the desk's database.
async fn exported(nats: &NatsServer, home: &Path, db: &Path) -> HashMap<(String, i64), usize> {
    let out = desk_command(nats, home, db, "x", &["export"])
        .output()
        .await
        .unwrap();
    exported_lines(&out)
}

/// Which pushed messages the desk lacks, each with when it was pushed relative to relay A's
/// SIGKILL (the burst's pacing: message `i` is due `i / rate` after the burst began) and
/// which relay archives hold it.
async fn missing_report(
    nats: &NatsServer,
    home: &Path,
    desk: &HashMap<(String, i64), usize>,
    expected: &[(String, i64)],
    burst: usize,
    kill_after: Duration,
) -> String {
    let a = exported(nats, home, &home.join("relay-a.sqlite3")).await;
    let b = exported(nats, home, &home.join("relay-b.sqlite3")).await;
    let missing: Vec<String> = expected
        .iter()
        .enumerate()
        .filter(|(_, k)| !desk.contains_key(k))
        .map(|(i, (store, msg_id))| {
            let when = if i < burst {
                let at = i as f64 / BURST_RATE;
                format!("{:+.3} s from the kill", at - kill_after.as_secs_f64())
            } else {
                format!("after the burst (#{})", i - burst)
            };
            let held: Vec<&str> = [("relay A", &a), ("relay B", &b)]
                .into_iter()
                .filter(|(_, archive)| archive.contains_key(&(store.clone(), *msg_id)))
                .map(|(name, _)| name)
                .collect();
            format!("store {store} msg_id {msg_id}: pushed {when}; archived by {held:?}")
        })
        .collect();
    // A long run of them is shown by its two ends.
    let shown = if missing.len() > 2 * SHOWN_ENDS {
        let skipped = missing.len() - 2 * SHOWN_ENDS;
        let (head, tail) = (
            &missing[..SHOWN_ENDS],
            &missing[missing.len() - SHOWN_ENDS..],
        );
        format!(
            "{}\n  … {skipped} more …\n  {}",
            head.join("\n  "),
            tail.join("\n  ")
        )
    } else {
        missing.join("\n  ")
    };
    format!(
        "the desk holds {} of {} pushed messages; missing {}:\n  {shown}",
        expected.len() - missing.len(),
        expected.len(),
        missing.len(),
    )
}

/// How many missing messages the report shows at each end of a long list.
const SHOWN_ENDS: usize = 25;

/// The burst's rate (messages per second).
const BURST_RATE: f64 = 1_000.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_one_killed_mid_peak_lose_nothing_and_sends_go_on() {
    let nats = NatsServer::start().unwrap();
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let (a_db, b_db) = (home.join("relay-a.sqlite3"), home.join("relay-b.sqlite3"));
    let mut a = relay(&sb, &nats, &a_db, "relay-a", 3);
    let mut b = relay(&sb, &nats, &b_db, "relay-b", 2);
    relay_ready(&mut a, &a_db, 30).await;
    relay_ready(&mut b, &b_db, 30).await;
    wait_for(30, "the 3 + 2 push sockets of both relays", async || {
        sb.open_connections() == 5
    })
    .await;
    let desk_db = home.join("desk.sqlite3");
    let mut desk = desk_command(&nats, home, &desk_db, "alice", &["headless"])
        .stdout(Stdio::null())
        .stderr(log_file(&desk_db))
        .spawn()
        .unwrap();

    // A peak: 1,000 messages at 1,000 msg/s; relay A is killed half-way through.
    let mut pushed = Vec::new();
    let began = Instant::now();
    let load = sb.run_load(1_000, BURST_RATE);
    let kill = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        a.start_kill().unwrap(); // SIGKILL
        let killed = began.elapsed();
        a.wait().await.unwrap();
        killed
    };
    let (burst, kill_after) = tokio::join!(load, kill);
    let burst_len = burst.len();
    pushed.extend(burst);
    // And after it, relay B alone.
    pushed.extend(sb.run_load(200, 500.0).await);
    let expected: Vec<(String, i64)> = pushed
        .iter()
        .map(|p| (p.epoi_id.clone(), p.msg_id))
        .collect();
    let all_there = poll_until(60, async || {
        let got = exported(&nats, home, &desk_db).await;
        expected.iter().all(|k| got.contains_key(k))
    })
    .await;
    if !all_there {
        let got = exported(&nats, home, &desk_db).await;
        let report = missing_report(&nats, home, &got, &expected, burst_len, kill_after).await;
        let relay_b = match b.try_wait() {
            Ok(None) => "running".to_owned(),
            other => format!("gone ({other:?})"),
        };
        let logs = dir.keep();
        panic!(
            "timed out waiting for every pushed message on the desk: {report}\n\
             relay B is {relay_b}; relay and desk logs kept in {}",
            logs.display()
        );
    }
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
