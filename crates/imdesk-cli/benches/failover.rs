//! Relay failover (issue 22): two `imdesk-cli relay` processes (3 + 2 push sockets) in front
//! of a real `nats-server`; the sandbox pushes at 1,000 messages per second while a team desk
//! replies every 100 ms; relay A is SIGKILLed in the middle. Prints the pushed messages the
//! desk is missing at the end (target 0) and the gap from the kill until a reply queued after
//! it is accepted, beside the reply latency before the kill in the same run.
//!
//! `cargo bench -p imdesk-cli --bench failover`; `IMDESK_BENCH_SECS` (load, default 6; the
//! kill at a third of it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark aborts on failure

use std::collections::HashSet;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use imdesk_core::convert::conversation_id;
use imdesk_core::team::TeamConfig;
use imdesk_core::{Desk, DeskConfig, DeskOptions, NullSink};
use imdesk_store::{ConversationKey, ExportFilter};
use meituan_sandbox::{Sandbox, SandboxConfig};
use nats_harness::NatsServer;
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_imdesk-cli");

fn relay(sb: &Sandbox, nats: &NatsServer, db: &std::path::Path, id: &str, sockets: u8) -> Child {
    Command::new(BIN)
        .args(["relay", "--id", id])
        .env("IMDESK_GATEWAY_URL", sb.gateway_url())
        .env("IMDESK_PUSH_URL", sb.push_url())
        .env("IMDESK_DEVELOPER_ID", sb.developer_id().to_string())
        .env("IMDESK_SIGN_KEY", sb.sign_key())
        .env("IMDESK_STORES", sb.coordinates()["stores"].to_string())
        .env("IMDESK_DB", db)
        .env("IMDESK_NATS_URL", nats.url())
        .env("IMDESK_PUSH_CONNECTIONS", sockets.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let secs: u64 = std::env::var("IMDESK_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let nats = NatsServer::start().unwrap();
        let sb = Arc::new(Sandbox::start(SandboxConfig::default()).await.unwrap());
        let dir = tempfile::tempdir().unwrap();
        let mut a = relay(&sb, &nats, &dir.path().join("a.sqlite3"), "relay-a", 3);
        let _b = relay(&sb, &nats, &dir.path().join("b.sqlite3"), "relay-b", 2);
        let start = Instant::now();
        while sb.open_connections() < 5 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "relays did not connect"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let desk = Arc::new(
            Desk::start_with(
                DeskConfig {
                    db_path: dir.path().join("desk.sqlite3"),
                    team: Some(TeamConfig::new(nats.url(), "bench")),
                    ..DeskConfig::default()
                },
                DeskOptions::default(),
                Arc::new(NullSink),
            )
            .await
            .unwrap(),
        );
        // A first conversation to reply in.
        let seed = sb.run_load(1, 100.0).await;
        let p = &seed[0];
        let conv = conversation_id(&ConversationKey {
            store: p.epoi_id.clone(),
            biz_type: p.biz_type,
            peer_id: p.open_user_id.or(p.group_id).unwrap(),
        });
        while desk.detail(&conv).await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let load = {
            let sb = sb.clone();
            tokio::spawn(async move { sb.run_load(secs * 1_000, 1_000.0).await })
        };
        let kill_at = Duration::from_millis(secs * 1_000 / 3);
        let began = Instant::now();
        let mut killed: Option<Instant> = None;
        let mut before = Vec::new();
        let mut resumed: Option<f64> = None;
        let mut replies = tokio::task::JoinSet::new();
        let mut n = 0;
        while began.elapsed() < Duration::from_secs(secs) || resumed.is_none() {
            if killed.is_none() && began.elapsed() >= kill_at {
                a.start_kill().unwrap(); // SIGKILL
                killed = Some(Instant::now());
            }
            let (desk, conv) = (desk.clone(), conv.clone());
            let queued_at = Instant::now();
            let after_kill = killed.is_some();
            n += 1;
            replies.spawn(async move {
                let q = desk.send_text(&conv, &format!("回复 {n}")).await.unwrap();
                let ok = desk
                    .wait_sent(&q.key, Duration::from_secs(60))
                    .await
                    .is_ok();
                (after_kill, queued_at, ok.then(Instant::now))
            });
            while let Some(done) = replies.try_join_next() {
                match done.unwrap() {
                    (false, q, Some(at)) => before.push((at - q).as_secs_f64()),
                    (true, _, Some(at)) if resumed.is_none() => {
                        resumed = Some((at - killed.unwrap()).as_secs_f64());
                    }
                    _ => {}
                }
            }
            assert!(
                began.elapsed() < Duration::from_secs(secs + 60),
                "sends never resumed"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let pushed = load.await.unwrap();
        // Every pushed message on the desk?
        let want: HashSet<(String, i64)> = pushed
            .iter()
            .map(|p| (p.epoi_id.clone(), p.msg_id))
            .collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        let missing = loop {
            let mut have = HashSet::new();
            desk.store()
                .export_messages(&ExportFilter::default(), |m| {
                    have.insert((m.store, m.msg_id));
                    true
                })
                .unwrap();
            let missing = want.iter().filter(|k| !have.contains(*k)).count();
            if missing == 0 || Instant::now() > deadline {
                break missing;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        println!(
            "relay failover at 1,000 msg/s for {secs} s, relay A (3 of 5 sockets) SIGKILLed at \
             {:.1} s: {} pushed, {missing} missing on the desk (target 0) | a reply queued \
             after the kill accepted {:.2} s after it | reply latency before the kill: median \
             {:.2} s over {} replies",
            kill_at.as_secs_f64(),
            pushed.len(),
            resumed.unwrap_or(f64::NAN),
            median(before.clone()),
            before.len()
        );
        replies.abort_all();
        desk.shutdown().await;
    });
}
