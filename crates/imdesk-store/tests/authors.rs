//! Who wrote each team reply: recorded once, read back by conversation, counted on the wall
//! only once the reply reached the platform, and forgotten with the customer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use imdesk_store::{ConversationKey, ReplyAuthor};

const T0: i64 = 1_800_000_000_000;

fn author(peer: i64, msg_id: i64, agent: &str, at_ms: i64) -> ReplyAuthor {
    ReplyAuthor {
        key: ConversationKey {
            store: "s1".into(),
            biz_type: 1,
            peer_id: peer,
        },
        msg_id,
        agent: agent.into(),
        supervisor: agent == "sue",
        at_ms,
    }
}

#[test]
fn authors_are_kept_once_counted_when_sent_and_forgotten_with_the_customer() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .ingest(vec![
            customer("s1", 7, 1, T0, "在吗"),
            merchant("s1", 7, 100, T0 + 1_000, "在的"),
            merchant("s1", 7, 101, T0 + 2_000, "主管来了"),
        ])
        .unwrap();
    store
        .record_author(author(7, 100, "alice", T0 + 900))
        .unwrap();
    store
        .record_author(author(7, 101, "sue", T0 + 1_900))
        .unwrap();
    // The same reply again (a redelivered stream record): the first record stays.
    store
        .record_author(author(7, 100, "mallory", T0 + 950))
        .unwrap();
    // A reply that never reached the platform (refused, or failed).
    store
        .record_author(author(7, 102, "bob", T0 + 2_500))
        .unwrap();

    let key = author(7, 0, "", 0).key;
    let some = store.authors_in(key.clone(), vec![100, 101, 999]).unwrap();
    assert_eq!(
        some.iter()
            .map(|a| (a.msg_id, a.agent.as_str(), a.supervisor))
            .collect::<Vec<_>>(),
        [(100, "alice", false), (101, "sue", true)]
    );
    assert_eq!(
        store.last_author(key.clone()).unwrap().as_deref(),
        Some("bob")
    );
    let counted: Vec<String> = store
        .authors_between(T0, T0 + 10_000)
        .unwrap()
        .into_iter()
        .map(|a| a.agent)
        .collect();
    assert_eq!(counted, ["alice", "sue"]);
    let events = store.reply_events_between(T0, T0 + 10_000).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].key, key);
    assert_eq!(events[0].replied_at_ms, Some(T0 + 1_000));

    store.forget_customer("s1", 7, 100).unwrap();
    assert!(store
        .authors_in(key.clone(), vec![100, 101, 102])
        .unwrap()
        .is_empty());
    assert_eq!(store.last_author(key).unwrap(), None);
}
