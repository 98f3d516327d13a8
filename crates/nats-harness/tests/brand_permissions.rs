//! `deploy/nats/brand.conf` against a real nats-server: what each role of team mode may and
//! may not do, with real clients. The configuration is read from the repository, so the
//! deployment file and this test cannot drift apart.
//!
//! A refused publish is seen twice: the server's `-ERR 'Permissions Violation for Publish to
//! "<subject>"'` reaches the client's event callback, and nothing reaches the stream (its
//! message count, or the bucket's value, is unchanged). The server never answers a publish it
//! dropped, so a refused JetStream request only times out; those requests use a short timeout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, kv, stream};
use async_nats::{Client, ConnectOptions, Event, HeaderMap};
use futures_util::StreamExt;
use nats_harness::NatsServer;
use tokio::sync::mpsc;

/// How long a refused request waits before we call it refused.
const REFUSED_WAIT: Duration = Duration::from_millis(300);

const BUCKETS: [&str; 9] = [
    "STORES", "SENDS", "LEASE", "ASSIGN", "AGENTS", "PRESENCE", "QUICK", "SETTINGS", "RELAYS",
];

fn conf_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nats/brand.conf")
}

fn brand_conf() -> String {
    std::fs::read_to_string(conf_path()).expect("deploy/nats/brand.conf")
}

fn start() -> NatsServer {
    start_with(&brand_conf())
}

fn start_with(conf: &str) -> NatsServer {
    NatsServer::start_with_config(conf)
        .unwrap_or_else(|e| panic!("nats-server with brand.conf: {e}"))
}

/// A client as one user of the configuration, with the server's errors (permission
/// violations) collected.
struct User {
    client: Client,
    errors: mpsc::UnboundedReceiver<String>,
}

impl User {
    async fn connect(server: &NatsServer, user: &str, password: &str) -> Self {
        Self::connect_with(server.url(), ConnectOptions::new(), user, password).await
    }

    async fn connect_with(url: &str, options: ConnectOptions, user: &str, password: &str) -> Self {
        let (tx, errors) = mpsc::unbounded_channel();
        let client = options
            .user_and_password(user.into(), password.into())
            .event_callback(move |event| {
                let tx = tx.clone();
                async move {
                    if let Event::ServerError(e) = event {
                        let _ = tx.send(e.to_string());
                    }
                }
            })
            .connect(url)
            .await
            .unwrap_or_else(|e| panic!("{user} connects: {e}"));
        Self { client, errors }
    }

    fn js(&self) -> jetstream::Context {
        jetstream::new(self.client.clone())
    }

    /// A JetStream context for requests the server is expected to drop.
    fn js_refused(&self) -> jetstream::Context {
        jetstream::ContextBuilder::new()
            .timeout(REFUSED_WAIT)
            .build(self.client.clone())
    }

    /// Waits for the server's `Permissions Violation for Publish to "<subject>"`; other
    /// errors (earlier violations) are passed over.
    async fn expect_violation(&mut self, subject: &str) {
        self.expect_permission_error(&format!("publish to \"{subject}\""))
            .await;
    }

    /// Waits for `Permissions Violation for Subscription to "<subject>"`.
    async fn expect_subscribe_violation(&mut self, subject: &str) {
        self.expect_permission_error(&format!("subscription to \"{subject}\""))
            .await;
    }

    async fn expect_permission_error(&mut self, what: &str) {
        let want = what.to_lowercase();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            let got = tokio::time::timeout_at(deadline, self.errors.recv())
                .await
                .unwrap_or_else(|_| panic!("no permissions violation for {what}"))
                .expect("event channel open")
                .to_lowercase();
            if got.contains("permissions violation") && got.contains(&want) {
                return;
            }
        }
    }

    /// No permission violation has been reported (everything the user did was allowed).
    fn expect_no_violation(&mut self) {
        if let Ok(e) = self.errors.try_recv() {
            panic!("unexpected server error: {e}");
        }
    }
}

/// What the relay sets up at start: stream IM, the work queue, the buckets.
async fn relay_setup(relay: &User) -> (stream::Stream, consumer::Consumer<consumer::pull::Config>) {
    let js = relay.js();
    let im = js
        .create_stream(stream::Config {
            name: "IM".into(),
            subjects: vec!["im.>".into()],
            allow_direct: true,
            // Recommended for production: a desk cannot roll the stream up, nobody deletes.
            allow_rollup: false,
            deny_delete: true,
            deny_purge: true,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await
        .expect("relay creates stream IM");
    let sends = im
        .create_consumer(consumer::pull::Config {
            durable_name: Some("relay-sends".into()),
            filter_subject: "im.m.*.*.out".into(),
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .expect("relay creates consumer relay-sends");
    for bucket in BUCKETS {
        js.create_key_value(kv::Config {
            bucket: bucket.into(),
            history: 5,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("relay creates bucket {bucket}: {e}"));
    }
    // Subject permissions cannot see a `Nats-Rollup: all` header, which purges a stream:
    // the buckets agents write refuse rollups (KV create/update/delete need none).
    for bucket in ["ASSIGN", "AGENTS", "PRESENCE"] {
        let mut config = js
            .get_stream(format!("KV_{bucket}"))
            .await
            .unwrap()
            .get_info()
            .await
            .unwrap()
            .config;
        config.allow_rollup = false;
        js.update_stream(config)
            .await
            .unwrap_or_else(|e| panic!("relay updates KV_{bucket}: {e}"));
    }
    (im, sends)
}

async fn publish_ok(js: &jetstream::Context, subject: &str, headers: HeaderMap, body: &str) -> u64 {
    js.publish_with_headers(subject.to_owned(), headers, body.to_owned().into())
        .await
        .unwrap_or_else(|e| panic!("publish {subject}: {e}"))
        .await
        .unwrap_or_else(|e| panic!("ack for {subject}: {e}"))
        .sequence
}

fn msg_id(id: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("Nats-Msg-Id", id);
    h
}

/// A reply request as a desk sends it: its id, and the last sequence it saw on the
/// conversation's subjects (`im.m.<store>.<conv>.*`: the customer's and the replies).
fn reply_headers(id: &str, store: &str, conv: &str, last_seen: u64) -> HeaderMap {
    let mut h = msg_id(id);
    h.insert(
        "Nats-Expected-Last-Subject-Sequence",
        last_seen.to_string().as_str(),
    );
    h.insert(
        "Nats-Expected-Last-Subject-Sequence-Subject",
        format!("im.m.{store}.{conv}.*").as_str(),
    );
    h
}

async fn message_count(relay: &User) -> u64 {
    relay
        .js()
        .get_stream("IM")
        .await
        .expect("IM")
        .get_info()
        .await
        .expect("IM info")
        .state
        .messages
}

#[tokio::test]
async fn relay_creates_everything_publishes_and_takes_sends() {
    let server = start();
    let mut relay = User::connect(&server, "relay", "relay-a-CHANGE-ME").await;
    let agent = User::connect(&server, "agent1", "agent1-a-CHANGE-ME").await;
    let (_im, sends) = relay_setup(&relay).await;
    let js = relay.js();

    let in1 = publish_ok(&js, "im.m.s1.c1.in", msg_id("in:2:m1"), "你好").await;
    // A second relay (or a retry) publishing the same platform message is stored once.
    let dup = js
        .publish_with_headers("im.m.s1.c1.in", msg_id("in:2:m1"), "你好".into())
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(dup.duplicate, "same Nats-Msg-Id stored twice");
    assert_eq!(dup.sequence, in1);
    let st = publish_ok(&js, "im.s.s1.c1", msg_id("st:1"), "sent").await;
    assert!(st > in1);

    // An agent's reply request lands on the work queue; the relay takes it and acks it.
    let out = publish_ok(
        &agent.js(),
        "im.m.s1.c1.out",
        reply_headers("out:r1", "s1", "c1", in1),
        "马上为您处理",
    )
    .await;
    let mut batch = sends
        .fetch()
        .max_messages(1)
        .expires(Duration::from_secs(2))
        .messages()
        .await
        .expect("relay pulls relay-sends");
    let msg = batch
        .next()
        .await
        .expect("a send to take")
        .expect("send message");
    assert_eq!(msg.subject.as_str(), "im.m.s1.c1.out");
    assert_eq!(msg.info().unwrap().stream_sequence, out);
    // double_ack waits for the server's confirmation: it fails if $JS.ACK.IM.relay-sends.> is
    // not allowed.
    msg.double_ack().await.expect("relay acks the send");
    let mut sends = sends;
    let info = sends.info().await.expect("relay-sends info");
    assert_eq!(info.num_ack_pending, 0);
    assert_eq!(info.ack_floor.stream_sequence, out);

    // The relay writes the buckets it owns.
    for bucket in ["STORES", "SENDS", "LEASE", "ASSIGN", "RELAYS"] {
        let kv = js.get_key_value(bucket).await.unwrap();
        kv.put("k", "v".into())
            .await
            .unwrap_or_else(|e| panic!("relay writes {bucket}: {e}"));
    }
    relay.expect_no_violation();

    // ...but cannot delete or purge the stream, or forge a reply request.
    let refused = relay.js_refused();
    assert!(refused.delete_stream("IM").await.is_err());
    relay.expect_violation("$JS.API.STREAM.DELETE.IM").await;
    let before = message_count(&relay).await;
    let forged = refused
        .publish("im.m.s1.c1.out", "forged".into())
        .await
        .unwrap()
        .await;
    assert!(
        forged.is_err(),
        "relay published a reply request: {forged:?}"
    );
    relay.expect_violation("im.m.s1.c1.out").await;
    assert_eq!(message_count(&relay).await, before);
}

#[tokio::test]
async fn agent_reads_replies_with_expected_sequence_and_claims() {
    let server = start();
    let relay = User::connect(&server, "relay", "relay-a-CHANGE-ME").await;
    let mut agent = User::connect(&server, "agent1", "agent1-a-CHANGE-ME").await;
    let supervisor = User::connect(&server, "supervisor", "supervisor-a-CHANGE-ME").await;
    relay_setup(&relay).await;
    let rjs = relay.js();
    let s1 = publish_ok(&rjs, "im.m.s1.c1.in", msg_id("in:2:1"), "一").await;
    let s2 = publish_ok(&rjs, "im.s.s1.c1", msg_id("st:1"), "sent").await;
    let s3 = publish_ok(&rjs, "im.m.s1.c1.in", msg_id("in:2:2"), "二").await;
    rjs.get_key_value("STORES")
        .await
        .unwrap()
        .put("s1", r#"{"name":"一号店","business_id":2}"#.into())
        .await
        .unwrap();

    let js = agent.js();
    // Catch up from a stored sequence with an ordered (ephemeral) consumer.
    let im = js.get_stream("IM").await.expect("agent opens IM");
    // Named: agents may only use the named consumer-create subject (see brand.conf).
    let ordered = im
        .create_consumer(consumer::pull::OrderedConfig {
            name: Some("desk-agent1-a1".into()),
            deliver_policy: consumer::DeliverPolicy::ByStartSequence { start_sequence: s2 },
            ..Default::default()
        })
        .await
        .expect("agent creates a named ordered consumer");
    let mut messages = ordered.messages().await.expect("ordered messages");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let m = tokio::time::timeout(Duration::from_secs(3), messages.next())
            .await
            .expect("stream delivers in time")
            .expect("stream open")
            .expect("message");
        seen.push((m.subject.to_string(), m.info().unwrap().stream_sequence));
    }
    assert_eq!(
        seen,
        vec![
            ("im.s.s1.c1".to_owned(), s2),
            ("im.m.s1.c1.in".to_owned(), s3)
        ]
    );
    drop(messages);
    let info = im
        .consumer_info("desk-agent1-a1")
        .await
        .expect("consumer info");
    assert_eq!(info.delivered.stream_sequence, s3);
    im.delete_consumer("desk-agent1-a1")
        .await
        .expect("agent deletes its own consumer");
    // One conversation only, with a filter in the create subject.
    let one = im
        .create_consumer(consumer::pull::OrderedConfig {
            name: Some("desk-agent1-a2".into()),
            filter_subject: "im.m.s1.c1.*".into(),
            ..Default::default()
        })
        .await
        .expect("agent creates a filtered ordered consumer");
    let mut messages = one.messages().await.unwrap();
    let first = messages.next().await.unwrap().unwrap();
    assert_eq!(first.info().unwrap().stream_sequence, s1);
    drop(messages);

    // Gets by sequence, direct and through the stream leader.
    assert_eq!(
        im.direct_get(s2)
            .await
            .expect("direct get")
            .subject
            .as_str(),
        "im.s.s1.c1"
    );
    assert_eq!(im.get_raw_message(s1).await.expect("msg get").sequence, s1);
    // The last message of a conversation, whoever wrote it (a wildcard, through the leader).
    let last_conv = im
        .get_last_raw_message_by_subject("im.m.s1.c1.*")
        .await
        .expect("last by wildcard subject");
    assert_eq!(last_conv.sequence, s3);

    // Last message of a subject, directly.
    let last = im
        .direct_get_last_for_subject("im.m.s1.c1.in")
        .await
        .expect("agent direct-gets the last message");
    assert_eq!(last.sequence, s3);
    assert_eq!(&last.payload[..], "二".as_bytes());

    // A reply that saw the customer's last message is stored; one that did not is refused.
    let out = publish_ok(
        &js,
        "im.m.s1.c1.out",
        reply_headers("out:a", "s1", "c1", s3),
        "好的",
    )
    .await;
    assert!(out > s3);
    let stale = js
        .publish_with_headers(
            "im.m.s1.c1.out",
            reply_headers("out:b", "s1", "c1", s1),
            "盲回".into(),
        )
        .await
        .unwrap()
        .await
        .expect_err("a reply behind the conversation is refused");
    assert_eq!(
        stale.kind(),
        jetstream::context::PublishErrorKind::WrongLastSequence
    );
    let source = std::error::Error::source(&stale)
        .and_then(|s| s.downcast_ref::<jetstream::Error>())
        .expect("the server's error");
    // nats-server 2.12.8 answers 400 / err_code 10071 "wrong last sequence: <seq>".
    assert_eq!(source.error_code(), jetstream::ErrorCode(10071));
    assert_eq!(source.code(), 400);
    assert!(
        source
            .to_string()
            .contains(&format!("wrong last sequence: {out}")),
        "{source}"
    );
    // A retry of the accepted reply (same id, same expectation) is its own duplicate, not a
    // second message. Servers >= 2.11 check the expected sequence first and refuse it
    // with 10071, which is why the desk looks at the last message's id.
    let retry = js
        .publish_with_headers(
            "im.m.s1.c1.out",
            reply_headers("out:a", "s1", "c1", s3),
            "好的".into(),
        )
        .await
        .unwrap()
        .await;
    match retry {
        Ok(ack) => assert!(ack.duplicate && ack.sequence == out, "{ack:?}"),
        Err(e) => assert_eq!(
            e.kind(),
            jetstream::context::PublishErrorKind::WrongLastSequence
        ),
    }
    let last_out = im
        .direct_get_last_for_subject("im.m.s1.c1.out")
        .await
        .unwrap();
    assert_eq!(last_out.sequence, out);

    // Claims: first create wins; the owner releases; every desk watches.
    let assign = js
        .get_key_value("ASSIGN")
        .await
        .expect("agent opens ASSIGN");
    let mut claims = assign.watch_all().await.expect("agent watches ASSIGN");
    let rev = assign
        .create("s1.c1", "agent1".into())
        .await
        .expect("agent claims");
    let other = supervisor.js().get_key_value("ASSIGN").await.unwrap();
    assert!(other.create("s1.c1", "supervisor".into()).await.is_err());
    assign
        .update("s1.c1", "agent1".into(), rev)
        .await
        .expect("agent updates its claim");
    assign.delete("s1.c1").await.expect("agent releases");
    let seen = tokio::time::timeout(Duration::from_secs(3), claims.next())
        .await
        .expect("watch delivers")
        .unwrap()
        .unwrap();
    assert_eq!(
        (seen.key.as_str(), &seen.value[..]),
        ("s1.c1", &b"agent1"[..])
    );
    // Claimed again after the release (create over a delete marker).
    assign
        .create("s1.c1", "agent1".into())
        .await
        .expect("agent claims again");

    // Own presence and status; the shared store names.
    for bucket in ["PRESENCE", "AGENTS"] {
        js.get_key_value(bucket)
            .await
            .unwrap()
            .put("agent1", "online".into())
            .await
            .unwrap_or_else(|e| panic!("agent writes {bucket}: {e}"));
    }
    let stores = js
        .get_key_value("STORES")
        .await
        .expect("agent opens STORES");
    let name = stores.get("s1").await.expect("agent reads STORES");
    assert_eq!(
        name.as_deref(),
        Some(r#"{"name":"一号店","business_id":2}"#.as_bytes())
    );
    // Listing keys, as a desk lists the stores and the relays' heartbeats.
    rjs.get_key_value("RELAYS")
        .await
        .unwrap()
        .put("relay-a", r#"{"sockets":3}"#.into())
        .await
        .unwrap();
    for (bucket, key) in [("STORES", "s1"), ("RELAYS", "relay-a")] {
        let keys: Vec<String> = js
            .get_key_value(bucket)
            .await
            .unwrap_or_else(|e| panic!("agent opens {bucket}: {e}"))
            .keys()
            .await
            .unwrap_or_else(|e| panic!("agent lists {bucket}: {e}"))
            .map(|k| k.unwrap())
            .collect()
            .await;
        assert_eq!(keys, vec![key.to_owned()], "{bucket}");
    }
    // Watching a bucket (ordered push consumer with flow control) works too.
    let mut watch = stores.watch_all().await.expect("agent watches STORES");
    stores.get("s1").await.unwrap();
    rjs.get_key_value("STORES")
        .await
        .unwrap()
        .put("s2", "二号店".into())
        .await
        .unwrap();
    let entry = tokio::time::timeout(Duration::from_secs(3), watch.next())
        .await
        .expect("watch delivers")
        .unwrap()
        .unwrap();
    assert_eq!(entry.key, "s2");
    agent.expect_no_violation();
}

#[tokio::test]
async fn agent_cannot_forge_customer_messages_or_write_shared_buckets() {
    let server = start();
    let relay = User::connect(&server, "relay", "relay-a-CHANGE-ME").await;
    let mut agent = User::connect(&server, "agent1", "agent1-a-CHANGE-ME").await;
    relay_setup(&relay).await;
    let rjs = relay.js();
    publish_ok(&rjs, "im.m.s1.c1.in", msg_id("in:2:1"), "一").await;
    for bucket in ["STORES", "SETTINGS", "QUICK", "SENDS", "LEASE"] {
        rjs.get_key_value(bucket)
            .await
            .unwrap()
            .put("k", "relay".into())
            .await
            .unwrap();
    }
    let before = message_count(&relay).await;
    let refused = agent.js_refused();

    for subject in ["im.m.s1.c1.in", "im.s.s1.c1"] {
        let ack = refused
            .publish(subject, "forged".into())
            .await
            .unwrap()
            .await;
        assert!(ack.is_err(), "agent published {subject}: {ack:?}");
        agent.expect_violation(subject).await;
    }
    assert_eq!(
        message_count(&relay).await,
        before,
        "a forged message was stored"
    );

    for bucket in ["STORES", "SETTINGS", "QUICK"] {
        let kv = refused
            .get_key_value(bucket)
            .await
            .unwrap_or_else(|e| panic!("agent opens {bucket} to read it: {e}"));
        assert!(
            kv.put("k", "agent".into()).await.is_err(),
            "agent wrote {bucket}"
        );
        agent.expect_violation(&format!("$KV.{bucket}.k")).await;
        assert_eq!(kv.get("k").await.unwrap().as_deref(), Some(&b"relay"[..]));
    }
    // SENDS and LEASE are the relays' own: not even opened by an agent.
    for bucket in ["SENDS", "LEASE"] {
        assert!(refused.get_key_value(bucket).await.is_err());
        agent
            .expect_violation(&format!("$JS.API.STREAM.INFO.KV_{bucket}"))
            .await;
        let put = refused
            .publish(format!("$KV.{bucket}.k"), "agent".into())
            .await
            .unwrap()
            .await;
        assert!(put.is_err());
        agent.expect_violation(&format!("$KV.{bucket}.k")).await;
        let kv = rjs.get_key_value(bucket).await.unwrap();
        assert_eq!(kv.get("k").await.unwrap().as_deref(), Some(&b"relay"[..]));
    }

    // The relays' work queue is theirs: no pulling, no reconfiguring, no deleting.
    let next = agent
        .client
        .request("$JS.API.CONSUMER.MSG.NEXT.IM.relay-sends", "1".into());
    let _ = tokio::time::timeout(REFUSED_WAIT, next).await;
    agent
        .expect_violation("$JS.API.CONSUMER.MSG.NEXT.IM.relay-sends")
        .await;
    assert!(refused
        .delete_consumer_from_stream("relay-sends", "IM")
        .await
        .is_err());
    agent
        .expect_violation("$JS.API.CONSUMER.DELETE.IM.relay-sends")
        .await;
    // The nameless create subject would let a payload name update relay-sends (the server
    // takes `config.name` from it); it is not granted.
    let hijack = agent.client.request(
        "$JS.API.CONSUMER.CREATE.IM",
        r#"{"stream_name":"IM","config":{"name":"relay-sends","filter_subject":"im.m.*.*.in","ack_policy":"explicit"}}"#.into(),
    );
    let _ = tokio::time::timeout(REFUSED_WAIT, hijack).await;
    agent.expect_violation("$JS.API.CONSUMER.CREATE.IM").await;
    let hijack = refused
        .get_stream("IM")
        .await
        .unwrap()
        .create_consumer(consumer::pull::Config {
            durable_name: Some("relay-sends".into()),
            filter_subject: "im.m.*.*.in".into(),
            ..Default::default()
        })
        .await;
    assert!(hijack.is_err());
    agent
        .expect_violation("$JS.API.CONSUMER.CREATE.IM.relay-sends.im.m.*.*.in")
        .await;
    // The named subject without a filter, too.
    let hijack = agent.client.request(
        "$JS.API.CONSUMER.CREATE.IM.relay-sends",
        r#"{"stream_name":"IM","config":{"name":"relay-sends","ack_policy":"none"}}"#.into(),
    );
    let _ = tokio::time::timeout(REFUSED_WAIT, hijack).await;
    agent
        .expect_violation("$JS.API.CONSUMER.CREATE.IM.relay-sends")
        .await;
    let sends = rjs
        .get_stream("IM")
        .await
        .unwrap()
        .consumer_info("relay-sends")
        .await
        .unwrap();
    assert_eq!(sends.config.filter_subject, "im.m.*.*.out");
    // Nor purge or delete the stream.
    assert!(refused.delete_stream("IM").await.is_err());
    agent.expect_violation("$JS.API.STREAM.DELETE.IM").await;
    let purge = agent.client.request("$JS.API.STREAM.PURGE.IM", "".into());
    let _ = tokio::time::timeout(REFUSED_WAIT, purge).await;
    agent.expect_violation("$JS.API.STREAM.PURGE.IM").await;
    assert_eq!(message_count(&relay).await, before);

    // Rollups: a permitted subject with `Nats-Rollup: all` would purge the stream; IM and the
    // buckets agents write refuse them (500 / err_code 10111 "rollup not permitted").
    let mut rollup = HeaderMap::new();
    rollup.insert("Nats-Rollup", "all");
    let assign = rjs.get_key_value("ASSIGN").await.unwrap();
    assign.put("s1.c9", "agent2".into()).await.unwrap();
    for subject in ["im.m.s1.c1.out", "$KV.ASSIGN.s1.c1"] {
        let err = agent
            .js()
            .publish_with_headers(subject, rollup.clone(), "".into())
            .await
            .unwrap()
            .await
            .expect_err("a rollup was accepted");
        let source = std::error::Error::source(&err)
            .and_then(|s| s.downcast_ref::<jetstream::Error>())
            .unwrap_or_else(|| panic!("{subject}: {err}"));
        assert_eq!(
            source.error_code(),
            jetstream::ErrorCode(10111),
            "{subject}"
        );
    }
    assert_eq!(message_count(&relay).await, before);
    assert_eq!(
        assign.get("s1.c9").await.unwrap().as_deref(),
        Some(&b"agent2"[..])
    );

    // Agents read through JetStream only: no core subscriptions on the stream's subjects.
    let _sub = agent.client.subscribe("im.>").await.unwrap();
    agent.expect_subscribe_violation("im.>").await;
}

#[tokio::test]
async fn supervisor_writes_settings_and_quick_replies() {
    let server = start();
    let relay = User::connect(&server, "relay", "relay-a-CHANGE-ME").await;
    let mut supervisor = User::connect(&server, "supervisor", "supervisor-a-CHANGE-ME").await;
    let agent = User::connect(&server, "agent1", "agent1-a-CHANGE-ME").await;
    relay_setup(&relay).await;
    let js = supervisor.js();
    for bucket in ["SETTINGS", "QUICK"] {
        let kv = js.get_key_value(bucket).await.unwrap();
        kv.put("greeting", "您好，请问有什么可以帮您？".into())
            .await
            .unwrap_or_else(|e| panic!("supervisor writes {bucket}: {e}"));
        // Everyone reads them.
        let seen = agent
            .js()
            .get_key_value(bucket)
            .await
            .unwrap()
            .get("greeting")
            .await
            .unwrap();
        assert_eq!(
            seen.as_deref(),
            Some("您好，请问有什么可以帮您？".as_bytes())
        );
    }
    // A supervisor answers customers too.
    publish_ok(&js, "im.m.s1.c1.out", msg_id("out:sup"), "我是主管").await;
    supervisor.expect_no_violation();
    // But is no relay.
    let ack = supervisor
        .js_refused()
        .publish("im.m.s1.c1.in", "forged".into())
        .await
        .unwrap()
        .await;
    assert!(ack.is_err());
    supervisor.expect_violation("im.m.s1.c1.in").await;
}

#[tokio::test]
async fn brands_are_isolated() {
    let server = start();
    let relay_a = User::connect(&server, "relay", "relay-a-CHANGE-ME").await;
    let relay_b = User::connect(&server, "relay_b", "relay-b-CHANGE-ME").await;
    let agent_b = User::connect(&server, "agent1_b", "agent1-b-CHANGE-ME").await;
    relay_setup(&relay_a).await;
    publish_ok(&relay_a.js(), "im.m.s1.c1.in", msg_id("in:2:1"), "A 的顾客").await;

    // BRAND_B has no stream IM until its own relay makes one; BRAND_A's is invisible. The
    // agent is allowed to ask (same permissions as BRAND_A's agent), so the answer is the
    // account's, not a permission violation.
    let info = agent_b.js().get_stream("IM").await;
    let err = info.expect_err("BRAND_B sees a stream IM");
    assert!(
        err.to_string().contains("stream not found"),
        "unexpected error: {err}"
    );
    // Its reply requests go nowhere near BRAND_A.
    let before = message_count(&relay_a).await;
    let ack = agent_b
        .js_refused()
        .publish("im.m.s1.c1.out", "wrong brand".into())
        .await
        .unwrap()
        .await;
    assert!(ack.is_err(), "a BRAND_B reply was stored: {ack:?}");
    assert_eq!(message_count(&relay_a).await, before);

    // Same names in BRAND_B, its own (empty) contents.
    relay_setup(&relay_b).await;
    let im_b = agent_b.js().get_stream("IM").await.expect("BRAND_B's IM");
    let ordered = im_b
        .create_consumer(consumer::pull::OrderedConfig {
            name: Some("desk-b".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut messages = ordered.messages().await.unwrap();
    let got = tokio::time::timeout(REFUSED_WAIT, messages.next()).await;
    assert!(got.is_err(), "BRAND_B received a message: {got:?}");
    assert_eq!(im_b.get_info().await.unwrap().state.messages, 0);
    let stores_b = agent_b.js().get_key_value("STORES").await.unwrap();
    relay_a
        .js()
        .get_key_value("STORES")
        .await
        .unwrap()
        .put("s1", "A".into())
        .await
        .unwrap();
    assert_eq!(stores_b.get("s1").await.unwrap(), None);
}

/// The `tls` block of brand.conf, uncommented, with its paths moved to `dir`.
fn conf_with_tls(dir: &Path) -> String {
    let text = brand_conf();
    let mut out = String::new();
    let mut inside = false;
    let mut found = false;
    for line in text.lines() {
        if line.starts_with("# --- tls begin") {
            inside = true;
            found = true;
        } else if line.starts_with("# --- tls end") {
            inside = false;
        } else if inside {
            let l = line.strip_prefix("# ").unwrap_or(line);
            out.push_str(&l.replace("/etc/nats/tls", &dir.to_string_lossy().replace('\\', "/")));
            out.push('\n');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    assert!(found, "brand.conf lost its tls block markers");
    out
}

#[tokio::test]
async fn desk_connects_over_tls_with_the_brand_ca() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

    let certs = tempfile::tempdir().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::write(certs.path().join("ca.crt"), ca.pem()).unwrap();
    std::fs::write(certs.path().join("server.crt"), cert.pem()).unwrap();
    std::fs::write(certs.path().join("server.key"), key.serialize_pem()).unwrap();

    let conf = conf_with_tls(certs.path());
    assert!(conf.contains("\ntls {"), "tls block not enabled:\n{conf}");
    let server = start_with(&conf);
    let tls_url = server.url().replace("nats://", "tls://");

    let desk = User::connect_with(
        &tls_url,
        ConnectOptions::new()
            .add_root_certificates(certs.path().join("ca.crt"))
            .require_tls(true),
        "agent1",
        "agent1-a-CHANGE-ME",
    )
    .await;
    // Authenticated over TLS, with the agent's permissions: JetStream answers.
    let info = desk
        .js()
        .query_account()
        .await
        .expect("account info over TLS");
    assert_eq!(info.streams, 0);

    // Without the brand's CA the desk refuses the server's certificate.
    let plain = ConnectOptions::new()
        .user_and_password("agent1".into(), "agent1-a-CHANGE-ME".into())
        .require_tls(true)
        .connection_timeout(Duration::from_secs(2))
        .connect(&tls_url)
        .await;
    assert!(plain.is_err(), "connected without trusting the CA");
}
