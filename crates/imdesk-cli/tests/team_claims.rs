//! `imdesk-cli claim` and `imdesk-cli agents` in team mode, with a real `nats-server`, a relay
//! process and a headless desk: two claims at once leave one owner and both exit 0 with the
//! owner as JSON; a transfer to an unknown agent, a claim on a conversation the team has never
//! seen and a non-owner's release fail with a clear message; `agents` lists who is online.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Output, Stdio};

use meituan_sandbox::{ChatKind, CustomerMessage, Sandbox, SandboxConfig};
use nats_harness::NatsServer;

mod common;

use common::{desk_command, relay, run_within, wait_for};

async fn claim(nats: &NatsServer, home: &Path, agent: &str, extra: &[&str]) -> Output {
    let db = home.join(format!("cli-{agent}.sqlite3"));
    let mut args = vec!["claim"];
    args.extend_from_slice(extra);
    run_within(60, desk_command(nats, home, &db, agent, &args), &args).await
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_from_the_cli_leave_one_owner_and_bad_claims_say_why() {
    let nats = NatsServer::start().unwrap();
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let _relay = relay(&sb, &nats, &home.join("relay.sqlite3"), "relay-a", 3);
    let mut alice_desk = desk_command(
        &nats,
        home,
        &home.join("alice.sqlite3"),
        "alice",
        &["headless"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let store = sb.stores()[0].epoi_id.clone();
    let pushed = sb
        .customer_says(CustomerMessage::text(
            &store,
            ChatKind::PreOrder,
            "请问几点送到",
        ))
        .unwrap();
    let user = pushed.open_user_id.unwrap().to_string();
    let target = ["--store", store.as_str(), "--open-user-id", user.as_str()];

    // `agents`: alice's headless desk is online.
    wait_for(30, "alice online in `imdesk-cli agents`", async || {
        let out = run_within(
            60,
            desk_command(&nats, home, &home.join("ops.sqlite3"), "ops", &["agents"]),
            &["agents"],
        )
        .await;
        out.status.success()
            && String::from_utf8_lossy(&out.stdout).lines().any(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["name"] == "alice" && v["status"] == "online" && v["capacity"] == 8
            })
    })
    .await;

    // Two claims at once: one owner, both exit 0 and say so.
    let (a, b) = tokio::join!(
        claim(&nats, home, "alice", &target),
        claim(&nats, home, "bob", &target)
    );
    let (a, b) = (json(&a), json(&b));
    assert_eq!(a["owner"], b["owner"], "{a} {b}");
    assert!(
        a["claimed"].as_bool().unwrap() ^ b["claimed"].as_bool().unwrap(),
        "{a} {b}"
    );
    let (owner, other) = if a["claimed"] == true {
        ("alice", "bob")
    } else {
        ("bob", "alice")
    };
    assert_eq!(a["owner"], owner);

    // The other may not release it; the owner may not hand it to nobody.
    let out = claim(&nats, home, other, &[&target[..], &["--release"]].concat()).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(owner),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = claim(
        &nats,
        home,
        owner,
        &[&target[..], &["--transfer-to", "nobody"]].concat(),
    )
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
    // Handing it to alice (online) and releasing it work.
    let out = json(
        &claim(
            &nats,
            home,
            owner,
            &[&target[..], &["--transfer-to", "alice"]].concat(),
        )
        .await,
    );
    assert_eq!(
        out,
        serde_json::json!({ "owner": "alice", "claimed": true })
    );
    let out = json(
        &claim(
            &nats,
            home,
            "alice",
            &[&target[..], &["--release"]].concat(),
        )
        .await,
    );
    assert_eq!(out, serde_json::json!({ "owner": null, "claimed": true }));

    // A conversation the team has never seen.
    let out = claim(
        &nats,
        home,
        "alice",
        &["--store", store.as_str(), "--open-user-id", "424242"],
    )
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such conversation"));

    alice_desk.start_kill().unwrap();
    let _ = alice_desk.wait().await;
}
