//! Redundant connections over real loopback WebSockets: copies are delivered once, and
//! dropped sockets lose nothing while one survives, nor across a reconnect.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test may panic

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use common::wpush::FakeWpush;
use common::{eventually, frames, CountingTokens};
use meituan_push::{
    BackoffConfig, ConnectionHealth, Disconnect, PushClient, PushConfig, PushEvent, PushHandle,
    PushedMessage,
};
use tokio::sync::mpsc;

fn fast_config(url: &str, connections: u8) -> PushConfig {
    let mut config = PushConfig::new(url);
    config.connections = connections;
    config.keepalive = Duration::from_millis(50);
    config.dead_after = Duration::from_secs(3);
    config.backoff = BackoffConfig {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(200),
        factor: 2.0,
        jitter: true,
    };
    config
}

async fn next_message(events: &mut mpsc::Receiver<PushEvent>) -> PushedMessage {
    let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event within 10 s")
        .expect("the stream is open");
    match event {
        PushEvent::Message(m) => m,
        PushEvent::Quarantined(q) => panic!("unexpected quarantine: {}", q.reason),
    }
}

/// Stops the client and returns every event still queued.
async fn shutdown_and_drain(handle: PushHandle, mut events: mpsc::Receiver<PushEvent>) -> usize {
    handle.shutdown().await;
    let mut left = 0;
    while events.recv().await.is_some() {
        left += 1;
    }
    left
}

fn sum(health: &[ConnectionHealth], field: impl Fn(&ConnectionHealth) -> u64) -> u64 {
    health.iter().map(field).sum()
}

#[tokio::test]
async fn three_connections_with_duplicated_pushes_deliver_each_message_once() {
    let server = FakeWpush::start().await;
    let tokens = Arc::new(CountingTokens::default());
    let (handle, mut events) =
        PushClient::start(fast_config(&server.url, 3), tokens.clone()).unwrap();
    eventually("three open sockets", || server.open().len() == 3).await;
    assert_eq!(
        tokens.requests(),
        vec![3],
        "one batch request serves all three connections"
    );
    assert!(server
        .paths()
        .iter()
        .all(|p| p.starts_with("/websocket/718_WMOPEN/tok-")));

    for id in 1..=20 {
        server.broadcast(&frames::message("s1", id, &format!("第{id}条消息")));
    }
    let mut got = Vec::new();
    for _ in 0..20 {
        got.push(next_message(&mut events).await);
    }
    let ids: BTreeSet<i64> = got.iter().map(|m| m.content.msg_id.get()).collect();
    assert_eq!(ids, (1..=20).collect());
    for m in &got {
        assert_eq!(m.text, format!("第{}条消息", m.content.msg_id.get()));
        assert_eq!(m.store.as_str(), "s1");
    }
    // Each connection's share of the stream is in the order it was sent.
    let mut last_per_connection: HashMap<usize, i64> = HashMap::new();
    for m in &got {
        let last = last_per_connection.entry(m.connection).or_default();
        assert!(
            m.content.msg_id.get() > *last,
            "connection {} out of order",
            m.connection
        );
        *last = m.content.msg_id.get();
    }

    let health = handle.health();
    eventually("all 40 copies seen and dropped", || {
        sum(&health.borrow(), |h| h.duplicates) == 40
    })
    .await;
    assert_eq!(sum(&health.borrow(), |h| h.frames), 60);
    assert_eq!(
        shutdown_and_drain(handle, events).await,
        0,
        "no copy was emitted"
    );
}

#[tokio::test]
async fn connections_dropped_mid_stream_lose_nothing_while_one_survives() {
    let server = FakeWpush::start().await;
    let tokens = Arc::new(CountingTokens::default());
    let (handle, mut events) =
        PushClient::start(fast_config(&server.url, 3), tokens.clone()).unwrap();
    eventually("three open sockets", || server.open().len() == 3).await;
    let first = server.open();

    for id in 1..=30 {
        server.broadcast(&frames::message("s1", id, "还在吗"));
        match id {
            10 => server.drop_conn(first[0]),
            20 => server.drop_conn(first[1]),
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut ids = Vec::new();
    for _ in 0..30 {
        ids.push(next_message(&mut events).await.content.msg_id.get());
    }
    ids.sort_unstable();
    assert_eq!(ids, (1..=30).collect::<Vec<_>>());

    let health = handle.health();
    eventually("both dropped connections came back", || {
        sum(&health.borrow(), |h| h.reconnects) >= 2 && server.open().len() == 3
    })
    .await;
    assert_eq!(
        shutdown_and_drain(handle, events).await,
        0,
        "no copy was emitted"
    );
}

#[tokio::test]
async fn all_connections_dropped_reconnect_with_fresh_tokens_and_delivery_resumes() {
    let server = FakeWpush::start().await;
    let tokens = Arc::new(CountingTokens::default());
    let (handle, mut events) =
        PushClient::start(fast_config(&server.url, 3), tokens.clone()).unwrap();
    eventually("three open sockets", || server.open().len() == 3).await;
    server.broadcast(&frames::message("s1", 1, "before"));
    assert_eq!(next_message(&mut events).await.content.msg_id.get(), 1);

    for id in server.open() {
        server.drop_conn(id);
    }
    eventually("three new sockets", || {
        server.accepted() == 6 && server.open().len() == 3
    })
    .await;
    assert_eq!(
        tokens.requests(),
        vec![3, 1, 1, 1],
        "each reconnect asked for a fresh token"
    );
    let paths: BTreeSet<String> = server.paths().into_iter().collect();
    assert_eq!(paths.len(), 6, "no token was used twice");

    let health = handle.health();
    eventually("every connection counted its reconnect", || {
        health.borrow().iter().all(|h| h.reconnects == 1)
    })
    .await;
    for h in health.borrow().iter() {
        assert_eq!(
            h.last_disconnect,
            Some(Disconnect::Closed),
            "connection {}",
            h.index
        );
    }

    let duplicates_before = sum(&health.borrow(), |h| h.duplicates);
    server.broadcast(&frames::message("s1", 2, "after"));
    let m = next_message(&mut events).await;
    assert_eq!((m.content.msg_id.get(), m.text.as_str()), (2, "after"));
    eventually("both copies dropped", || {
        sum(&health.borrow(), |h| h.duplicates) == duplicates_before + 2
    })
    .await;
    assert_eq!(shutdown_and_drain(handle, events).await, 0);
}
