//! Inbox pages: order by deadline then recency, filters, cursors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use common::*;
use imdesk_store::{InboxCursor, InboxFilter, IngestOutcome, NewMessage, OrderState};

fn ids(list: &[imdesk_store::Conversation]) -> Vec<i64> {
    list.iter().map(|c| c.key.peer_id).collect()
}

/// Users 1..=5 in s1 and s2, with clocks and without.
fn setup(store: &imdesk_store::Store) {
    let out = store
        .ingest(vec![
            customer("s1", 1, 1, T0, "normal, due T0+5"),
            urgent("s1", 2, 2, T0 + 3 * MINUTE, "urgent, due T0+4"),
            NewMessage {
                has_reply: 0,
                ..customer("s1", 3, 3, T0 + 10 * MINUTE, "no clock, newest")
            },
            NewMessage {
                has_reply: 0,
                ..customer("s2", 4, 4, T0 + 9 * MINUTE, "no clock, older")
            },
            about_order("s2", 5, 5, T0 + MINUTE, 77, "normal, due T0+6"),
        ])
        .unwrap();
    assert!(out
        .iter()
        .all(|o| matches!(o, IngestOutcome::Inserted { .. })));
}

#[test]
fn running_clocks_first_by_deadline_then_newest() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    setup(&store);
    let page = store.inbox(InboxFilter::default()).unwrap();
    assert_eq!(ids(&page), vec![2, 1, 5, 3, 4]);

    // Paging with a cursor continues exactly where the page ended.
    let first = store
        .inbox(InboxFilter {
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    let after = Some(InboxCursor::from(first.last().unwrap()));
    let rest = store
        .inbox(InboxFilter {
            after,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&first), vec![2, 1]);
    assert_eq!(ids(&rest), vec![5, 3, 4]);

    // A reply moves a conversation out of the clock section.
    store
        .ingest(vec![merchant("s1", 2, 10, T0 + 4 * MINUTE, "好的")])
        .unwrap();
    let page = store.inbox(InboxFilter::default()).unwrap();
    assert_eq!(ids(&page), vec![1, 5, 3, 4, 2]);
}

#[test]
fn filters() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    setup(&store);
    let by = |f: InboxFilter| ids(&store.inbox(f).unwrap());
    assert_eq!(
        by(InboxFilter {
            store: Some("s2".into()),
            ..Default::default()
        }),
        vec![5, 4]
    );
    assert_eq!(
        by(InboxFilter {
            urgent_only: true,
            ..Default::default()
        }),
        vec![2]
    );
    assert_eq!(
        by(InboxFilter {
            biz_type: Some(5),
            ..Default::default()
        }),
        Vec::<i64>::new()
    );
    assert_eq!(
        by(InboxFilter {
            order_state: Some(OrderState::InProgress),
            ..Default::default()
        }),
        vec![5]
    );
    store
        .block_customer("s1".into(), 1, "辱骂".into(), T0)
        .unwrap();
    assert!(store.is_blocked("s1".into(), 1).unwrap());
    assert_eq!(
        by(InboxFilter {
            blocked: Some(true),
            ..Default::default()
        }),
        vec![1]
    );
    assert_eq!(
        by(InboxFilter {
            blocked: Some(false),
            ..Default::default()
        }),
        vec![2, 5, 3, 4]
    );
    store.unblock_customer("s1".into(), 1).unwrap();
    assert_eq!(
        by(InboxFilter {
            blocked: Some(true),
            ..Default::default()
        }),
        Vec::<i64>::new()
    );
    store.upsert_order(completed_order(77, "s2", T0)).unwrap();
    assert_eq!(
        by(InboxFilter {
            order_state: Some(OrderState::Completed),
            ..Default::default()
        }),
        vec![5]
    );
    assert_eq!(
        by(InboxFilter {
            store: Some("s1".into()),
            limit: 1,
            ..Default::default()
        }),
        vec![2]
    );
}

#[test]
fn a_customer_blocked_before_writing_starts_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .block_customer("s1".into(), 9, "spam".into(), T0)
        .unwrap();
    store.ingest(vec![customer("s1", 9, 1, T0, "hi")]).unwrap();
    let page = store.inbox(InboxFilter::default()).unwrap();
    assert!(page[0].blocked);
}
