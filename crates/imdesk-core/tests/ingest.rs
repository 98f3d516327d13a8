//! Ingest against the sandbox: duplicates across three connections, dropped connections,
//! the token APIs' fallbacks (a missing API, a refused socket), malformed frames, the urgent
//! clock and read receipts. The tests about connections run under both push scopes
//! (`in_both_scopes!`): one connection set for the developer, or one per store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use imdesk_core::alerts::Alert;
use imdesk_core::convert::{conversation_id, conversation_id_of};
use imdesk_core::view::{ConversationId, DeskEvent};
use imdesk_core::view::{InboxFilter, InboxQuery};
use imdesk_store::ConversationKey;
use meituan_sandbox::{ChatKind, CustomerMessage, DropMode, Faults};

fn counts(rows: &[imdesk_store::MessageRow]) -> HashMap<(String, i64), usize> {
    let mut m = HashMap::new();
    for r in rows {
        *m.entry((r.store.clone(), r.msg_id)).or_default() += 1;
    }
    m
}

/// Waits until every pushed message is stored and what the desk has read is handled, then
/// checks that none is stored twice. (Frames written to a socket that was then reset may
/// never be read, so the count of frames read cannot be waited for here.)
async fn assert_stored_once(desk: &imdesk_core::Desk, pushed: &[meituan_sandbox::Pushed]) {
    eventually(15, "every pushed message stored", || async {
        let c = counts(&stored_async(desk).await);
        pushed
            .iter()
            .all(|p| c.contains_key(&(p.epoi_id.clone(), p.msg_id)))
    })
    .await;
    desk.settle().await;
    assert_eq!(
        stored_async(desk).await.len(),
        pushed.len(),
        "no message stored twice"
    );
}

in_both_scopes!(
    three_connections_with_duplicated_pushes_store_each_message_once,
    connections_dropped_mid_stream_lose_nothing_across_reconnects,
    the_other_token_api_serves_when_one_is_missing,
    a_refused_socket_falls_back_to_the_single_token_api_and_loses_nothing,
    every_store_of_a_mixed_brand_is_heard_and_answered_in_its_scope,
    the_configured_number_of_push_connections_open,
    each_class_of_malformed_frame_lands_in_quarantine,
    read_receipts_appear_after_the_customer_reads,
);

async fn three_connections_with_duplicated_pushes_store_each_message_once(scope: PushScope) {
    let sb = sandbox_in(
        scope,
        Faults {
            duplicate: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(RecordingSink::default());
    let desk = desk(&sb, &db_path(&dir), sink.clone()).await;
    connected(&sb, sockets(&sb, 3)).await;
    let stores = sb.stores();
    let mut pushed = Vec::new();
    for i in 0..30 {
        let store = &stores[i % stores.len()].epoi_id;
        let kind = if i % 2 == 0 {
            ChatKind::PreOrder
        } else {
            ChatKind::InProgress
        };
        pushed.push(
            sb.customer_says(CustomerMessage::text(store, kind, format!("在吗 {i}")))
                .unwrap(),
        );
    }
    eventually(10, "30 messages stored", || async {
        stored_async(&desk).await.len() >= 30
    })
    .await;
    // Each frame arrived six times (3 sockets × duplicate): once the desk has read every
    // copy the sandbox wrote and handled them, no straggler is left to land.
    every_frame_read(&sb, &desk).await;
    let rows = stored_async(&desk).await;
    let c = counts(&rows);
    assert_eq!(rows.len(), 30);
    for p in &pushed {
        assert_eq!(
            c.get(&(p.epoi_id.clone(), p.msg_id)),
            Some(&1),
            "msg {}",
            p.msg_id
        );
    }
    let texts: Vec<_> = rows.iter().filter_map(|r| r.text.clone()).collect();
    assert!(texts.iter().any(|t| t == "在吗 7"), "decrypted text stored");
    desk.shutdown().await;
}

async fn connections_dropped_mid_stream_lose_nothing_across_reconnects(scope: PushScope) {
    let sb = Arc::new(sandbox_in(scope, Faults::default()).await);
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    connected(&sb, sockets(&sb, 3)).await;
    let load = {
        let sb = sb.clone();
        tokio::spawn(async move { sb.run_load(300, 300.0).await })
    };
    for mode in [DropMode::Reset, DropMode::Silent, DropMode::Reset] {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        sb.drop_connections(mode);
    }
    let pushed = load.await.unwrap();
    assert_eq!(pushed.len(), 300);
    assert_stored_once(&desk, &pushed).await;
    assert!(desk
        .connection_status()
        .sockets
        .iter()
        .any(|s| s.reconnects > 0));
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_dropped_mid_stream_lose_nothing_while_one_survives() {
    let sb = Arc::new(sandbox(Faults::default()).await);
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    connected(&sb, 3).await;
    const LOAD: u64 = 600;
    let load = {
        let sb = sb.clone();
        tokio::spawn(async move { sb.run_load(LOAD, 300.0).await })
    };
    // Twice during the load, at a third and at two thirds of it, the two longest-open sockets
    // are reset while the newest one goes on: whatever they had not delivered, it did.
    let mut dropped = 0;
    for mark in [LOAD / 3, 2 * LOAD / 3] {
        eventually(15, "the load under way", || async {
            sb.counters().1 >= mark
        })
        .await;
        connected(&sb, 3).await;
        dropped += sb.drop_oldest_connections(2, DropMode::Reset);
        assert!(sb.counters().1 < LOAD, "the drop came mid-stream");
        let sockets = desk.connection_status().sockets;
        assert!(
            sockets
                .iter()
                .any(|s| s.state == imdesk_core::view::SocketState::Open),
            "the desk still reads one socket: {sockets:?}"
        );
    }
    assert_eq!(dropped, 4);
    let pushed = load.await.unwrap();
    assert_eq!(pushed.len(), LOAD as usize);
    assert_stored_once(&desk, &pushed).await;
    let reconnects: u32 = desk
        .connection_status()
        .sockets
        .iter()
        .map(|s| s.reconnects)
        .sum();
    assert!(
        reconnects >= 4,
        "each dropped socket came back ({reconnects})"
    );
    desk.shutdown().await;
}

/// Two customers of every store write; returns what was pushed.
fn every_store_says(sb: &meituan_sandbox::Sandbox, text: &str) -> Vec<meituan_sandbox::Pushed> {
    let mut pushed = Vec::new();
    for s in sb.stores() {
        for kind in [ChatKind::PreOrder, ChatKind::InProgress] {
            let msg = CustomerMessage::text(&s.epoi_id, kind, format!("{text} {}", s.epoi_id));
            pushed.push(sb.customer_says(msg).unwrap());
        }
    }
    pushed
}

async fn the_other_token_api_serves_when_one_is_missing(scope: PushScope) {
    // getConnectionToken comes first (protocol §6.2): with the batch API gone the desk never
    // notices; with the single one gone it asks the batch API, and its reconnects go on
    // there without asking the missing one each time.
    for (missing, asked_missing) in [
        ("getConnectionTokenWithCount", false),
        ("getConnectionToken", true),
    ] {
        let sb = sandbox_in(
            scope,
            Faults {
                missing: vec![missing.into()],
                ..Faults::default()
            },
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
        let n = sockets(&sb, 3);
        connected(&sb, n).await;
        let asked = sb.missing_api_calls();
        assert_eq!(asked >= 1, asked_missing, "{missing}: asked {asked} times");
        let mut pushed = every_store_says(&sb, "有人吗");
        assert_stored_once(&desk, &pushed).await;
        assert_eq!(sb.open_connections(), n);
        // Reconnects fetch fresh tokens from the API that served.
        assert_eq!(sb.drop_connections(DropMode::Reset), n);
        connected(&sb, n).await;
        assert_eq!(
            sb.missing_api_calls(),
            asked,
            "{missing}: reconnects asked the API that served"
        );
        pushed.extend(every_store_says(&sb, "还在吗"));
        assert_stored_once(&desk, &pushed).await;
        desk.shutdown().await;
    }
}

async fn a_refused_socket_falls_back_to_the_single_token_api_and_loses_nothing(scope: PushScope) {
    // The single-token API is down at first: the desk connects with batch tokens.
    let sb = sandbox_in(
        scope,
        Faults {
            missing: vec!["getConnectionToken".into()],
            ..Faults::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    let n = sockets(&sb, 3);
    connected(&sb, n).await;
    let mut pushed = every_store_says(&sb, "第一轮");
    assert_stored_once(&desk, &pushed).await;
    // Then the single-token API is back, and the push service stops taking batch tokens
    // (the batch API still grants them). The sockets drop; what customers write meanwhile
    // waits on the platform for the sockets that come back.
    sb.set_faults(Faults {
        refuse_upgrade: vec!["getConnectionTokenWithCount".into()],
        ..Faults::default()
    });
    assert_eq!(sb.drop_connections(DropMode::Reset), n);
    pushed.extend(every_store_says(&sb, "断线时"));
    connected(&sb, n).await;
    assert!(
        sb.refused_upgrades() >= 1,
        "a batch token was tried and refused first"
    );
    pushed.extend(every_store_says(&sb, "重连后"));
    assert_stored_once(&desk, &pushed).await;
    assert_eq!(
        desk.store().quarantine_count_async().await.unwrap(),
        0,
        "nothing quarantined"
    );
    desk.shutdown().await;
}

async fn every_store_of_a_mixed_brand_is_heard_and_answered_in_its_scope(scope: PushScope) {
    let sb = sandbox_with(scope, Faults::default(), 4).await;
    let stores = sb.stores();
    let businesses: HashSet<u8> = stores.iter().map(|s| s.business_id).collect();
    assert_eq!(businesses, HashSet::from([2, 16]), "a brand of both kinds");
    let secrets: HashSet<String> = stores
        .iter()
        .map(|s| sb.store_im_secret(&s.epoi_id).unwrap())
        .collect();
    match scope {
        PushScope::Developer => assert_eq!(secrets, HashSet::from([sb.im_secret()])),
        PushScope::Store => assert_eq!(secrets.len(), stores.len(), "one secret per store"),
    }
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    connected(&sb, sockets(&sb, 3)).await;
    for s in &stores {
        // Developer scope: the three sockets carry every store; store scope: its own three.
        assert_eq!(sb.open_connections_for(&s.epoi_id), 3, "{}", s.epoi_id);
    }
    let pushed = every_store_says(&sb, "你好");
    assert_stored_once(&desk, &pushed).await;
    // A reply in each conversation, encrypted for its store's scope: the platform decrypts
    // each with the secret it holds for that store and keeps the text.
    let mut sent = Vec::new();
    for p in &pushed {
        let id = conversation_id_of(&p.epoi_id, p.biz_type, p.open_user_id.unwrap());
        let text = format!("您好 {} {}", p.epoi_id, p.msg_id);
        sent.push((desk.send_text(&id, &text).await.unwrap().key, p, text));
    }
    for (key, p, text) in &sent {
        desk.wait_sent(key, std::time::Duration::from_secs(10))
            .await
            .unwrap();
        let kept = sb.merchant_messages(&p.epoi_id).unwrap();
        assert_eq!(
            kept.iter().filter(|m| &m.text == text).count(),
            1,
            "{}: {text} delivered once, readable with the store's secret",
            p.epoi_id
        );
    }
    assert_eq!(desk.store().quarantine_count_async().await.unwrap(), 0);
    desk.shutdown().await;
}

async fn the_configured_number_of_push_connections_open(scope: PushScope) {
    let sb = sandbox_in(scope, Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&sb, &db_path(&dir));
    config.push_connections = Some(2);
    let sink: Arc<RecordingSink> = Arc::default();
    let desk = imdesk_core::Desk::start_with(config, imdesk_core::DeskOptions::fast(), sink)
        .await
        .unwrap();
    // Two per scope unit: two in all for the developer, two for each store when store-scoped.
    let n = sockets(&sb, 2);
    connected(&sb, n).await;
    // The push client runs one task per configured socket: the desk's own view has them, and
    // the platform saw them connect.
    assert_eq!(sb.open_connections(), n);
    assert_eq!(desk.connection_status().sockets.len(), n);
    for s in sb.stores() {
        assert_eq!(sb.open_connections_for(&s.epoi_id), 2, "{}", s.epoi_id);
    }
    desk.shutdown().await;
}

/// As each event or alert leaves the core, checks that what it names is already committed,
/// through a read-only connection of its own to the database file, which sees commits only;
/// and records every conversation it was told about.
struct CommitChecker {
    db: std::path::PathBuf,
    /// What named which conversation ("event" or "alert"), in order.
    named: Mutex<Vec<(&'static str, String)>>,
    alerts: AtomicUsize,
    violations: Mutex<Vec<String>>,
}

impl CommitChecker {
    fn new(db: std::path::PathBuf) -> Self {
        Self {
            db,
            named: Mutex::default(),
            alerts: AtomicUsize::new(0),
            violations: Mutex::default(),
        }
    }

    /// Messages of `conversation` committed so far, and of them those whose text starts with
    /// `preview` (a shown preview may be cut short with `…`).
    fn committed(&self, conversation: &str, preview: Option<&str>) -> (i64, i64) {
        let key = imdesk_core::convert::parse_conversation_id(conversation).unwrap();
        let conn = rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let preview = preview.map(|p| p.trim_end_matches('…')).unwrap_or("");
        conn.query_row(
            "SELECT count(*), count(CASE WHEN substr(m.text, 1, length(?4)) = ?4 THEN 1 END)
             FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE c.store = ?1 AND c.biz_type = ?2 AND c.peer_id = ?3",
            rusqlite::params![key.store, key.biz_type, key.peer_id, preview],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    fn check(&self, conversation: &str, preview: Option<&str>, what: &'static str) {
        self.named
            .lock()
            .unwrap()
            .push((what, conversation.to_owned()));
        let (all, with_preview) = self.committed(conversation, preview);
        if all == 0 || (preview.is_some() && with_preview == 0) {
            self.violations.lock().unwrap().push(format!(
                "{what} about {conversation} before its message committed"
            ));
        }
    }

    /// How many names the core has given so far.
    fn names(&self) -> usize {
        self.named.lock().unwrap().len()
    }

    /// How many times, after its first `since` names, the core named any of `conversations`.
    fn times_named(&self, conversations: &HashSet<String>, since: usize) -> usize {
        let named = self.named.lock().unwrap();
        let after = named.get(since..).unwrap_or_default();
        after
            .iter()
            .filter(|(_, c)| conversations.contains(c))
            .count()
    }
}

impl imdesk_core::DeskSink for CommitChecker {
    fn event(&self, event: DeskEvent) {
        if let DeskEvent::ConversationsChanged { ids } = event {
            for id in ids {
                self.check(&id, None, "event");
            }
        }
    }

    fn alert(&self, alert: Alert<ConversationId>) {
        if let Some(id) = &alert.conversation {
            self.alerts.fetch_add(1, Ordering::Relaxed);
            self.check(id, alert.preview.as_deref(), "alert");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_alerts_leave_the_core_only_after_their_messages_commit() {
    let sb = Arc::new(sandbox(Faults::default()).await);
    let dir = tempfile::tempdir().unwrap();
    let checker = Arc::new(CommitChecker::new(db_path(&dir)));
    let desk = desk(&sb, &db_path(&dir), checker.clone()).await;
    connected(&sb, 3).await;
    // A load ingested as usual: each event and alert is checked against the file.
    let first = sb.run_load(200, 400.0).await;
    eventually(15, "the load stored", || async {
        stored_async(&desk).await.len() >= first.len()
    })
    .await;

    // Another process holds the database's write lock: messages of new customers arrive and
    // none can commit, so nothing about them may leave the core until the lock is released.
    let lock = rusqlite::Connection::open(db_path(&dir)).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let since = checker.names();
    let stores = sb.stores();
    let mut held = HashSet::new();
    for i in 0..12 {
        // Customers who never wrote: a conversation of theirs exists only once this commits.
        let store = &stores[i % stores.len()].epoi_id;
        let customer = sb.add_customer(store).unwrap();
        let p = sb
            .customer_says(
                CustomerMessage::text(store, ChatKind::PreOrder, format!("锁住时 {i}"))
                    .from_customer(customer),
            )
            .unwrap();
        held.insert(conversation_id_of(
            &p.epoi_id,
            p.biz_type,
            p.open_user_id.unwrap(),
        ));
    }
    // The desk has read them off the sockets (the checker verifies every event against the
    // committed file whenever it comes; the lock makes an early one likely to show).
    eventually(10, "the held messages read", || async {
        let written = sb.push_frames_written();
        written >= sb.push_frames_queued() && desk.push_frames_received() >= written
    })
    .await;
    let during = checker.times_named(&held, since);
    assert_eq!(
        stored_async(&desk).await.len(),
        first.len(),
        "nothing commits under another's lock"
    );
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    eventually(10, "the held messages stored", || async {
        stored_async(&desk).await.len() >= first.len() + 12
    })
    .await;
    eventually(5, "events about them once committed", || async {
        checker.times_named(&held, since) > during
    })
    .await;
    desk.shutdown().await;
    assert_eq!(
        during,
        0,
        "the core named a conversation before its message committed: {:?}",
        checker.named.lock().unwrap().get(since..)
    );
    assert!(
        checker.alerts.load(Ordering::Relaxed) >= 1,
        "no alert was checked"
    );
    let violations = checker.violations.lock().unwrap();
    assert!(violations.is_empty(), "{violations:#?}");
}

async fn each_class_of_malformed_frame_lands_in_quarantine(scope: PushScope) {
    use meituan_sandbox::encode_uri_component as enc;
    let sb = sandbox_in(scope, Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut opts = imdesk_core::DeskOptions::fast();
    opts.connections = 1;
    let desk = desk_with(
        &sb,
        &db_path(&dir),
        Arc::new(RecordingSink::default()),
        opts,
    )
    .await;
    connected(&sb, sockets(&sb, 1)).await;
    let store = sb.stores()[0].epoi_id.clone();
    let secret = sb.store_im_secret(&store).unwrap();
    let content = meituan_sandbox::cipher::encrypt(&secret, "你好").unwrap();
    let frame = |store: &str, biz: i64, pc: serde_json::Value| {
        enc(&serde_json::json!({"app_id": 718, "epoiId": store, "biz_type": biz, "push_content": pc}).to_string())
    };
    let pc = |id: serde_json::Value, content: &str| {
        serde_json::json!({"msg_id": id, "msg_content": content, "msg_type": 1, "msg_source": 2,
            "cts": 1_700_000_000, "order_id": 0, "open_user_id": 42, "scene_tag": -1, "has_reply": 1})
    };
    let mut cases: Vec<(&str, String)> = vec![
        ("not_percent_encoded", "%7B%zz".into()),
        ("bad_utf8", "%FF%FE%FD".into()),
        ("not_json", enc("hello, not json")),
        ("unknown_shape", enc(r#"{"hello":1}"#)),
        (
            "missing_field",
            frame(&store, 1, serde_json::json!({"msg_id": 5, "msg_type": 1})),
        ),
        (
            "bad_field",
            frame(&store, 1, pc(serde_json::json!({"x": 1}), &content)),
        ),
        (
            "id_out_of_range",
            frame(&store, 1, pc(serde_json::json!(-5), &content)),
        ),
        (
            "unknown_biz_type",
            frame(&store, 9, pc(serde_json::json!(11), &content)),
        ),
        (
            "unknown_store",
            frame("mt-9999", 1, pc(serde_json::json!(12), &content)),
        ),
        (
            "undecryptable_content",
            frame(&store, 1, pc(serde_json::json!(13), "not-base64!!")),
        ),
        ("oversized", "x".repeat(70 * 1024)),
    ];
    if scope == PushScope::Store {
        // A store we do have, on another store's connection: not this connection's store.
        let other = sb.stores()[1].epoi_id.clone();
        cases.push((
            "unknown_store",
            frame(&other, 1, pc(serde_json::json!(14), &content)),
        ));
    }
    // Each on the one socket that carries the store's pushes.
    for (_, raw) in &cases {
        assert_eq!(sb.push_raw_frame_for(&store, raw), 1);
    }
    let n = cases.len() as i64;
    eventually(10, "every malformed frame quarantined", || async {
        desk.store().quarantine_count_async().await.unwrap() >= n
    })
    .await;
    let kept = desk.store().quarantined_async(None, 100).await.unwrap();
    assert_eq!(kept.len(), cases.len());
    for (class, _) in &cases {
        assert!(
            kept.iter().any(|q| q.reason.contains(class)),
            "{class} missing from {:?}",
            kept.iter().map(|q| &q.reason).collect::<Vec<_>>()
        );
    }
    assert!(
        stored_async(&desk).await.is_empty(),
        "nothing malformed became a message"
    );
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_urgent_complaint_gets_a_one_minute_clock_and_leads_the_inbox() {
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    connected(&sb, 3).await;
    let store = sb.stores()[0].epoi_id.clone();
    let normal = sb
        .customer_says(CustomerMessage::text(
            &store,
            ChatKind::InProgress,
            "到哪了",
        ))
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let urgent = sb
        .customer_says(
            CustomerMessage::text(&store, ChatKind::InProgress, "菜里有异物").scene(9003),
        )
        .unwrap();
    assert_ne!(normal.open_user_id, urgent.open_user_id);
    eventually(10, "both stored", || async {
        stored_async(&desk).await.len() == 2
    })
    .await;
    let page = desk
        .inbox(InboxQuery {
            store: None,
            filter: InboxFilter::All,
            offset: 0,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    let first = &page.rows[0];
    let key = ConversationKey {
        store: store.clone(),
        biz_type: 1,
        peer_id: urgent.open_user_id.unwrap(),
    };
    assert_eq!(first.id, conversation_id(&key));
    assert!(first.urgent);
    assert_eq!(
        first.deadline_at.unwrap() - first.awaiting_since.unwrap(),
        60_000
    );
    let second = &page.rows[1];
    assert!(!second.urgent);
    assert_eq!(
        second.deadline_at.unwrap() - second.awaiting_since.unwrap(),
        300_000
    );
    let urgent_only = desk
        .inbox(InboxQuery {
            store: Some(store),
            filter: InboxFilter::Urgent,
            offset: 0,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(urgent_only.total, 1);
    assert_eq!(urgent_only.rows[0].id, first.id);
    desk.shutdown().await;
}

async fn read_receipts_appear_after_the_customer_reads(scope: PushScope) {
    let sb = sandbox_in(scope, Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(RecordingSink::default());
    let desk = desk(&sb, &db_path(&dir), sink.clone()).await;
    connected(&sb, sockets(&sb, 3)).await;
    // The businessId-2 store: read receipts use that family's opaque `data` form.
    let store = sb.stores()[1].epoi_id.clone();
    let p = sb
        .customer_says(CustomerMessage::text(
            &store,
            ChatKind::PreOrder,
            "有优惠吗",
        ))
        .unwrap();
    let id = conversation_id(&ConversationKey {
        store: store.clone(),
        biz_type: 1,
        peer_id: p.open_user_id.unwrap(),
    });
    eventually(10, "stored", || async {
        stored_async(&desk).await.len() == 1
    })
    .await;
    let sent = desk.send_text(&id, "您好，今天满30减5").await.unwrap();
    desk.wait_sent(&sent.key, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let ours = |h: &imdesk_core::view::HistoryPage| {
        h.messages
            .iter()
            .find(|m| m.author == imdesk_core::view::Author::Merchant)
            .cloned()
            .unwrap()
    };
    let before = desk.history(&id, None, 50).await.unwrap();
    assert!(!ours(&before).read);
    // The read time is compared with cts in ms; read strictly after our send.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    sb.customer_reads(&store, p.open_user_id.unwrap()).unwrap();
    eventually(10, "our message read", || async {
        ours(&desk.history(&id, None, 50).await.unwrap()).read
    })
    .await;
    eventually(5, "the UI was told", || async { sink.changed(&id) }).await;
    desk.shutdown().await;
}

/// In the developer scope any store's token may ask for the connection: when the first
/// store's authorisation lapses, the sockets come back on another store's token and that
/// store's customers are still heard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_stores_lapsed_token_does_not_cut_the_developers_pushes() {
    let sb = sandbox_in(PushScope::Developer, Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    connected(&sb, 3).await;
    let first = sb.stores()[0].epoi_id.clone();
    sb.expire_store_tokens(&first).unwrap();
    sb.drop_connections(DropMode::Reset);
    connected(&sb, 3).await;
    let pushed = sb
        .customer_says(CustomerMessage::text(&first, ChatKind::PreOrder, "还在吗"))
        .unwrap();
    assert_stored_once(&desk, &[pushed]).await;
    desk.shutdown().await;
}
