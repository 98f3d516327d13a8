//! Ingest writes each conversation once per batch: a batch holding several messages of the
//! same conversations must leave exactly the rows that ingesting them one call at a time
//! leaves (conversation summaries, reply clocks, unread counts, order context, reply log,
//! outcomes). Checked over many generated sequences (a seeded property test).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use common::*;
use imdesk_store::{
    Conversation, IngestOutcome, NewMessage, OrderRecord, Store, SOURCE_CUSTOMER, SOURCE_MERCHANT,
};

/// xorshift64*: the same cases on every run, no extra dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A sequence of messages over a few conversations of two stores: customers and merchants,
/// out-of-order send times, urgent complaints, orders coming and going, group chats with
/// names, messages without text, and repeated msg_ids (duplicates).
fn case(seed: u64) -> Vec<NewMessage> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let len = 1 + rng.below(40) as usize;
    let mut out: Vec<NewMessage> = Vec::with_capacity(len);
    for i in 0..len {
        if !out.is_empty() && rng.below(12) == 0 {
            let again = out[rng.below(out.len() as u64) as usize].clone();
            out.push(again);
            continue;
        }
        let store = if rng.below(4) == 0 { "s2" } else { "s1" };
        let user = 1 + rng.below(3) as i64;
        // Mostly forward in time, sometimes an older message arriving late, sometimes a tie.
        let cts = T0 + (i as i64) * 20_000 - rng.below(3) as i64 * 90_000;
        let text = format!("消息{i}");
        let mut m = match rng.below(10) {
            0..=4 => customer(store, user, 1000 + i as i64, cts, &text),
            5 => urgent(store, user, 1000 + i as i64, cts, &text),
            _ => merchant(store, user, 1000 + i as i64, cts, &text),
        };
        m.order_id = match rng.below(4) {
            0 => None,
            1 => Some(0),
            2 => Some(500 + user),
            _ => Some(900 + rng.below(2) as i64),
        };
        if rng.below(8) == 0 {
            m.has_reply = 0;
        }
        if rng.below(10) == 0 {
            m.text = None;
        }
        if rng.below(6) == 0 {
            // A fans group, keyed by group_id; its name comes and goes.
            m.biz_type = 5;
            m.open_user_id = None;
            m.group_id = Some(70 + user);
            m.group_name = (rng.below(2) == 0).then(|| format!("粉丝群{}", rng.below(3)));
        }
        if rng.below(15) == 0 {
            m.comment_id = Some(rng.below(5) as i64);
            m.rider_id = Some(rng.below(5) as i64);
        }
        assert!(m.msg_source == SOURCE_CUSTOMER || m.msg_source == SOURCE_MERCHANT);
        out.push(m);
    }
    out
}

/// The same order cache in both stores: order 900 is completed, 901 in progress.
fn with_orders(store: &Store) {
    for (order_id, completed_at_ms) in [(900, Some(T0 - MINUTE)), (901, None)] {
        store
            .upsert_order(OrderRecord {
                order_id,
                store: "s1".into(),
                status: if completed_at_ms.is_some() { 8 } else { 4 },
                completed_at_ms,
                json: "{}".into(),
                fetched_at_ms: T0,
            })
            .unwrap();
    }
}

type ReplyEvent = (i64, String, i64, i64, i64, bool, bool, Option<i64>);

/// Every conversation row and every reply-log row, in id order.
fn snapshot(store: &Store) -> (Vec<Conversation>, Vec<ReplyEvent>) {
    let mut conversations = Vec::new();
    for id in 1.. {
        match store.conversation(id).unwrap() {
            Some(c) => conversations.push(c),
            None => break,
        }
    }
    let events = store
        .raw_read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, store, conversation_id, message_id, customer_at_ms, urgent,
                     started_clock, replied_at_ms FROM reply_events ORDER BY id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<ReplyEvent>>>()?;
            Ok(rows)
        })
        .unwrap();
    (conversations, events)
}

#[test]
fn a_batch_leaves_the_same_rows_as_one_message_per_call() {
    let (mut conversations, mut inserted) = (0, 0);
    for seed in 0..60 {
        let messages = case(seed);
        let dir = tempfile::tempdir().unwrap();
        let batched = Store::open(dir.path().join("batched.sqlite3"), Default::default()).unwrap();
        let single = Store::open(dir.path().join("single.sqlite3"), Default::default()).unwrap();
        with_orders(&batched);
        with_orders(&single);
        let batch_outcomes = batched.ingest(messages.clone()).unwrap();
        let single_outcomes: Vec<IngestOutcome> = messages
            .iter()
            .flat_map(|m| single.ingest(vec![m.clone()]).unwrap())
            .collect();
        assert_eq!(batch_outcomes, single_outcomes, "outcomes, seed {seed}");
        let (batch_rows, batch_events) = snapshot(&batched);
        let (single_rows, single_events) = snapshot(&single);
        assert_eq!(batch_rows, single_rows, "conversations, seed {seed}");
        assert_eq!(batch_events, single_events, "reply log, seed {seed}");
        conversations += batch_rows.len();
        inserted += batch_outcomes
            .iter()
            .filter(|o| matches!(o, IngestOutcome::Inserted { .. }))
            .count();
    }
    // The cases really put several messages of a conversation into one batch.
    assert!(
        inserted > 2 * conversations,
        "{inserted} in {conversations}"
    );
}

#[test]
fn a_batch_continues_summaries_left_by_earlier_batches() {
    let dir = tempfile::tempdir().unwrap();
    let batched = Store::open(dir.path().join("batched.sqlite3"), Default::default()).unwrap();
    let single = Store::open(dir.path().join("single.sqlite3"), Default::default()).unwrap();
    for seed in 1000..1010 {
        // Same msg_id ranges across seeds: later cases also re-push earlier messages.
        let messages = case(seed);
        batched.ingest(messages.clone()).unwrap();
        for m in messages {
            single.ingest(vec![m]).unwrap();
        }
        assert_eq!(snapshot(&batched), snapshot(&single), "after seed {seed}");
    }
}

#[test]
fn the_preview_is_the_start_of_the_last_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let long: String = "退款".repeat(40);
    let out = store
        .ingest(vec![
            customer("s1", 1, 1, T0, &long),
            customer("s1", 1, 2, T0 - 1000, "更早的消息"),
        ])
        .unwrap();
    let IngestOutcome::Inserted {
        conversation_id, ..
    } = out[0]
    else {
        panic!("not stored: {out:?}")
    };
    let conv = store.conversation(conversation_id).unwrap().unwrap();
    let expected: String = long.chars().take(60).collect();
    assert_eq!(conv.last_msg_preview.as_deref(), Some(expected.as_str()));
    let undecryptable = NewMessage {
        text: None,
        decrypt_failed: true,
        ..customer("s1", 1, 3, T0 + 1000, "")
    };
    store.ingest(vec![undecryptable]).unwrap();
    let page = store.inbox(Default::default(), T0).unwrap();
    assert_eq!(page.rows[0].conversation.id, conversation_id);
    assert_eq!(page.rows[0].conversation.last_msg_preview, None);
}

/// Batches queued one after another are written in queue order, whoever awaits first: the
/// second batch's copy of a message from the first is a duplicate, and the second batch's
/// reply stops the clock the first batch started.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn queued_batches_commit_in_queue_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = store
        .ingest_queued(vec![customer("s1", 7, 1, T0, "在吗")])
        .unwrap();
    let second = store
        .ingest_queued(vec![
            customer("s1", 7, 1, T0, "在吗"),
            merchant("s1", 7, 2, T0 + MINUTE, "在的"),
        ])
        .unwrap();
    let later = second.committed().await.unwrap();
    let earlier = first.committed().await.unwrap();
    let IngestOutcome::Inserted {
        message_id,
        conversation_id,
        ..
    } = earlier[0]
    else {
        panic!("the first copy is stored: {earlier:?}")
    };
    assert_eq!(
        later[0],
        IngestOutcome::Duplicate {
            message_id,
            conversation_id
        }
    );
    assert!(matches!(later[1], IngestOutcome::Inserted { .. }));
    let c = store.conversation(conversation_id).unwrap().unwrap();
    assert_eq!(c.clock, None, "the reply stopped the clock");
}
