//! Against `meituan-sandbox`, the independent reading of the platform: tokens from its
//! `getConnectionTokenWithCount`, pushes it encodes and encrypts itself, its connection drops
//! and its imSecret rotation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test may panic

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::eventually;
use meituan_push::endpoint::with_count_connection_id;
use meituan_push::{
    BackoffConfig, ConnectionGrant, ConnectionSlot, KnownStores, PushClient, PushConfig, PushEvent,
    PushedMessage, TokenError, TokenSource,
};
use meituan_sandbox::{ChatKind, CustomerMessage, DropMode, Sandbox, SandboxConfig, StoreInfo};
use meituan_wire::{Clock, SystemClock};
use serde_json::Value;
use tokio::sync::mpsc;

/// A minimal signed client for the one endpoint push needs (the engine uses meituan-api).
struct SandboxTokens {
    http: reqwest::Client,
    gateway: String,
    developer_id: i64,
    sign_key: String,
    store: StoreInfo,
    calls: AtomicUsize,
}

impl SandboxTokens {
    fn new(sandbox: &Sandbox) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = sandbox
            .stores()
            .into_iter()
            .find(|s| s.business_id == 16)
            .unwrap();
        Self {
            http: reqwest::Client::new(),
            gateway: sandbox.gateway_url().to_owned(),
            developer_id: sandbox.developer_id(),
            sign_key: sandbox.sign_key(),
            store,
            calls: AtomicUsize::new(0),
        }
    }
}

impl TokenSource for SandboxTokens {
    async fn fetch(&self, count: u8) -> Result<ConnectionGrant, TokenError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now = SystemClock.now().to_unix_seconds().get().to_string();
        let mut fields: BTreeMap<String, String> = [
            ("timestamp", now.as_str()),
            ("businessId", "16"),
            ("developerId", &self.developer_id.to_string()),
            ("charset", "UTF-8"),
            ("version", "2"),
            ("appAuthToken", &self.store.app_auth_token),
            ("biz", &format!("{{\"required_token_count\":{count}}}")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let sign = meituan_sandbox::sign_fields(&self.sign_key, &fields);
        fields.insert("sign".into(), sign);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&fields)
            .finish();
        let answer: Value = self
            .http
            .post(format!(
                "{}/wmoper/ng/im/getConnectionTokenWithCount",
                self.gateway
            ))
            .header(
                "Content-Type",
                "application/x-www-form-urlencoded;charset=UTF-8",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| TokenError::Request(e.to_string()))?
            .json()
            .await
            .map_err(|e| TokenError::Request(e.to_string()))?;
        if answer["code"] != "OP_SUCCESS" {
            return Err(TokenError::Request(answer["code"].to_string()));
        }
        let data = &answer["data"];
        let appkey = data["appkey"].as_i64().ok_or(TokenError::NoToken)?;
        let connections = data["token_infos"]
            .as_array()
            .ok_or(TokenError::NoToken)?
            .iter()
            .filter_map(|t| t["connectionToken"].as_str())
            .map(|token| ConnectionSlot {
                connection_id: with_count_connection_id(appkey),
                connection_token: token.to_owned(),
            })
            .collect();
        Ok(ConnectionGrant {
            connections,
            im_secret: data["imSecret"]
                .as_str()
                .ok_or(TokenError::NoToken)?
                .to_owned(),
            user_send_fail_count: data["token_infos"][0]["userSendFailCount"].as_i64(),
        })
    }
}

async fn start() -> (
    Sandbox,
    Arc<SandboxTokens>,
    meituan_push::PushHandle,
    mpsc::Receiver<PushEvent>,
) {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let tokens = Arc::new(SandboxTokens::new(&sandbox));
    let mut config = PushConfig::new(sandbox.push_url());
    config.keepalive = Duration::from_millis(100);
    config.dead_after = Duration::from_secs(3);
    config.backoff = BackoffConfig {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(200),
        factor: 2.0,
        jitter: true,
    };
    let ours = sandbox
        .stores()
        .into_iter()
        .map(|s| s.epoi_id.into())
        .collect();
    config.known_stores = Some(KnownStores::from_set(ours));
    let (handle, events) = PushClient::start(config, tokens.clone()).unwrap();
    (sandbox, tokens, handle, events)
}

async fn next_message(events: &mut mpsc::Receiver<PushEvent>) -> PushedMessage {
    match tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .unwrap()
        .unwrap()
    {
        PushEvent::Message(m) => m,
        PushEvent::Quarantined(q) => panic!("unexpected quarantine: {} ({:?})", q.reason, q.key),
    }
}

fn say(sandbox: &Sandbox, store: &str, text: &str) -> i64 {
    sandbox
        .customer_says(CustomerMessage::text(store, ChatKind::InProgress, text))
        .unwrap()
        .msg_id
}

#[tokio::test]
async fn sandbox_pushes_arrive_once_over_three_connections() {
    let (sandbox, tokens, handle, mut events) = start().await;
    eventually("three sandbox connections", || {
        sandbox.open_connections() == 3
    })
    .await;
    assert_eq!(tokens.calls.load(Ordering::SeqCst), 1);

    let stores: Vec<String> = sandbox.stores().into_iter().map(|s| s.epoi_id).collect();
    let mut sent = BTreeMap::new();
    for i in 0..12 {
        let store = &stores[i % stores.len()];
        let text = format!("第{i}单什么时候到？");
        sent.insert((store.clone(), say(&sandbox, store, &text)), text);
    }
    let mut got = BTreeMap::new();
    for _ in 0..12 {
        let m = next_message(&mut events).await;
        assert!(got
            .insert((m.store.to_string(), m.content.msg_id.get()), m.text)
            .is_none());
    }
    assert_eq!(got, sent);
    let health = handle.health();
    eventually("every copy dropped", || {
        health.borrow().iter().map(|h| h.duplicates).sum::<u64>() == 24
    })
    .await;
    handle.shutdown().await;
    assert!(
        events.recv().await.is_none(),
        "nothing more: no copy was emitted"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn sandbox_drops_and_secret_rotation_lose_nothing() {
    let (sandbox, tokens, handle, mut events) = start().await;
    eventually("three sandbox connections", || {
        sandbox.open_connections() == 3
    })
    .await;
    let store = sandbox.stores()[0].epoi_id.clone();
    let mut sent = BTreeSet::new();
    let mut got = BTreeSet::new();

    sent.insert(say(&sandbox, &store, "before"));
    got.insert(next_message(&mut events).await.content.msg_id.get());

    // Reset every socket, then speak while none is open: the sandbox holds the push for the
    // next connection, which needs a fresh token.
    assert_eq!(sandbox.drop_connections(DropMode::Reset), 3);
    sent.insert(say(&sandbox, &store, "while down"));
    got.insert(next_message(&mut events).await.content.msg_id.get());
    assert!(
        tokens.calls.load(Ordering::SeqCst) >= 2,
        "reconnect fetched fresh tokens"
    );

    // A new imSecret: the sandbox drops the sockets, the client refetches and decrypts.
    eventually("three sandbox connections", || {
        sandbox.open_connections() == 3
    })
    .await;
    sandbox.rotate_im_secret();
    let rotated = say(&sandbox, &store, "after rotation 新密钥");
    sent.insert(rotated);
    let m = next_message(&mut events).await;
    assert_eq!(
        (m.content.msg_id.get(), m.text.as_str()),
        (rotated, "after rotation 新密钥")
    );
    got.insert(rotated);
    assert_eq!(got, sent);

    handle.shutdown().await;
    if let Some(event) = events.recv().await {
        panic!("unexpected event after all messages arrived: {event:?}");
    }
    sandbox.shutdown().await;
}
