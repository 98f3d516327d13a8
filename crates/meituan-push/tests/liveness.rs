//! Keep-alive, silence detection, health states and quarantine, over real loopback
//! WebSockets against the fake push service.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test may panic

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::wpush::FakeWpush;
use common::{eventually, frames, CountingTokens};
use meituan_push::{
    BackoffConfig, ConnectionState, Disconnect, KnownStores, PushClient, PushConfig, PushEvent,
};
use serde_json::json;

fn config(url: &str, connections: u8, keepalive_ms: u64, dead_after_ms: u64) -> PushConfig {
    let mut config = PushConfig::new(url);
    config.connections = connections;
    config.keepalive = Duration::from_millis(keepalive_ms);
    config.dead_after = Duration::from_millis(dead_after_ms);
    config.backoff = BackoffConfig {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(100),
        factor: 2.0,
        jitter: true,
    };
    config
}

#[tokio::test]
async fn keepalives_are_sent_and_hb_answers_keep_the_connection_alive() {
    let server = FakeWpush::start().await;
    let tokens = Arc::new(CountingTokens::default());
    let (handle, _events) =
        PushClient::start(config(&server.url, 1, 30, 300), tokens.clone()).unwrap();
    let health = handle.health();
    // Fifteen keep-alives span more than the 300 ms dead-after window.
    eventually("fifteen keep-alives", || server.keepalives() >= 15).await;
    let h = health.borrow()[0].clone();
    assert_eq!(h.state, ConnectionState::Open);
    assert!(h.keepalives >= 10, "HB answers counted: {}", h.keepalives);
    assert_eq!(
        h.reconnects, 0,
        "HB counts as activity, so the socket never went silent"
    );
    assert_eq!((h.frames, h.quarantined), (0, 0), "HB is not a push frame");
    assert!(h.last_frame_at_ms.is_some());
    assert_eq!(server.accepted(), 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_silent_connection_is_declared_dead_and_reconnects() {
    let server = FakeWpush::start().await;
    server.set_silent(true);
    let tokens = Arc::new(CountingTokens::default());
    let (handle, _events) =
        PushClient::start(config(&server.url, 1, 30, 150), tokens.clone()).unwrap();
    let health = handle.health();
    eventually("a second socket", || server.accepted() >= 2).await;
    eventually("the silence recorded", || {
        health.borrow()[0].last_disconnect == Some(Disconnect::Silent)
    })
    .await;
    assert!(
        server.keepalives() >= 1,
        "keep-alives were sent into the silence"
    );
    assert!(
        tokens.requests().len() >= 2,
        "the reconnect fetched a fresh token"
    );

    // Once the server answers again the connection stays up.
    server.set_silent(false);
    let accepted = server.accepted();
    let keepalives = server.keepalives();
    eventually("ten more keep-alives", || {
        server.keepalives() >= keepalives + 10
    })
    .await;
    assert!(
        server.accepted() <= accepted + 1,
        "at most the reconnect already under way"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn health_shows_backoff_open_and_stopped() {
    let server = FakeWpush::start().await;
    let tokens = Arc::new(CountingTokens::default());
    tokens.fail_next(2);
    let mut slow = config(&server.url, 1, 50, 3000);
    slow.backoff = BackoffConfig {
        initial: Duration::from_millis(300),
        max: Duration::from_millis(300),
        factor: 2.0,
        jitter: false,
    };
    let (handle, mut events) = PushClient::start(slow, tokens.clone()).unwrap();
    let mut health = handle.health();

    let backoff = health
        .wait_for(|h| matches!(h[0].state, ConnectionState::Backoff { .. }))
        .await
        .unwrap()[0]
        .clone();
    assert!(
        matches!(backoff.state, ConnectionState::Backoff { attempt: 1, .. }),
        "{backoff:?}"
    );
    assert_eq!(backoff.last_disconnect, Some(Disconnect::TokenUnavailable));

    let open = health
        .wait_for(|h| h[0].state == ConnectionState::Open)
        .await
        .unwrap()[0]
        .clone();
    assert_eq!(
        open.reconnects, 2,
        "two failed token requests, then success"
    );
    assert_eq!(open.user_send_fail_count, Some(0));
    assert_eq!(tokens.requests(), vec![1, 1, 1]);

    handle.shutdown().await;
    assert_eq!(health.borrow()[0].state, ConnectionState::Stopped);
    assert!(
        events.recv().await.is_none(),
        "the stream ends after shutdown"
    );
}

#[tokio::test]
async fn bad_frames_are_quarantined_counted_and_copies_dropped() {
    let server = FakeWpush::start().await;
    let tokens = Arc::new(CountingTokens::default());
    let mut cfg = config(&server.url, 3, 50, 3000);
    cfg.known_stores = Some(KnownStores::from_set(["s1".into()].into_iter().collect()));
    let (handle, mut events) = PushClient::start(cfg, tokens).unwrap();
    eventually("three open sockets", || server.open().len() == 3).await;

    let mut undecryptable = frames::content(3, "x");
    undecryptable["msg_content"] = json!("AAAA");
    server.broadcast(&frames::message("s9", 1, "unknown store"));
    server.broadcast("%zz not encoded");
    server.broadcast(&frames::encode(
        &json!({"epoiId": "s1", "biz_type": 1, "push_content": undecryptable}),
    ));
    server.broadcast(&frames::message("s1", 4, "fine"));

    let health = handle.health();
    eventually("all twelve frames read", || {
        health.borrow().iter().map(|h| h.frames).sum::<u64>() == 12
    })
    .await;
    handle.shutdown().await;
    let mut reasons: HashMap<&'static str, usize> = HashMap::new();
    let mut messages = Vec::new();
    while let Some(event) = events.recv().await {
        match event {
            PushEvent::Message(m) => messages.push(m.content.msg_id.get()),
            PushEvent::Quarantined(q) => {
                assert!(!q.raw.is_empty());
                *reasons.entry(q.reason.code()).or_default() += 1;
            }
        }
    }
    assert_eq!(messages, vec![4]);
    let want: HashMap<&'static str, usize> = [
        ("unknown_store", 1),
        ("not_percent_encoded", 1),
        ("undecryptable_content", 1),
    ]
    .into();
    assert_eq!(
        reasons, want,
        "each frame once: identical copies are duplicates, malformed or not"
    );
    let h = health.borrow();
    assert_eq!(h.iter().map(|h| h.quarantined).sum::<u64>(), 3);
    assert_eq!(h.iter().map(|h| h.duplicates).sum::<u64>(), 8);
}

#[tokio::test]
async fn a_slow_event_consumer_is_not_mistaken_for_a_silent_server() {
    let server = FakeWpush::start().await;
    let tokens = Arc::new(CountingTokens::default());
    let mut cfg = config(&server.url, 1, 50, 400);
    cfg.event_buffer = 1;
    let (handle, mut events) = PushClient::start(cfg, tokens).unwrap();
    eventually("an open socket", || server.open().len() == 1).await;
    // One message fills the channel; the connection then blocks on the second, the last
    // frame it has, for longer than dead_after.
    for id in 1..=2 {
        server.send_to(0, &frames::message("s1", id, "排队"));
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for want in 1..=2 {
        match events.recv().await.unwrap() {
            PushEvent::Message(m) => assert_eq!(m.content.msg_id.get(), want),
            PushEvent::Quarantined(q) => panic!("{}", q.reason),
        }
    }
    let keepalives = server.keepalives();
    eventually("keep-alives flowing again", || {
        server.keepalives() >= keepalives + 2
    })
    .await;
    assert_eq!(handle.health().borrow()[0].reconnects, 0);
    assert_eq!(server.accepted(), 1);
    handle.shutdown().await;
}
