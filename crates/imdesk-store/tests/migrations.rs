//! Every earlier schema upgrades to one equal to a fresh database.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

use imdesk_store::schema::{latest_version, migrate_to, version};
use imdesk_store::{FailureKind, SendFailure, Store, StoreOptions};
use rusqlite::Connection;

fn schema_of(path: &std::path::Path) -> Vec<(String, String, String, Option<String>)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn every_earlier_version_upgrades_to_the_fresh_schema() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.sqlite3");
    drop(Store::open(&fresh, StoreOptions::default()).unwrap());
    let expected = schema_of(&fresh);
    assert!(expected
        .iter()
        .any(|(_, name, _, _)| name == "reply_events"));
    assert_eq!(
        version(&Connection::open(&fresh).unwrap()).unwrap(),
        latest_version()
    );

    for old in 0..latest_version() {
        let path = dir.path().join(format!("v{old}.sqlite3"));
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, old).unwrap();
            assert_eq!(version(&conn).unwrap(), old);
            if old >= 1 {
                conn.execute(
                    "INSERT INTO stores (epoi_id, name) VALUES ('s1', '望京店')",
                    [],
                )
                .unwrap();
            }
        }
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        if old >= 1 {
            assert_eq!(
                store.stores().unwrap()[0].name,
                "望京店",
                "data kept from v{old}"
            );
        }
        drop(store);
        assert_eq!(schema_of(&path), expected, "upgrade from v{old}");
        assert_eq!(
            version(&Connection::open(&path).unwrap()).unwrap(),
            latest_version()
        );
    }
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite3");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", latest_version() + 1)
        .unwrap();
    let err = Store::open(&path, StoreOptions::default()).unwrap_err();
    assert!(
        matches!(err, imdesk_store::StoreError::SchemaTooNew { .. }),
        "{err}"
    );
}

/// Version 6 drops the per-store inbox index; a store's inbox page keeps its rows and order.
#[test]
fn a_v5_cache_upgrades_without_the_store_inbox_index_and_keeps_store_pages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.sqlite3");
    {
        let mut conn = Connection::open(&path).unwrap();
        migrate_to(&mut conn, 5).unwrap();
        // Three conversations of s1 (one with a running clock) and one of s2.
        conn.execute_batch(
            "INSERT INTO conversations (store, biz_type, peer_id, open_user_id, last_msg_at_ms, deadline_ms)
             VALUES ('s1', 1, 11, 11, 1000, NULL),
                    ('s1', 1, 12, 12, 3000, NULL),
                    ('s2', 1, 21, 21, 5000, NULL),
                    ('s1', 1, 13, 13, 2000, 9000);",
        )
        .unwrap();
    }
    let index_count = |name: &str| -> i64 {
        Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(index_count("conversations_store_inbox"), 1, "v5 has it");
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    let query = imdesk_store::InboxQuery {
        store: Some("s1".into()),
        ..Default::default()
    };
    let page = store.inbox(query, 0).unwrap();
    let peers: Vec<i64> = page
        .rows
        .iter()
        .map(|r| r.conversation.key.peer_id)
        .collect();
    assert_eq!(
        peers,
        [13, 12, 11],
        "running clock first, then newest first"
    );
    drop(store);
    assert_eq!(index_count("conversations_store_inbox"), 0, "v6 dropped it");
    assert_eq!(
        index_count("conversations_inbox"),
        1,
        "the brand inbox keeps its index"
    );
}

/// Version 7 splits the failure strings the core formatted into typed columns.
#[test]
fn a_v6_failure_row_becomes_typed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.sqlite3");
    {
        let mut conn = Connection::open(&path).unwrap();
        migrate_to(&mut conn, 6).unwrap();
        conn.execute_batch(
            "INSERT INTO conversations (id, store, biz_type, peer_id, open_user_id)
                 VALUES (1, 's1', 1, 11, 11);
             INSERT INTO outbox (id, conversation_id, store, biz_type, msg_id, msg_type, text,
                     state, last_error_code, last_error_message, created_at_ms, updated_at_ms)
             VALUES
                 (1, 1, 's1', 1, 101, 1, 'a', 3, 1,
                  'OP_PARAM_INVALID: msg_content: bad (traceId abc-1)', 0, 0),
                 (2, 1, 's1', 1, 102, 1, 'b', 3, 1, 'OP_LIMIT: too fast (traceId -)', 0, 0),
                 (3, 1, 's1', 1, 103, 1, 'c', 3, 2, 'network: timeout', 0, 0),
                 (4, 1, 's1', 1, 104, 1, 'd', 3, 3, 'no credentials for this store', 0, 0),
                 (5, 1, 's1', 1, 105, 1, 'e', 0, NULL, NULL, 0, 0);",
        )
        .unwrap();
    }
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    let failure = |id| store.outbox_item(id).unwrap().unwrap().last_error;
    let typed = |kind, code: Option<&str>, trace: Option<&str>, message: &str| {
        Some(SendFailure {
            kind,
            platform_code: code.map(str::to_owned),
            trace_id: trace.map(str::to_owned),
            message: message.to_owned(),
        })
    };
    assert_eq!(
        failure(1),
        typed(
            FailureKind::Platform,
            Some("OP_PARAM_INVALID"),
            Some("abc-1"),
            "msg_content: bad"
        )
    );
    assert_eq!(
        failure(2),
        typed(FailureKind::Platform, Some("OP_LIMIT"), None, "too fast")
    );
    assert_eq!(
        failure(3),
        typed(FailureKind::Network, None, None, "timeout")
    );
    assert_eq!(
        failure(4),
        typed(
            FailureKind::Local,
            None,
            None,
            "no credentials for this store"
        )
    );
    assert_eq!(failure(5), None);
}
