//! Against `meituan-sandbox`, the independent reading of the platform: tokens from its
//! `getConnectionTokenWithCount`, pushes it encodes and encrypts itself, its connection drops
//! and its imSecret rotation, store-scoped units side by side, and a refused upgrade.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test may panic

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::eventually;
use meituan_push::endpoint::with_count_connection_id;
use meituan_push::{
    BackoffConfig, ConnectionGrant, ConnectionScope, ConnectionSlot, Disconnect, KnownStores,
    PushClient, PushConfig, PushEvent, PushUnit, PushedMessage, TokenError, TokenSource,
};
use meituan_sandbox::{
    ChatKind, CustomerMessage, DropMode, Faults, PushScope, Sandbox, SandboxConfig, StoreInfo,
};
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
    /// HTTP statuses of the upgrades the platform refused, as `refused` heard them.
    refusals: Mutex<Vec<u16>>,
}

impl SandboxTokens {
    fn new(sandbox: &Sandbox) -> Self {
        let store = sandbox
            .stores()
            .into_iter()
            .find(|s| s.business_id == 16)
            .unwrap();
        Self::for_store(sandbox, store)
    }

    /// Tokens asked with `store`'s token, on its businessId's path family.
    fn for_store(sandbox: &Sandbox, store: StoreInfo) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            refusals: Mutex::default(),
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
            ("businessId", &self.store.business_id.to_string()),
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
                "{}/{}/ng/im/getConnectionTokenWithCount",
                self.gateway,
                if self.store.business_id == 2 {
                    "waimai"
                } else {
                    "wmoper"
                }
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

    fn refused(&self, _slot: &ConnectionSlot, status: u16) {
        self.refusals.lock().unwrap().push(status);
    }
}

fn fast_config(push_url: &str, connections: u8) -> PushConfig {
    let mut config = PushConfig::new(push_url);
    config.connections = connections;
    config.keepalive = Duration::from_millis(100);
    config.dead_after = Duration::from_secs(3);
    config.backoff = BackoffConfig {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(200),
        factor: 2.0,
        jitter: true,
    };
    config
}

async fn start() -> (
    Sandbox,
    Arc<SandboxTokens>,
    meituan_push::PushHandle,
    mpsc::Receiver<PushEvent>,
) {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let tokens = Arc::new(SandboxTokens::new(&sandbox));
    let mut config = fast_config(sandbox.push_url(), PushConfig::new("").connections);
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

#[tokio::test]
async fn store_scoped_units_each_carry_their_own_store_under_its_own_secret() {
    let sandbox = Sandbox::start(SandboxConfig {
        push_scope: PushScope::Store,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let stores = sandbox.stores();
    let units = stores
        .iter()
        .map(|s| PushUnit {
            scope: ConnectionScope::Store(s.epoi_id.clone().into()),
            tokens: Arc::new(SandboxTokens::for_store(&sandbox, s.clone())),
        })
        .collect();
    let (handle, mut events) =
        PushClient::start_units(fast_config(sandbox.push_url(), 2), units).unwrap();
    eventually("two sockets per store", || sandbox.open_connections() == 6).await;
    let health = handle.health();
    let scoped: Vec<Option<String>> = health
        .borrow()
        .iter()
        .map(|h| h.store.as_ref().map(ToString::to_string))
        .collect();
    let expected: Vec<Option<String>> = stores
        .iter()
        .flat_map(|s| [Some(s.epoi_id.clone()), Some(s.epoi_id.clone())])
        .collect();
    assert_eq!(
        scoped, expected,
        "the health board names each socket's store"
    );

    // Each store's pushes, under its own secret, on its own sockets only.
    for s in &stores {
        let id = say(&sandbox, &s.epoi_id, &format!("{} 在吗", s.epoi_id));
        let m = next_message(&mut events).await;
        assert_eq!(
            (m.store.to_string(), m.content.msg_id.get()),
            (s.epoi_id.clone(), id)
        );
        assert_eq!(m.text, format!("{} 在吗", s.epoi_id));
        assert_eq!(
            health.borrow()[m.connection]
                .store
                .as_ref()
                .map(ToString::to_string),
            Some(s.epoi_id.clone())
        );
    }

    // A frame naming the second store arrives on the first store's socket: that unit
    // quarantines it as not its store; the same bytes on the second store's socket are still
    // that unit's first sighting, and are delivered.
    let (first, second) = (&stores[0].epoi_id, &stores[1].epoi_id);
    let secret = sandbox.store_im_secret(second).unwrap();
    let frame = meituan_sandbox::encode_uri_component(
        &serde_json::json!({"app_id": 718, "epoiId": second, "biz_type": 1, "push_content": {
            "msg_id": 77, "msg_content": meituan_sandbox::cipher::encrypt(&secret, "串门").unwrap(),
            "msg_type": 1, "msg_source": 2, "cts": 1_700_000_000, "order_id": 0,
            "open_user_id": 42, "scene_tag": -1, "has_reply": 1}})
        .to_string(),
    );
    assert_eq!(sandbox.push_raw_frame_for(first, &frame), 2);
    match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
        Ok(Some(PushEvent::Quarantined(q))) => assert_eq!(q.reason.code(), "unknown_store"),
        other => panic!("expected a quarantine, got {other:?}"),
    }
    assert_eq!(sandbox.push_raw_frame_for(second, &frame), 2);
    let m = next_message(&mut events).await;
    assert_eq!(
        (m.store.to_string(), m.text.as_str()),
        (second.clone(), "串门")
    );

    handle.shutdown().await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_refused_upgrade_is_reported_to_the_token_source() {
    let sandbox = Sandbox::start(SandboxConfig {
        faults: Faults {
            refuse_upgrade: vec!["getConnectionTokenWithCount".into()],
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let tokens = Arc::new(SandboxTokens::new(&sandbox));
    let (handle, _events) =
        PushClient::start(fast_config(sandbox.push_url(), 1), tokens.clone()).unwrap();
    eventually("two refusals heard", || {
        tokens.refusals.lock().unwrap().len() >= 2
    })
    .await;
    assert!(tokens.refusals.lock().unwrap().iter().all(|s| *s == 403));
    assert!(sandbox.refused_upgrades() >= 2);
    assert_eq!(
        handle.health().borrow()[0].last_disconnect,
        Some(Disconnect::ConnectFailed { status: Some(403) })
    );
    assert_eq!(sandbox.open_connections(), 0);
    handle.shutdown().await;
    sandbox.shutdown().await;
}
