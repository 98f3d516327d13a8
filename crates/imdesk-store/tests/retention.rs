//! Retention and forgetting: pruned rows are gone from the messages, the full-text index and,
//! after a checkpoint, from the bytes of the database file and its WAL; a full disk stops a
//! run cleanly with nothing lost; settings (a team desk's stream position) stay.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use common::*;
use imdesk_store::{PruneLimits, SearchFilter, Store, StoreOptions};
use rusqlite::Connection;

const DAY: i64 = 24 * HOUR;

/// Occurrences of `needle` in the database file and its WAL.
fn on_disk(dir: &tempfile::TempDir, needle: &str) -> usize {
    ["cache.sqlite3", "cache.sqlite3-wal"]
        .iter()
        .map(|name| {
            let bytes = std::fs::read(dir.path().join(name)).unwrap_or_default();
            bytes
                .windows(needle.len())
                .filter(|w| *w == needle.as_bytes())
                .count()
        })
        .sum()
}

fn count(dir: &tempfile::TempDir, sql: &str) -> i64 {
    Connection::open(dir.path().join("cache.sqlite3"))
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

fn search(store: &Store, q: &str) -> usize {
    store
        .search(q.into(), SearchFilter::default())
        .unwrap()
        .len()
}

/// An old customer (all messages past retention), a customer with old and new messages, and
/// an order completed long ago beside a recent one.
fn seed(store: &Store) {
    let old = T0 - 200 * DAY;
    store
        .ingest(vec![
            about_order(
                "s1",
                1,
                1,
                old,
                501,
                "我家在幸福路88号 oldsecretalpha 电话尾号1234",
            ),
            merchant("s1", 1, 2, old + MINUTE, "收到 oldsecretbeta"),
            customer("s1", 2, 3, old, "以前的消息 oldsecretgamma"),
            customer("s1", 2, 4, T0 - DAY, "最近的消息 keepmedelta"),
        ])
        .unwrap();
    store
        .upsert_order(completed_order(501, "s1", old + HOUR))
        .unwrap();
    store
        .upsert_order(completed_order(502, "s1", T0 - 2 * DAY))
        .unwrap();
    // Many old messages, so that pruning frees whole pages (and runs several batches).
    let filler: Vec<_> = (0..600)
        .map(|i| {
            customer(
                "s1",
                100 + i % 7,
                1000 + i,
                old + i,
                &format!("旧消息填充内容 oldfillerword{i:04} 地址某某小区{i}号楼"),
            )
        })
        .collect();
    store.ingest(filler).unwrap();
}

#[test]
fn pruned_messages_leave_the_table_the_index_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    seed(&store);
    store
        .set_setting("team.stream_seq".into(), "4242".into())
        .unwrap();
    let user1 = store
        .find_conversation(imdesk_store::ConversationKey::of("s1", 1, Some(1), None).unwrap())
        .unwrap()
        .unwrap();
    store
        .set_draft(user1.id, "草稿 olddraftword".into(), T0)
        .unwrap();
    assert_eq!(search(&store, "oldsecretalpha"), 1);

    let pruned = store
        .prune(PruneLimits {
            messages_before_ms: Some(T0 - 180 * DAY),
            orders_completed_before_ms: Some(T0 - 30 * DAY),
            batch: 100,
        })
        .unwrap();
    assert_eq!(pruned.messages, 603);
    assert_eq!(pruned.orders, 1);
    assert!(pruned.conversations >= 1);

    // Gone from queries and the index; the recent message and order stay.
    assert_eq!(search(&store, "oldsecretalpha"), 0);
    assert_eq!(search(&store, "幸福路"), 0);
    assert_eq!(search(&store, "oldfillerword0001"), 0);
    assert_eq!(search(&store, "keepmedelta"), 1);
    assert_eq!(count(&dir, "SELECT count(*) FROM messages"), 1);
    assert_eq!(
        count(
            &dir,
            "SELECT count(*) FROM message_search WHERE message_search MATCH 'oldsecretgamma'"
        ),
        0
    );
    assert!(store.order(501).unwrap().is_none());
    assert!(store.order(502).unwrap().is_some());
    // The old customer's conversation went with its draft; the other shows its new message.
    assert!(store.conversation(user1.id).unwrap().is_none());
    assert!(store.draft(user1.id).unwrap().is_none());
    let user2 = store
        .find_conversation(imdesk_store::ConversationKey::of("s1", 1, Some(2), None).unwrap())
        .unwrap()
        .unwrap();
    assert!(user2
        .last_msg_preview
        .as_deref()
        .unwrap()
        .contains("keepmedelta"));
    // A team desk's stream position is not a retention matter.
    assert_eq!(
        store.setting("team.stream_seq".into()).unwrap().as_deref(),
        Some("4242")
    );
    assert_eq!(
        count(
            &dir,
            "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"
        ),
        0
    );
    Connection::open(dir.path().join("cache.sqlite3"))
        .unwrap()
        .execute_batch("INSERT INTO message_search (message_search) VALUES ('integrity-check')")
        .unwrap();

    // Gone from the bytes once the WAL is copied back and truncated.
    assert!(store.checkpoint_truncate().unwrap());
    for needle in [
        "oldsecretalpha",
        "oldsecretbeta",
        "oldsecretgamma",
        "oldfillerword0001",
        "oldfillerword0599",
        "olddraftword",
        "幸福路88号",
    ] {
        assert_eq!(on_disk(&dir, needle), 0, "{needle} still on disk");
    }
    assert!(on_disk(&dir, "keepmedelta") > 0);
}

#[test]
fn forgetting_a_customer_deletes_their_messages_conversation_orders_and_draft() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    seed(&store);
    let user1 = store
        .find_conversation(imdesk_store::ConversationKey::of("s1", 1, Some(1), None).unwrap())
        .unwrap()
        .unwrap();
    store
        .set_draft(user1.id, "草稿 forgetdraft".into(), T0)
        .unwrap();
    // A reply still queued (the order's after-sale window has closed, so written directly).
    Connection::open(dir.path().join("cache.sqlite3"))
        .unwrap()
        .execute(
            "INSERT INTO outbox (conversation_id, store, biz_type, msg_id, msg_type, text,
                 created_at_ms, updated_at_ms)
             VALUES (?1, 's1', 1, 777, 1, '未发出 forgetqueued', ?2, ?2)",
            rusqlite::params![user1.id, T0],
        )
        .unwrap();
    let forgotten = store.forget_customer("s1", 1, 1).unwrap();
    assert_eq!(forgotten.messages, 2);
    assert_eq!(forgotten.orders, 1);
    assert_eq!(forgotten.conversations, 1);
    assert!(store.conversation(user1.id).unwrap().is_none());
    assert_eq!(search(&store, "oldsecretalpha"), 0);
    assert_eq!(
        search(&store, "oldsecretgamma"),
        1,
        "another customer stays"
    );
    assert!(store.order(501).unwrap().is_none());
    assert!(store.checkpoint_truncate().unwrap());
    for needle in [
        "oldsecretalpha",
        "oldsecretbeta",
        "forgetdraft",
        "forgetqueued",
    ] {
        assert_eq!(on_disk(&dir, needle), 0, "{needle} still on disk");
    }
}

#[test]
fn a_full_disk_stops_pruning_with_a_clear_error_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    seed(&store);
    let before = count(&dir, "SELECT count(*) FROM messages");
    let pages = count(&dir, "PRAGMA page_count");
    store.limit_pages(Some(pages as u32)).unwrap();
    // Fill the last free pages so that the next write needs a new one.
    let mut n = 0;
    while store
        .set_setting(format!("pad.{n}"), "x".repeat(3000))
        .is_ok()
    {
        n += 1;
    }
    let err = store
        .prune(PruneLimits {
            messages_before_ms: Some(T0 - 180 * DAY),
            orders_completed_before_ms: Some(T0 - 30 * DAY),
            batch: 100,
        })
        .unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    // The failed job's rows are all there; earlier jobs, if any, deleted whole messages.
    let after = count(&dir, "SELECT count(*) FROM messages");
    assert!(after <= before);
    let indexed = count(
        &dir,
        "SELECT count(*) FROM messages m WHERE m.text IS NOT NULL",
    );
    assert_eq!(indexed, after);
    // The store keeps working, and pruning completes once there is room again.
    store.limit_pages(None).unwrap();
    store
        .prune(PruneLimits {
            messages_before_ms: Some(T0 - 180 * DAY),
            orders_completed_before_ms: Some(T0 - 30 * DAY),
            batch: 100,
        })
        .unwrap();
    assert_eq!(count(&dir, "SELECT count(*) FROM messages"), 1);
    assert_eq!(search(&store, "keepmedelta"), 1);
}

#[test]
fn a_v8_cache_upgrades_to_a_deletable_index_that_still_finds_its_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    {
        let mut conn = Connection::open(&path).unwrap();
        imdesk_store::schema::migrate_to(&mut conn, 8).unwrap();
    }
    {
        // As a v8 build's ingest wrote it, into the old contentless index.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO conversations (id, store, biz_type, peer_id, open_user_id)
                 VALUES (1, 's1', 1, 1, 1);
             INSERT INTO messages (id, conversation_id, store, biz_type, msg_id, msg_source,
                 msg_type, text, cts_ms, open_user_id, received_at_ms)
                 VALUES (1, 1, 's1', 1, 1, 1, 1, '升级前的消息 upgradeword', 0, 1, 0);",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO message_search (rowid, body) VALUES (1, ?1)",
            [imdesk_store::search_text::index_text(
                "升级前的消息 upgradeword",
            )],
        )
        .unwrap();
    }
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    assert_eq!(search(&store, "upgradeword"), 1);
    assert_eq!(search(&store, "升级"), 1);
    let forgotten = store.forget_customer("s1", 1, 10).unwrap();
    assert_eq!(forgotten.messages, 1);
    assert_eq!(search(&store, "upgradeword"), 0);
}
