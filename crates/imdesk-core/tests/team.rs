//! Team mode end to end with a real `nats-server` (JetStream, temp dir, free port) and the
//! sandbox: a relay engine publishes its archive and takes replies; desks mirror the stream
//! into their own SQLite, resume from the stored sequence, and reply through the relay, never
//! blind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::team_rig::*;
use common::*;
use imdesk_core::view::{SendState, Unseen};
use imdesk_core::DeskOptions;
use imdesk_store::ConversationKey;
use meituan_sandbox::Faults;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desks_mirror_the_relay_and_reply_through_it() {
    let (nats, sb, dir, relay_desk, relay) = team_up().await;
    let alice = team_desk(
        &nats,
        &dir.path().join("alice.sqlite3"),
        "alice",
        DeskOptions::fast(),
    )
    .await;
    assert!(alice.is_team_desk());

    let conv = says(&sb, "请问还有吗").await;
    eventually(10, "the customer's message on alice's desk", || async {
        alice
            .history(&conv, None, 50)
            .await
            .is_ok_and(|h| h.messages.len() == 1)
    })
    .await;
    // The stream position is committed with the messages.
    assert!(cursor(&alice) >= 1);
    assert_eq!(cursor(&alice), alice.team_applied());

    let queued = alice.send_text(&conv, "有的，欢迎下单").await.unwrap();
    let sent = alice
        .wait_sent(&queued.key, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(sent.send_state, Some(SendState::Sent));
    // The platform got it once, with the desk's msg_id.
    let store = sb.stores()[0].epoi_id.clone();
    let at_platform: Vec<_> = sb
        .merchant_messages(&store)
        .unwrap()
        .into_iter()
        .filter(|m| m.text == "有的，欢迎下单")
        .collect();
    assert_eq!(at_platform.len(), 1);
    assert_eq!(at_platform[0].msg_id.to_string(), sent.msg_id);
    assert_eq!(
        relay
            .stats()
            .taken
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );

    // A desk started later catches up from the stream: the customer's message and the reply.
    let bob = team_desk(
        &nats,
        &dir.path().join("bob.sqlite3"),
        "bob",
        DeskOptions::fast(),
    )
    .await;
    eventually(10, "bob has the conversation with the reply", || async {
        bob.history(&conv, None, 50)
            .await
            .is_ok_and(|h| h.messages.len() == 2 && h.messages[1].msg_id == sent.msg_id)
    })
    .await;
    let rows = stored_async(&bob).await;
    assert_eq!(rows.len(), 2);
    // The status line: server up, one relay with its sockets, nothing behind.
    eventually(10, "bob's team status line", || async {
        bob.connection_status().team.is_some_and(|t| {
            t.server_connected
                && t.relays_online == 1
                && t.sockets > 0
                && t.sockets_open == t.sockets
                && t.lag_messages == 0
                && t.agent == "bob"
        })
    })
    .await;

    bob.shutdown().await;
    alice.shutdown().await;
    stand_down(relay, &relay_desk).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_resumes_from_its_stored_sequence_after_a_day_off() {
    let (nats, sb, dir, relay_desk, relay) = team_up().await;
    let db = dir.path().join("alice.sqlite3");
    let alice = team_desk(&nats, &db, "alice", DeskOptions::fast()).await;
    let conv = says(&sb, "第一条").await;
    eventually(10, "first message mirrored", || async {
        alice
            .history(&conv, None, 50)
            .await
            .is_ok_and(|h| h.messages.len() == 1)
    })
    .await;
    let before = cursor(&alice);
    alice.shutdown().await;
    drop(alice);

    // While the desk is off, more arrives.
    for i in 0..20 {
        says(&sb, &format!("离线时的消息 {i}")).await;
    }
    eventually(10, "the relay published them", || async {
        relay
            .stats()
            .published
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 21
    })
    .await;

    let alice = team_desk(&nats, &db, "alice", DeskOptions::fast()).await;
    let at = alice.team_sync(Duration::from_secs(10)).await.unwrap();
    assert!(at > before);
    let rows = stored_async(&alice).await;
    assert_eq!(
        rows.len(),
        21,
        "every message once, nothing lost or doubled"
    );
    assert_eq!(cursor(&alice), alice.team_applied());

    // A reply in a conversation whose last record this desk applied before it restarted
    // is not blind (what the desk saw then is not in its memory now).
    let q = alice.send_text(&conv, "久等了").await.unwrap();
    alice
        .wait_sent(&q.key, Duration::from_secs(20))
        .await
        .unwrap();
    alice.shutdown().await;
    stand_down(relay, &relay_desk).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_desks_replying_at_once_one_goes_through_the_other_is_asked() {
    let (nats, sb, dir, relay_desk, relay) = team_up().await;
    // Two supervisors: ownership lets both answer any conversation (two agents racing for an
    // unowned one are split by the claim, team_agents.rs), so here only the stream's
    // no-blind-reply rule stands between them.
    let supervisor = |name: &str| imdesk_core::team::TeamConfig {
        role: imdesk_core::team::Role::Supervisor,
        ..team(&nats, name)
    };
    let alice = desk_as(
        supervisor("alice"),
        &dir.path().join("alice.sqlite3"),
        DeskOptions::fast(),
    )
    .await;
    let bob = desk_as(
        supervisor("bob"),
        &dir.path().join("bob.sqlite3"),
        DeskOptions::fast(),
    )
    .await;
    let conv = says(&sb, "在吗").await;
    for d in [&alice, &bob] {
        eventually(10, "both desks saw the customer", || async {
            d.history(&conv, None, 50)
                .await
                .is_ok_and(|h| h.messages.len() == 1)
        })
        .await;
    }
    // Both agents answer what they have seen, in the same moment.
    let (a, b) = tokio::join!(alice.send_text(&conv, "在的"), bob.send_text(&conv, "您好"));
    let (a, b) = (a.unwrap(), b.unwrap());
    let (ra, rb) = tokio::join!(
        alice.wait_sent(&a.key, Duration::from_secs(20)),
        bob.wait_sent(&b.key, Duration::from_secs(20))
    );
    let (winner, loser, loser_key) = match (&ra, &rb) {
        (Ok(_), Err(_)) => (&alice, &bob, b.key.clone()),
        (Err(_), Ok(_)) => (&bob, &alice, a.key.clone()),
        other => panic!("exactly one reply goes through: {other:?}"),
    };
    let _ = winner;
    let err = imdesk_core::view::IpcError::from(match (ra, rb) {
        (Err(e), _) | (_, Err(e)) => e,
        _ => unreachable!(),
    });
    assert_eq!(err.code, imdesk_core::view::ErrorCode::Conflict);
    // The held reply says what it had not seen.
    let held = loser
        .history(&conv, None, 50)
        .await
        .unwrap()
        .messages
        .into_iter()
        .find(|m| m.key == loser_key)
        .expect("the held reply is shown");
    assert_eq!(held.send_state, Some(SendState::Held));
    assert_eq!(held.unseen, Some(Unseen::ColleagueReplied));
    let store = sb.stores()[0].epoi_id.clone();
    assert_eq!(
        sb.merchant_messages(&store).unwrap().len(),
        1,
        "one reply reached the customer"
    );

    // The agent reads the colleague's reply, then confirms: now it goes.
    eventually(10, "the colleague's reply mirrored", || async {
        loser.history(&conv, None, 50).await.is_ok_and(|h| {
            h.messages
                .iter()
                .any(|m| m.send_state == Some(SendState::Sent) && m.key != loser_key)
        })
    })
    .await;
    loser.retry_send(&loser_key).await.unwrap();
    loser
        .wait_sent(&loser_key, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(sb.merchant_messages(&store).unwrap().len(), 2);

    // A desk that never saw the customer's message is refused too (顾客有新消息).
    let carol = team_desk(
        &nats,
        &dir.path().join("carol.sqlite3"),
        "carol",
        DeskOptions {
            run_push: false,
            ..DeskOptions::fast()
        },
    )
    .await;
    let later = says(&sb, "还有一个问题").await;
    eventually(10, "alice saw the new customer", || async {
        alice
            .history(&later, None, 50)
            .await
            .is_ok_and(|h| h.messages.len() == 1)
    })
    .await;
    let key: ConversationKey = imdesk_core::convert::parse_conversation_id(&later).unwrap();
    let id = carol
        .open_conversation(&key.store, 1, Some(key.peer_id), Some(0), None)
        .await
        .unwrap();
    let q = carol.send_text(&id, "盲回").await.unwrap();
    let e = imdesk_core::view::IpcError::from(
        carol
            .wait_sent(&q.key, Duration::from_secs(20))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, imdesk_core::view::ErrorCode::Conflict);
    let blind = carol
        .history(&id, None, 50)
        .await
        .unwrap()
        .messages
        .into_iter()
        .find(|m| m.key == q.key)
        .unwrap();
    assert_eq!(blind.unseen, Some(Unseen::CustomerWrote));

    for d in [&alice, &bob, &carol] {
        d.shutdown().await;
    }
    stand_down(relay, &relay_desk).await;
}

/// Publishes a crafted reply in its conversation, waits until the relay has settled
/// `settled` replies in all, and returns the conversation's last send state.
async fn refused(
    js: &async_nats::jetstream::Context,
    relay: &imdesk_core::team::relay::Relay,
    reply: &imdesk_core::team::WireReply,
    settled: u64,
) -> imdesk_core::team::WireState {
    let peer = reply.open_user_id.unwrap();
    js.publish(
        imdesk_core::team::reply_subject(&reply.store, 1, peer),
        serde_json::to_vec(reply).unwrap().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    eventually(10, "the relay settled the reply", || async {
        relay
            .stats()
            .settled
            .load(std::sync::atomic::Ordering::Relaxed)
            == settled
    })
    .await;
    let stream = js.get_stream(imdesk_core::team::STREAM).await.unwrap();
    let state = stream
        .get_last_raw_message_by_subject(&imdesk_core::team::state_subject(&reply.store, 1, peer))
        .await
        .unwrap();
    serde_json::from_slice(&state.payload).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_records_are_quarantined_and_counted_never_dropped_or_fatal() {
    let (nats, sb, dir, relay_desk, relay) = team_up().await;
    let alice = team_desk(
        &nats,
        &dir.path().join("alice.sqlite3"),
        "alice",
        DeskOptions::fast(),
    )
    .await;
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    let store = sb.stores()[0].epoi_id.clone();
    // A customer message that does not decode, and a reply from nobody's desk.
    js.publish(
        imdesk_core::team::message_subject(&store, 1, 77),
        "{not json".into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    js.publish(
        imdesk_core::team::reply_subject(&store, 1, 77),
        "\u{0}garbage".into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    // A well-formed reply for a conversation the relay does not know.
    let stranger = imdesk_core::team::WireReply {
        v: 1,
        msg_id: 42,
        store: store.clone(),
        biz_type: 1,
        open_user_id: Some(987_654),
        group_id: None,
        msg_type: 1,
        text: "你好".into(),
        agent: "mallory".into(),
        desk: "d".into(),
        at_ms: 0,
        supervisor: false,
    };
    js.publish(
        imdesk_core::team::reply_subject(&store, 1, 987_654),
        serde_json::to_vec(&stranger).unwrap().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    // Then a real message: the desk goes on past the bad records.
    let conv = says(&sb, "正常的消息").await;
    eventually(10, "the real message after the bad ones", || async {
        alice
            .history(&conv, None, 50)
            .await
            .is_ok_and(|h| h.messages.len() == 1)
    })
    .await;
    alice.settle().await;
    // The desk kept both undecodable records (the reply too), with their subjects.
    assert_eq!(alice.store().quarantine_count().unwrap(), 2);
    let kept = alice.store().quarantined(None, 10).unwrap();
    assert!(kept.iter().any(|q| q.raw.contains("{not json")));
    // The relay quarantined the undecodable reply and refused the stranger with a reason.
    eventually(10, "the relay handled both replies", || async {
        relay
            .stats()
            .quarantined
            .load(std::sync::atomic::Ordering::Relaxed)
            == 1
            && relay
                .stats()
                .settled
                .load(std::sync::atomic::Ordering::Relaxed)
                == 1
    })
    .await;
    let stream = js.get_stream(imdesk_core::team::STREAM).await.unwrap();
    let state = stream
        .get_last_raw_message_by_subject(&imdesk_core::team::state_subject(&store, 1, 987_654))
        .await
        .unwrap();
    let state: imdesk_core::team::WireState = serde_json::from_slice(&state.payload).unwrap();
    assert!(state.message.unwrap().contains("no such conversation"));
    // A reply from nobody (no agent, no desk) in a conversation the relay knows: refused
    // with a reason, not sent.
    let key = imdesk_core::convert::parse_conversation_id(&conv).unwrap();
    let anonymous = imdesk_core::team::WireReply {
        msg_id: 43,
        open_user_id: Some(key.peer_id),
        agent: String::new(),
        desk: String::new(),
        ..stranger
    };
    let state = refused(&js, &relay, &anonymous, 2).await;
    assert_eq!(state.msg_id, 43);
    assert!(state
        .message
        .unwrap()
        .contains("without its agent and desk"));
    // A picture that names a local file (a desk's own staging, or the relay's) instead of an
    // upload: refused, nothing read or sent.
    let local = imdesk_core::team::WireReply {
        msg_id: 44,
        msg_type: 2,
        text: "local:1700000000000-0.png".into(),
        agent: "mallory".into(),
        desk: "d".into(),
        ..anonymous
    };
    let state = refused(&js, &relay, &local, 3).await;
    assert_eq!(state.msg_id, 44);
    assert!(state
        .message
        .unwrap()
        .contains("not as a desk's local file"));
    assert_eq!(sb.merchant_messages(&store).unwrap().len(), 0);
    assert!(sb.uploads(&store).unwrap().is_empty());

    alice.shutdown().await;
    stand_down(relay, &relay_desk).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_server_going_away_loses_nothing_and_everyone_reconnects() {
    let (mut nats, sb, dir, relay_desk, relay) = team_up().await;
    let alice = team_desk(
        &nats,
        &dir.path().join("alice.sqlite3"),
        "alice",
        DeskOptions::fast(),
    )
    .await;
    let first = says(&sb, "服务器停机前").await;
    eventually(10, "mirrored before the outage", || async {
        alice
            .history(&first, None, 50)
            .await
            .is_ok_and(|h| h.messages.len() == 1)
    })
    .await;

    nats.stop();
    // The platform link is the relay's own: it keeps archiving while the server is away,
    // and the desk keeps serving what it has.
    let mut during = Vec::new();
    for i in 0..5 {
        during.push(says(&sb, &format!("停机期间 {i}")).await);
    }
    every_frame_read(&sb, &relay_desk).await;
    assert_eq!(stored_async(&relay_desk).await.len(), 6);
    assert!(alice.history(&first, None, 50).await.is_ok());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    nats.restart().unwrap();

    eventually(30, "every message of the outage on the desk", || async {
        stored_async(&alice).await.len() == 6
    })
    .await;
    for conv in &during {
        assert!(alice.history(conv, None, 50).await.is_ok());
    }
    // And replies flow again.
    let q = alice.send_text(&first, "恢复了").await.unwrap();
    alice
        .wait_sent(&q.key, Duration::from_secs(30))
        .await
        .unwrap();

    alice.shutdown().await;
    stand_down(relay, &relay_desk).await;
}

/// Under the brand's permissions (a desk holds an agent's credentials only): the relay and an
/// agent's desk mirror, reply, and — back from past the stream's retention (here: a stream
/// that keeps 5 records) — the desk fetches the relay's archive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_back_after_the_streams_retention_fetches_a_snapshot_from_the_relay() {
    let nats = brand_server();
    let relay_cfg = as_user(&nats, "relay", "relay-a-CHANGE-ME", "relay-a");
    let agent_cfg = as_user(&nats, "agent1", "agent1-a-CHANGE-ME", "alice");
    // The stream, made by the relay's user with a retention of 5 records.
    {
        let client = imdesk_core::team::connect(&relay_cfg, "test setup")
            .await
            .unwrap();
        let js = async_nats::jetstream::new(client);
        let config = async_nats::jetstream::stream::Config {
            max_messages: 5,
            ..imdesk_core::team::stream_config()
        };
        js.create_stream(config).await.unwrap();
    }
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (relay_desk, relay) = relay_as(
        &sb,
        relay_cfg.clone(),
        &dir.path().join("relay.sqlite3"),
        "relay-a",
    )
    .await;
    let db = dir.path().join("alice.sqlite3");
    let start_alice = || desk_as(agent_cfg.clone(), &db, DeskOptions::fast());
    let alice = start_alice().await;
    let conv = says(&sb, "走之前").await;
    eventually(10, "mirrored", || async {
        stored_async(&alice).await.len() == 1
    })
    .await;
    // An agent's reply goes through the relay under the agent's permissions.
    let q = alice.send_text(&conv, "稍等").await.unwrap();
    alice
        .wait_sent(&q.key, Duration::from_secs(20))
        .await
        .unwrap();
    alice.shutdown().await;
    drop(alice);
    for i in 0..30 {
        says(&sb, &format!("她不在的时候 {i}")).await;
    }
    eventually(10, "published", || async {
        relay
            .stats()
            .published
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 32
    })
    .await;

    let alice = start_alice().await;
    alice.team_sync(Duration::from_secs(20)).await.unwrap();
    let rows = stored_async(&alice).await;
    assert_eq!(
        rows.len(),
        32,
        "what the stream no longer holds came from the relay's archive, once each"
    );
    alice.shutdown().await;
    stand_down(relay, &relay_desk).await;
}

/// A desk whose disk fills up (its SQLite file capped) loses nothing: the records that did
/// not commit stay in the stream, the committed position does not pass them, and once there
/// is room again the desk applies them, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_on_a_desk_loses_nothing() {
    let (nats, sb, dir, relay_desk, relay) = team_up().await;
    let db = dir.path().join("alice.sqlite3");
    let alice = team_desk(&nats, &db, "alice", DeskOptions::fast()).await;
    says(&sb, "第一条").await;
    eventually(10, "mirrored", || async {
        stored_async(&alice).await.len() == 1
    })
    .await;
    // The disk is full: the file may not grow.
    let pages = std::fs::metadata(&db).unwrap().len() / 4096;
    alice.store().limit_pages(Some(pages as u32)).unwrap();
    for i in 0..200 {
        says(
            &sb,
            &format!("磁盘满的时候来的第 {i} 条消息，内容长一点好占满页面"),
        )
        .await;
    }
    eventually(10, "the relay published them", || async {
        relay
            .stats()
            .published
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 201
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = stored_async(&alice).await.len();
    assert!(during < 201, "the capped file took everything ({during})");
    assert!(
        cursor(&alice) < 201,
        "the committed position passed records that did not commit"
    );
    // Room again.
    alice.store().limit_pages(None).unwrap();
    eventually(30, "every message once there is room", || async {
        stored_async(&alice).await.len() == 201
    })
    .await;
    alice.team_sync(Duration::from_secs(10)).await.unwrap();
    assert_eq!(cursor(&alice), alice.team_applied());
    alice.shutdown().await;
    stand_down(relay, &relay_desk).await;
}

/// A server that will not make the picture bucket (here a stream already holds its subjects)
/// does not stop a relay: replies go through, and a picture fails on the agent's desk with the
/// reason instead of waiting for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_without_its_picture_bucket_relays_the_rest_and_pictures_fail_with_the_reason() {
    let nats = nats_harness::NatsServer::start().unwrap();
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "SQUATTER".into(),
        subjects: vec!["$O.>".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (relay_desk, relay) = relay(&sb, &nats, &dir.path().join("relay.sqlite3"), "relay-a").await;
    assert!(js.get_object_store("PICTURES").await.is_err());
    let alice = team_desk(
        &nats,
        &dir.path().join("alice.sqlite3"),
        "alice",
        DeskOptions::fast(),
    )
    .await;
    let conv = says(&sb, "在吗").await;
    eventually(10, "the customer's message on alice's desk", || async {
        alice.detail(&conv).await.is_ok()
    })
    .await;
    let queued = alice.send_text(&conv, "在的").await.unwrap();
    let sent = alice
        .wait_sent(&queued.key, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(sent.send_state, Some(SendState::Sent));

    let queued = alice
        .send_image(&conv, picture("a.png", &png_of(2048, 1)))
        .await
        .unwrap();
    let e = alice
        .wait_sent(&queued.key, Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(
        matches!(e, imdesk_core::DeskError::SendFailed { ref reason, .. } if reason.contains("picture bucket")),
        "{e:?}"
    );
    assert!(sb.uploads(&sb.stores()[0].epoi_id).unwrap().is_empty());
    alice.shutdown().await;
    stand_down(relay, &relay_desk).await;
}
