//! Inbox pages: order by deadline then recency, views, scenes, totals, keyset and offset
//! paging, and the one "needs attention" rule shared by the inbox, the counts and Rust.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use common::*;
use imdesk_store::{
    InboxCursor, InboxPage, InboxQuery, InboxView, IngestOutcome, NewMessage, NewOutboxMessage,
    OutboxRefusal, Store, StoreError,
};

fn ids(page: &InboxPage) -> Vec<i64> {
    page.rows
        .iter()
        .map(|r| r.conversation.key.peer_id)
        .collect()
}

fn view(store: &Store, view: InboxView, now: i64) -> Vec<i64> {
    let query = InboxQuery {
        view,
        ..Default::default()
    };
    ids(&store.inbox(query, now).unwrap())
}

/// Users 1..=5 in s1 and s2, with clocks and without.
fn setup(store: &Store) {
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
    let page = store.inbox(InboxQuery::default(), T0).unwrap();
    assert_eq!(ids(&page), vec![2, 1, 5, 3, 4]);
    assert_eq!(page.total, 5);
    let running: Vec<i64> = store
        .running_clocks()
        .unwrap()
        .iter()
        .map(|c| c.key.peer_id)
        .collect();
    assert_eq!(running, vec![2, 1, 5]);

    // Paging with a cursor continues exactly where the page ended; the total stays.
    let first = store
        .inbox(
            InboxQuery {
                limit: 2,
                ..Default::default()
            },
            T0,
        )
        .unwrap();
    let after = Some(InboxCursor::from(&first.rows[1].conversation));
    let rest = store
        .inbox(
            InboxQuery {
                after,
                ..Default::default()
            },
            T0,
        )
        .unwrap();
    assert_eq!(ids(&first), vec![2, 1]);
    assert_eq!(ids(&rest), vec![5, 3, 4]);
    assert_eq!((first.total, rest.total), (5, 5));

    // A reply moves a conversation out of the clock section.
    store
        .ingest(vec![merchant("s1", 2, 10, T0 + 4 * MINUTE, "好的")])
        .unwrap();
    assert_eq!(view(&store, InboxView::All, T0), vec![1, 5, 3, 4, 2]);
    assert_eq!(store.running_clocks().unwrap().len(), 2);
}

#[test]
fn a_running_clock_shows_its_newest_scene_since_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    setup(&store);
    // User 3's complaint was answered: no clock, so no scene.
    store
        .ingest(vec![
            urgent("s1", 3, 20, T0 + 11 * MINUTE, "投诉"),
            merchant("s1", 3, 21, T0 + 12 * MINUTE, "抱歉"),
        ])
        .unwrap();
    let page = store.inbox(InboxQuery::default(), T0).unwrap();
    let scene = |peer: i64| {
        page.rows
            .iter()
            .find(|r| r.conversation.key.peer_id == peer)
            .unwrap()
            .scene
            .clone()
    };
    assert_eq!(scene(2), Some((9003, "顾客投诉".into())));
    assert_eq!(scene(1), None, "a clock without a scene message");
    assert_eq!(scene(3), None, "no running clock");
}

#[test]
fn views() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    setup(&store);
    let s2 = InboxQuery {
        store: Some("s2".into()),
        ..Default::default()
    };
    let page = store.inbox(s2, T0).unwrap();
    assert_eq!((ids(&page), page.total), (vec![5, 4], 2));
    assert_eq!(view(&store, InboxView::PreOrder, T0), vec![2, 1, 3, 4]);
    assert_eq!(view(&store, InboxView::InProgress, T0), vec![5]);
    assert_eq!(
        view(&store, InboxView::ReviewContact, T0),
        Vec::<i64>::new()
    );

    store
        .block_customer("s1".into(), 1, "辱骂".into(), T0)
        .unwrap();
    assert!(store.is_blocked("s1".into(), 1).unwrap());
    assert_eq!(view(&store, InboxView::Blocked, T0), vec![1]);
    store.unblock_customer("s1".into(), 1).unwrap();
    assert_eq!(view(&store, InboxView::Blocked, T0), Vec::<i64>::new());

    let one = InboxQuery {
        store: Some("s1".into()),
        limit: 1,
        ..Default::default()
    };
    let page = store.inbox(one, T0).unwrap();
    assert_eq!((ids(&page), page.total), (vec![2], 3));
}

#[test]
fn group_views_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let group = |biz_type: i32, group_id: i64, msg_id: i64| NewMessage {
        biz_type,
        group_id: Some(group_id),
        ..customer("s1", 9, msg_id, T0 + msg_id, "群消息")
    };
    store
        .ingest(vec![group(4, 40, 1), group(5, 50, 2), group(6, 60, 3)])
        .unwrap();
    assert_eq!(view(&store, InboxView::ReviewContact, T0), vec![40]);
    assert_eq!(view(&store, InboxView::FansGroup, T0), vec![50]);
    assert_eq!(view(&store, InboxView::RiderGroup, T0), vec![60]);
    assert_eq!(view(&store, InboxView::PreOrder, T0), Vec::<i64>::new());
}

/// The after-sale view and the outbox close the window at the same instant.
#[test]
fn the_after_sale_window_closes_48_hours_after_completion() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    setup(&store);
    store.upsert_order(completed_order(77, "s2", T0)).unwrap();
    let closes = T0 + 48 * HOUR;
    assert_eq!(view(&store, InboxView::AfterSale, closes - 1), vec![5]);
    assert_eq!(
        view(&store, InboxView::InProgress, closes - 1),
        Vec::<i64>::new()
    );
    assert_eq!(
        view(&store, InboxView::AfterSale, closes),
        Vec::<i64>::new()
    );

    let id = store.running_clocks().unwrap()[2].id;
    let reply = |now_ms| {
        store.enqueue_outbox(NewOutboxMessage {
            conversation_id: id,
            msg_id: None,
            msg_type: 1,
            text: "您好".into(),
            now_ms,
        })
    };
    assert!(reply(closes - 1).is_ok());
    assert!(matches!(
        reply(closes),
        Err(StoreError::Refused(OutboxRefusal::AfterSaleClosed { .. }))
    ));
}

/// Attention is "urgent or overdue at now", the same in the inbox, the counts and Rust.
#[test]
fn attention_is_urgent_or_overdue_at_now() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    setup(&store);
    for (now, expected) in [
        (T0, vec![2]),                     // only the urgent clock
        (T0 + 5 * MINUTE, vec![2]),        // user 1 is due now, not yet overdue
        (T0 + 5 * MINUTE + 1, vec![2, 1]), // and now overdue
        (T0 + HOUR, vec![2, 1, 5]),
    ] {
        assert_eq!(
            view(&store, InboxView::Attention, now),
            expected,
            "at {now}"
        );
        let all = store.inbox(InboxQuery::default(), now).unwrap();
        let in_rust: Vec<i64> = all
            .rows
            .iter()
            .filter(|r| r.conversation.needs_attention(now))
            .map(|r| r.conversation.key.peer_id)
            .collect();
        assert_eq!(in_rust, expected, "Rust agrees at {now}");
        let counted: i64 = store
            .store_counts(now)
            .unwrap()
            .iter()
            .map(|c| c.attention)
            .sum();
        assert_eq!(counted, expected.len() as i64, "counts agree at {now}");
    }
    // Before any deadline: the urgent clock needs attention without being overdue.
    let counts = store.store_counts(T0).unwrap();
    assert_eq!(
        counts
            .iter()
            .map(|c| (c.store.as_str(), c.waiting, c.overdue, c.attention))
            .collect::<Vec<_>>(),
        vec![("s1", 2, 0, 1), ("s2", 1, 0, 0)]
    );
}

/// Page 40 through the cursor is page 40 by offset, ties on the inbox key included.
#[test]
fn keyset_page_40_equals_offset_page_40() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // 300 conversations; pairs share a last-message time (equal inbox keys), every third
    // has a running clock.
    let msgs = (0..300)
        .map(|i| NewMessage {
            has_reply: i32::from(i % 3 == 0),
            ..customer("s1", i, i, T0 + (i / 2) * 1000, "在吗")
        })
        .collect();
    store.ingest(msgs).unwrap();
    let page = |offset, after| {
        let query = InboxQuery {
            offset,
            after,
            limit: 5,
            ..Default::default()
        };
        store.inbox(query, T0).unwrap()
    };
    let mut after = None;
    let mut seen = Vec::new();
    for _ in 0..40 {
        let p = page(0, after);
        assert_eq!(p.total, 300);
        after = p.rows.last().map(|r| InboxCursor::from(&r.conversation));
        seen.extend(ids(&p));
    }
    let by_offset = page(195, None);
    assert_eq!(seen[195..], ids(&by_offset)[..]);
    let everything = store
        .inbox(
            InboxQuery {
                limit: 300,
                ..Default::default()
            },
            T0,
        )
        .unwrap();
    assert_eq!(seen[..], ids(&everything)[..200]);
    // An offset after a cursor skips from there.
    assert_eq!(ids(&page(5, after)), ids(&everything)[205..210]);
}

#[test]
fn a_customer_blocked_before_writing_starts_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .block_customer("s1".into(), 9, "spam".into(), T0)
        .unwrap();
    store.ingest(vec![customer("s1", 9, 1, T0, "hi")]).unwrap();
    let page = store.inbox(InboxQuery::default(), T0).unwrap();
    assert!(page.rows[0].conversation.blocked);
}
