//! The benchmarks' bare baseline writes the rows ingest would: messages, their search rows
//! and the conversations they reference, readable through the store's own queries.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use common::{customer, merchant, T0};
use imdesk_store::bench_support::bare_insert;
use imdesk_store::{NewMessage, SearchFilter, Store, StoreOptions};

#[test]
fn bare_insert_writes_messages_search_rows_and_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bare.sqlite3");
    drop(Store::open(&path, StoreOptions::default()).unwrap());
    let rows = vec![
        customer("s1", 7, 1, T0, "我要申请退款"),
        merchant("s1", 7, 2, T0 + 1, "好的马上处理"),
        customer("s2", 8, 3, T0 + 2, "发票抬头"),
        NewMessage {
            open_user_id: None,
            ..customer("s1", 9, 4, T0 + 3, "no conversation key")
        },
    ];
    let rate = bare_insert(&path, &rows, 2).unwrap();
    assert!(rate.wall > 0.0);

    let store = Store::open(&path, StoreOptions::default()).unwrap();
    let hits = store
        .search("退款".into(), SearchFilter::default())
        .unwrap();
    assert_eq!(hits.len(), 1);
    let history = store.history(hits[0].conversation_id, None, 50).unwrap();
    let ids: Vec<i64> = history.iter().map(|m| m.msg_id).collect();
    assert_eq!(ids, [1, 2], "both messages of (s1, 7) in one conversation");
    assert_eq!(
        store
            .search("发票".into(), SearchFilter::default())
            .unwrap()[0]
            .store,
        "s2"
    );
    let all = store
        .export_messages(&Default::default(), |_| true)
        .unwrap();
    assert_eq!(all, 3, "the row without a conversation key is skipped");
}
