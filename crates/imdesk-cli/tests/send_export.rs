//! `imdesk-cli send` and `imdesk-cli export` as a user runs them: the built binary against an
//! in-test sandbox on loopback, configured only through `IMDESK_*` variables.
//!
//! `send` must deliver exactly one message (checked on the platform's side) or exit non-zero
//! with the reason, delivering nothing. `export` must print what `headless` archived, one JSON
//! line per message with every documented field, filtered by `--store` and `--since`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use meituan_sandbox::{ChatKind, CustomerMessage, Pushed, Sandbox, SandboxConfig};
use tokio::process::Command;

mod common;

use common::{cli, run_within, wait_for};

fn command(sb: &Sandbox, home: &Path, db: &Path, args: &[&str]) -> Command {
    cli(sb, home, db, args)
}

async fn run(sb: &Sandbox, home: &Path, db: &Path, args: &[&str]) -> Output {
    // A generous bound: a hung command fails the test instead of hanging it.
    run_within(60, cli(sb, home, db, args), args).await
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The wall clock in Unix ms: the sandbox stamps `cts` from it, so the test reads it too.
#[allow(clippy::disallowed_methods)] // the test stands outside the desk; no clock to inject
fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since_epoch.as_millis()).unwrap()
}

/// Merchant messages the platform accepted, over every store.
fn all_merchant_messages(sb: &Sandbox) -> usize {
    sb.stores()
        .iter()
        .map(|s| sb.merchant_messages(&s.epoi_id).unwrap().len())
        .sum()
}

/// A refused `send`: exit status non-zero, nothing on stdout, the reason on stderr as plain
/// text (no terminal colour codes: stderr is a pipe here). Returns stderr.
fn refused(out: &Output, case: &str) -> String {
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{case}: send succeeded: {stderr}");
    assert!(out.stdout.is_empty(), "{case}: {}", text(&out.stdout));
    assert!(stderr.contains("send failed"), "{case}: {stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "{case}: colour codes in {stderr:?}"
    );
    stderr
}

/// `send` arguments for a two-party chat.
fn send_args<'a>(store: &'a str, user: &'a str, order: &'a str, body: &'a str) -> Vec<&'a str> {
    vec![
        "send",
        "--store",
        store,
        "--biz-type",
        "1",
        "--open-user-id",
        user,
        "--order-id",
        order,
        "--text",
        body,
        "--timeout-secs",
        "30",
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_delivers_exactly_one_message_and_prints_it() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("send.sqlite3");
    let stores = sb.stores();
    // One store of each integration (businessId 16 and 2).
    let mut sent_ids = Vec::new();
    for (i, business_id) in [16u8, 2].into_iter().enumerate() {
        let store = stores
            .iter()
            .find(|s| s.business_id == business_id)
            .unwrap()
            .epoi_id
            .clone();
        let asked = sb
            .customer_says(CustomerMessage::text(
                &store,
                ChatKind::InProgress,
                "请问什么时候送到？",
            ))
            .unwrap();
        let user = asked.open_user_id.unwrap();
        let order = asked.order_id.unwrap();
        assert!(order > 0);
        let body = format!("您好，骑手已出发 #{i} 😊");
        let out = run(
            &sb,
            dir.path(),
            &db,
            &send_args(&store, &user.to_string(), &order.to_string(), &body),
        )
        .await;
        assert!(
            out.status.success(),
            "{store}: send failed: {}",
            text(&out.stderr)
        );

        // stdout: exactly one JSON line naming the sent message.
        let stdout = text(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{stdout}");
        let printed: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(printed["state"], "sent", "{printed}");
        assert!(
            printed["conversation"]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "{printed}"
        );
        let msg_id: i64 = printed["msg_id"].as_str().unwrap().parse().unwrap();

        // The platform received it exactly once, with that text and those ids.
        let got = sb.merchant_messages(&store).unwrap();
        assert_eq!(got.len(), 1, "{store}: {got:?}");
        let m = &got[0];
        assert_eq!(m.msg_id, msg_id);
        assert_eq!(m.epoi_id, store);
        assert_eq!(m.text, body);
        assert_eq!(m.biz_type, 1);
        assert_eq!(m.msg_type, 1);
        assert_eq!(m.open_user_id, Some(user));
        assert_eq!(m.order_id, Some(order));
        assert_eq!(m.group_id, None);
        let now_s = now_ms() / 1000;
        assert!((now_s - m.cts).abs() <= 60, "cts {} now {now_s}", m.cts);
        sent_ids.push((store, msg_id, body));
    }
    // Nothing went anywhere else, and nothing twice.
    assert_eq!(all_merchant_messages(&sb), 2);
    assert_eq!(sb.counters().2, 2);

    // The sent messages are also in the local archive, as merchant messages.
    let exported = export(&sb, dir.path(), &db, &[]).await;
    for (store, msg_id, body) in &sent_ids {
        let mine: Vec<_> = exported
            .iter()
            .filter(|v| v["msg_id"].as_i64() == Some(*msg_id))
            .collect();
        assert_eq!(mine.len(), 1, "{exported:?}");
        assert_eq!(mine[0]["store"], store.as_str());
        assert_eq!(mine[0]["msg_source"], 1);
        assert_eq!(mine[0]["text"], body.as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_refused_locally_exits_non_zero_and_sends_nothing() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("send.sqlite3");
    let store = sb.stores()[0].epoi_id.clone();
    let asked = sb
        .customer_says(CustomerMessage::text(&store, ChatKind::InProgress, "在吗"))
        .unwrap();
    let user = asked.open_user_id.unwrap().to_string();
    let order = asked.order_id.unwrap().to_string();

    let too_long = "好".repeat(501);
    for (body, code, reason) in [
        ("   ", "EmptyText", "the text is empty"),
        (
            too_long.as_str(),
            "TextTooLong",
            "501 characters, more than the limit of 500",
        ),
    ] {
        let out = run(
            &sb,
            dir.path(),
            &db,
            &send_args(&store, &user, &order, body),
        )
        .await;
        let stderr = refused(&out, code);
        assert!(stderr.contains(&format!("({code})")), "{code}: {stderr}");
        assert!(stderr.contains(reason), "{code}: {stderr}");
    }
    assert_eq!(all_merchant_messages(&sb), 0);

    // The after-sale window: the order completed 49 hours ago. A desk that has not cached the
    // order yet fetches it before the send and refuses the send itself. (With a fresh cached
    // copy, as in `db` above, the platform refuses instead, with OP_CHAT_EXPIRED.)
    let now = now_ms();
    sb.complete_order(&store, asked.order_id.unwrap(), now - 49 * 3600 * 1000)
        .unwrap();
    let fresh_db = dir.path().join("fresh.sqlite3");
    let out = run(
        &sb,
        dir.path(),
        &fresh_db,
        &send_args(&store, &user, &order, "售后还能联系吗"),
    )
    .await;
    let stderr = refused(&out, "after-sale window");
    assert!(stderr.contains("(WindowClosed)"), "{stderr}");
    assert!(
        stderr.contains("outbox refused the message: the after-sale window closed"),
        "{stderr}"
    );
    assert!(!stderr.contains("OP_CHAT_EXPIRED"), "{stderr}");

    assert_eq!(all_merchant_messages(&sb), 0);
    assert_eq!(sb.counters().2, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_refused_by_the_platform_reports_its_code_and_reason() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("send.sqlite3");
    let store = sb.stores()[1].epoi_id.clone();
    let asked = sb
        .customer_says(CustomerMessage::text(&store, ChatKind::InProgress, "在吗"))
        .unwrap();
    let user = asked.open_user_id.unwrap().to_string();
    let order = asked.order_id.unwrap().to_string();

    // The store's IM switch is off: the platform refuses with OP_IM_CLOSED.
    sb.set_im_status(&store, false).unwrap();
    let out = run(
        &sb,
        dir.path(),
        &db,
        &send_args(&store, &user, &order, "您好"),
    )
    .await;
    let stderr = refused(&out, "IM off");
    assert!(stderr.contains("(ImClosed)"), "{stderr}");
    assert!(
        stderr.contains("OP_IM_CLOSED: the store's IM switch is off"),
        "{stderr}"
    );
    assert!(sb.merchant_messages(&store).unwrap().is_empty());

    // Someone who is not a customer of the store: OP_PARAM_INVALID with the platform's text.
    sb.set_im_status(&store, true).unwrap();
    let stranger = (1..)
        .map(|n: i64| 4_200_000 + n)
        .find(|u| !sb.customers(&store).unwrap().contains(u))
        .unwrap()
        .to_string();
    let out = run(
        &sb,
        dir.path(),
        &db,
        &send_args(&store, &stranger, "0", "您好"),
    )
    .await;
    let stderr = refused(&out, "not a customer");
    assert!(stderr.contains("(Platform)"), "{stderr}");
    assert!(
        stderr.contains("OP_PARAM_INVALID: open_user_id is not a customer of this store"),
        "{stderr}"
    );
    assert_eq!(all_merchant_messages(&sb), 0);
    assert_eq!(sb.counters().2, 0);

    // With the switch back on, the same conversation's send goes through: the refusal above
    // was the platform's, not a broken conversation.
    let out = run(
        &sb,
        dir.path(),
        &db,
        &send_args(&store, &user, &order, "您好，已为您处理"),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = sb.merchant_messages(&store).unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].text, "您好，已为您处理");
}

/// One message a customer wrote, with the text the export must show.
struct Said {
    pushed: Pushed,
    text: String,
}

fn say(sb: &Sandbox, msg: CustomerMessage) -> Said {
    let meituan_sandbox::Content::Text(t) = &msg.content else {
        unreachable!()
    };
    let text = t.clone();
    Said {
        pushed: sb.customer_says(msg).unwrap(),
        text,
    }
}

/// `imdesk-cli export …` as parsed JSON lines.
async fn export(sb: &Sandbox, home: &Path, db: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["export"];
    args.extend_from_slice(extra);
    let out = run(sb, home, db, &args).await;
    assert!(
        out.status.success(),
        "export {extra:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// An exported line's identity: (store, msg_id).
fn key(v: &serde_json::Value) -> (String, i64) {
    (
        v["store"].as_str().unwrap().to_owned(),
        v["msg_id"].as_i64().unwrap(),
    )
}

fn keys(lines: &[serde_json::Value]) -> BTreeSet<(String, i64)> {
    lines.iter().map(key).collect()
}

fn key_of(s: &Said) -> (String, i64) {
    (s.pushed.epoi_id.clone(), s.pushed.msg_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_prints_archived_messages_with_every_field_and_filters() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("archive.sqlite3");
    let stores: Vec<String> = sb.stores().into_iter().map(|s| s.epoi_id).collect();
    let (a, b, c) = (&stores[0], &stores[1], &stores[2]);

    let log = dir.path().join("headless.log");
    let mut headless = command(&sb, dir.path(), &db, &["headless"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    // Push sockets are the developer's, not a store's: the desk opens its three.
    wait_for(20, "the desk's push sockets", async || {
        sb.open_connections() == 3
    })
    .await;

    let now = now_ms();
    let day_ms = 24 * 3600 * 1000;
    // Old batch: written three days ago (the sandbox stamps cts from `at`).
    let three_days_ago = now - 3 * day_ms;
    let a_old = say(
        &sb,
        CustomerMessage::text(a, ChatKind::InProgress, "我的外卖怎么还没到？")
            .scene(9003)
            .at(three_days_ago),
    );
    let (a_user, a_order) = (
        a_old.pushed.open_user_id.unwrap(),
        a_old.pushed.order_id.unwrap(),
    );
    let b_old = say(
        &sb,
        CustomerMessage::text(b, ChatKind::PreOrder, "可以开发票吗")
            .scene(3001)
            .at(three_days_ago + 1000),
    );
    // New batch: now. The same customer and order of A, a fans group in B, a third store.
    let a_new = say(
        &sb,
        CustomerMessage::text(a, ChatKind::InProgress, "催一下，谢谢 \"quoted\" \\ 🍜")
            .scene(3002)
            .from_customer(a_user)
            .about_order(a_order),
    );
    let b_new = say(
        &sb,
        CustomerMessage::text(b, ChatKind::Fans, "群里有优惠券吗"),
    );
    let c_new = say(
        &sb,
        CustomerMessage::text(c, ChatKind::InProgress, "多放点辣").scene(-1),
    );
    let all = [&a_old, &b_old, &a_new, &b_new, &c_new];
    let expected: BTreeSet<_> = all.iter().map(|s| key_of(s)).collect();

    wait_for(30, "every message archived", async || {
        let out = command(&sb, dir.path(), &db, &["export"])
            .stderr(Stdio::null())
            .output()
            .await
            .unwrap();
        // Before the first commit the database may not exist yet.
        out.status.success() && {
            let got: BTreeSet<(String, i64)> = text(&out.stdout)
                .lines()
                .map(|l| key(&serde_json::from_str(l).unwrap()))
                .collect();
            got == expected
        }
    })
    .await;

    // SIGTERM: headless stops cleanly and exits 0.
    let pid = headless.id().unwrap().to_string();
    let kill = Command::new("kill")
        .arg("-TERM")
        .arg(&pid)
        .status()
        .await
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(20), headless.wait())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "headless did not stop within 20 s of SIGTERM: {}",
                log_text()
            )
        })
        .unwrap();
    assert!(
        status.success(),
        "headless after SIGTERM: {status:?}: {}",
        log_text()
    );

    // Everything, each message once, with every field.
    let lines = export(&sb, dir.path(), &db, &[]).await;
    assert_eq!(lines.len(), all.len(), "{lines:?}");
    assert_eq!(keys(&lines), expected);
    let by_key: BTreeMap<(String, i64), &serde_json::Value> =
        lines.iter().map(|v| (key(v), v)).collect();
    let fields = [
        "store",
        "biz_type",
        "msg_id",
        "msg_source",
        "msg_type",
        "text",
        "cts",
        "order_id",
        "open_user_id",
        "group_id",
        "scene_tag",
    ];
    for s in all {
        let p = &s.pushed;
        let v = by_key[&key_of(s)];
        let obj = v.as_object().unwrap();
        for f in fields {
            assert!(obj.contains_key(f), "no {f}: {v}");
        }
        assert_eq!(v["store"].as_str(), Some(p.epoi_id.as_str()), "{v}");
        assert_eq!(v["biz_type"].as_i64(), Some(i64::from(p.biz_type)), "{v}");
        assert_eq!(v["msg_id"].as_i64(), Some(p.msg_id), "{v}");
        assert_eq!(v["msg_source"].as_i64(), Some(2), "customer: {v}");
        assert_eq!(v["msg_type"].as_i64(), Some(i64::from(p.msg_type)), "{v}");
        assert_eq!(v["text"].as_str(), Some(s.text.as_str()), "decrypted: {v}");
        assert_eq!(v["cts"].as_i64(), Some(p.cts), "Unix seconds: {v}");
        // The platform's order_id 0 ("before ordering") is no order: null.
        let order = p.order_id.filter(|&o| o > 0);
        assert_eq!(v["order_id"].as_i64(), order, "{v}");
        assert_eq!(v["order_id"].is_null(), order.is_none(), "order_id: {v}");
        assert_eq!(v["open_user_id"].as_i64(), p.open_user_id, "{v}");
        assert!(v["open_user_id"].is_i64(), "{v}");
        assert_eq!(v["group_id"].as_i64(), p.group_id, "{v}");
        assert_eq!(v["group_id"].is_null(), p.group_id.is_none(), "{v}");
        // Group chats carry no scene tag: -1, the platform's "normal".
        let scene = p.scene_tag.unwrap_or(-1);
        assert_eq!(v["scene_tag"].as_i64(), Some(i64::from(scene)), "{v}");
    }
    // Spot checks against what the test itself chose, not only what the sandbox echoed.
    let a_new_line = by_key[&key_of(&a_new)];
    assert_eq!(a_new_line["scene_tag"], 3002);
    assert_eq!(a_new_line["order_id"], a_order);
    assert_eq!(a_new_line["open_user_id"], a_user);
    assert_eq!(a_new_line["text"], "催一下，谢谢 \"quoted\" \\ 🍜");
    assert_eq!(by_key[&key_of(&a_old)]["scene_tag"], 9003);
    assert_eq!(
        by_key[&key_of(&a_old)]["cts"].as_i64(),
        Some(three_days_ago / 1000)
    );
    assert_eq!(by_key[&key_of(&b_new)]["biz_type"], 5);
    assert!(by_key[&key_of(&b_new)]["group_id"].as_i64().is_some());
    // Arrival order.
    let order_seen: Vec<i64> = lines
        .iter()
        .map(|v| v["msg_id"].as_i64().unwrap())
        .collect();
    let order_said: Vec<i64> = all.iter().map(|s| s.pushed.msg_id).collect();
    assert_eq!(order_seen, order_said);

    // --store: that store's messages, all of them, and nothing else.
    for store in &stores {
        let only = export(&sb, dir.path(), &db, &["--store", store]).await;
        let want: BTreeSet<_> = expected
            .iter()
            .filter(|(s, _)| s == store)
            .cloned()
            .collect();
        assert!(!want.is_empty());
        assert_eq!(only.len(), want.len(), "{store}: {only:?}");
        assert_eq!(keys(&only), want, "{store}");
    }
    let none = export(&sb, dir.path(), &db, &["--store", "no-such-store"]).await;
    assert!(none.is_empty(), "{none:?}");

    // --since, in each accepted form: at or after the time, never before.
    let since_of = |lines: &[serde_json::Value], since_s: i64| {
        let want: BTreeSet<_> = all
            .iter()
            .filter(|s| s.pushed.cts >= since_s)
            .map(|s| key_of(s))
            .collect();
        assert_eq!(keys(lines), want, "since {since_s}");
        assert_eq!(lines.len(), want.len(), "since {since_s}");
    };
    let yesterday_s = (now - day_ms) / 1000;
    let new_batch: BTreeSet<_> = [&a_new, &b_new, &c_new].iter().map(|s| key_of(s)).collect();
    let got = export(&sb, dir.path(), &db, &["--since", &yesterday_s.to_string()]).await;
    assert_eq!(keys(&got), new_batch, "since seconds");
    since_of(&got, yesterday_s);
    let got = export(
        &sb,
        dir.path(),
        &db,
        &["--since", &(yesterday_s * 1000).to_string()],
    )
    .await;
    assert_eq!(keys(&got), new_batch, "since ms");
    // YYYY-MM-DD (UTC) of yesterday: its midnight is after the old batch, before the new.
    let date = utc_date(now - day_ms);
    let got = export(&sb, dir.path(), &db, &["--since", &date]).await;
    assert_eq!(keys(&got), new_batch, "since {date}");
    // The boundary: a message stamped exactly at `since` is kept, one second later it is not.
    let b_old_s = b_old.pushed.cts;
    let got = export(&sb, dir.path(), &db, &["--since", &b_old_s.to_string()]).await;
    since_of(&got, b_old_s);
    assert!(keys(&got).contains(&key_of(&b_old)));
    assert!(!keys(&got).contains(&key_of(&a_old)));
    let got = export(
        &sb,
        dir.path(),
        &db,
        &["--since", &(b_old_s + 1).to_string()],
    )
    .await;
    since_of(&got, b_old_s + 1);
    assert!(!keys(&got).contains(&key_of(&b_old)));
    // Both filters at once.
    let got = export(
        &sb,
        dir.path(),
        &db,
        &["--store", a, "--since", &yesterday_s.to_string()],
    )
    .await;
    assert_eq!(keys(&got), BTreeSet::from([key_of(&a_new)]));

    // A --since it cannot read is refused, with the accepted forms.
    let out = run(&sb, dir.path(), &db, &["export", "--since", "yesterday"]).await;
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("--since must be seconds, ms or YYYY-MM-DD"),
        "{}",
        text(&out.stderr)
    );
}

/// `YYYY-MM-DD` of a Unix ms instant, in UTC.
fn utc_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}
