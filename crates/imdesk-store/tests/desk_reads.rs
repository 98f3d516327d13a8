//! The named reads and writes the desk's background tasks use: read receipts to poll, orders
//! to fetch, the conversations of an order, and a conversation opened before any message.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use common::*;
use imdesk_store::{ConversationKey, OrderRecord, OrderState, StoreError};

#[test]
fn unread_receipts_are_our_unread_last_messages_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .ingest(vec![
            customer("s1", 1, 1, T0, "在吗"),
            merchant("s1", 1, 2, T0 + 1000, "在的"),
            customer("s1", 2, 3, T0, "在吗"),
            merchant("s1", 2, 4, T0 + 2000, "在的"),
            merchant("s1", 3, 5, T0 - HOUR, "old"),
            customer("s1", 4, 6, T0 + 3000, "the customer's turn"),
        ])
        .unwrap();
    let peers = |since, limit| -> Vec<i64> {
        let list = store.unread_receipts(since, limit).unwrap();
        list.iter().map(|c| c.key.peer_id).collect()
    };
    assert_eq!(peers(T0 - MINUTE, 10), vec![2, 1]);
    assert_eq!(peers(T0 - MINUTE, 1), vec![2]);
    assert_eq!(peers(T0 - 2 * HOUR, 10), vec![2, 1, 3]);
    // Once the customer read up to our message, it is no longer polled.
    let id = store.unread_receipts(T0 - MINUTE, 1).unwrap()[0].id;
    store.set_customer_read_time(id, T0 + 2000).unwrap();
    assert_eq!(peers(T0 - MINUTE, 10), vec![1]);
}

#[test]
fn orders_to_fetch_are_unknown_or_stale_open_orders_of_active_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .ingest(vec![
            about_order("s1", 1, 1, T0, 11, "unknown order"),
            about_order("s1", 2, 2, T0 + 1000, 12, "open, fetched long ago"),
            about_order("s1", 3, 3, T0 + 2000, 13, "open, fetched just now"),
            about_order("s2", 4, 4, T0 + 3000, 14, "completed"),
            about_order("s1", 5, 5, T0 - HOUR, 15, "inactive"),
        ])
        .unwrap();
    let open_order = |order_id, fetched_at_ms| OrderRecord {
        order_id,
        store: "s1".into(),
        status: 4,
        completed_at_ms: None,
        json: "{}".into(),
        fetched_at_ms,
    };
    store.upsert_order(open_order(12, T0 - HOUR)).unwrap();
    store.upsert_order(open_order(13, T0)).unwrap();
    store.upsert_order(completed_order(14, "s2", T0)).unwrap();
    let due = store.orders_to_fetch(T0 - MINUTE, T0 - MINUTE, 10).unwrap();
    assert_eq!(due, vec![("s1".to_owned(), 12), ("s1".to_owned(), 11)]);
    assert_eq!(
        store
            .orders_to_fetch(T0 - MINUTE, T0 - MINUTE, 1)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.conversations_of_order(12).unwrap(),
        vec![ConversationKey {
            store: "s1".into(),
            biz_type: 1,
            peer_id: 2
        }]
    );
    assert!(store.conversations_of_order(99).unwrap().is_empty());
}

#[test]
fn an_order_of_several_conversations_is_fetched_once_where_it_was_last_active() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .ingest(vec![
            about_order("s1", 1, 1, T0, 21, "the customer about order 21"),
            about_order("s2", 2, 2, T0 + 1000, 22, "order 22"),
            about_order("s3", 3, 3, T0 + 2000, 21, "order 21 again, elsewhere"),
            about_order("s1", 4, 4, T0 + 3000, 23, "order 23"),
        ])
        .unwrap();
    let due = store.orders_to_fetch(T0 - MINUTE, T0 - MINUTE, 10).unwrap();
    assert_eq!(
        due,
        vec![
            ("s1".to_owned(), 23),
            ("s3".to_owned(), 21),
            ("s2".to_owned(), 22)
        ]
    );
    // The limit counts orders, not conversations.
    assert_eq!(
        store.orders_to_fetch(T0 - MINUTE, T0 - MINUTE, 2).unwrap(),
        vec![("s1".to_owned(), 23), ("s3".to_owned(), 21)]
    );
}

#[test]
fn ensure_conversation_creates_once_and_records_a_new_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .block_customer("s1".into(), 7, "spam".into(), T0)
        .unwrap();
    let made = store
        .ensure_conversation("s1".into(), 1, Some(7), None, Some(0))
        .unwrap();
    assert_eq!(
        (
            made.key.peer_id,
            made.order_id,
            made.order_state,
            made.blocked
        ),
        (7, None, OrderState::PreOrder, true),
        "order 0 is no order; a blocked customer starts blocked"
    );
    let again = store
        .ensure_conversation("s1".into(), 1, Some(7), None, Some(42))
        .unwrap();
    assert_eq!(again.id, made.id);
    assert_eq!(
        (again.order_id, again.order_state),
        (Some(42), OrderState::InProgress)
    );
    // Without an order the one recorded stays; a message then lands in the same row.
    let kept = store
        .ensure_conversation("s1".into(), 1, Some(7), None, None)
        .unwrap();
    assert_eq!(kept.order_id, Some(42));
    store.ingest(vec![customer("s1", 7, 1, T0, "hi")]).unwrap();
    let found = store.find_conversation(made.key.clone()).unwrap().unwrap();
    assert_eq!((found.id, found.unread_count), (made.id, 1));

    let group = store
        .ensure_conversation("s1".into(), 6, Some(7), Some(600), None)
        .unwrap();
    assert_eq!((group.key.peer_id, group.open_user_id), (600, Some(7)));
    assert!(matches!(
        store.ensure_conversation("s1".into(), 5, None, None, None),
        Err(StoreError::NoConversationKey { biz_type: 5 })
    ));
}
