//! Ingest: duplicates, conversation summaries, reply clocks, reply rates, order context.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use common::*;
use imdesk_store::{
    ClockPolicy, ConversationKey, IngestOutcome, NewMessage, OrderState, RateCounts, ReplyClock,
    ReplyRates, Store, StoreError, StoreOptions, SOURCE_CUSTOMER,
};

fn conversation_id(outcome: &IngestOutcome) -> i64 {
    match outcome {
        IngestOutcome::Inserted {
            conversation_id, ..
        }
        | IngestOutcome::Duplicate {
            conversation_id, ..
        } => *conversation_id,
        IngestOutcome::NoConversationKey => panic!("no conversation"),
    }
}

#[test]
fn duplicates_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let m = customer("s1", 7, 100, T0, "你好");
    let out = store.ingest(vec![m.clone(), m.clone()]).unwrap();
    assert!(matches!(out[0], IngestOutcome::Inserted { .. }));
    let IngestOutcome::Inserted {
        message_id,
        conversation_id,
        ..
    } = out[0]
    else {
        unreachable!()
    };
    assert_eq!(
        out[1],
        IngestOutcome::Duplicate {
            message_id,
            conversation_id
        }
    );
    // A later batch with the same (store, biz_type, msg_id) is a no-op too.
    let again = store.ingest(vec![m]).unwrap();
    assert_eq!(
        again[0],
        IngestOutcome::Duplicate {
            message_id,
            conversation_id
        }
    );
    let conv = store.conversation(conversation_id).unwrap().unwrap();
    assert_eq!(conv.unread_count, 1);
    assert_eq!(store.history(conversation_id, None, 50).unwrap().len(), 1);
    // The same msg_id in another store is another message.
    let other = store
        .ingest(vec![customer("s2", 7, 100, T0, "你好")])
        .unwrap();
    assert!(matches!(other[0], IngestOutcome::Inserted { .. }));
}

#[test]
fn messages_without_a_conversation_key_are_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let no_user = NewMessage {
        open_user_id: None,
        ..customer("s1", 7, 1, T0, "x")
    };
    let no_group = NewMessage {
        biz_type: 5,
        ..customer("s1", 7, 2, T0, "x")
    };
    let out = store.ingest(vec![no_user, no_group]).unwrap();
    assert_eq!(out, vec![IngestOutcome::NoConversationKey; 2]);
    assert_eq!(store.inbox(Default::default(), T0).unwrap().total, 0);
}

#[test]
fn reply_clock_starts_tightens_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let out = store
        .ingest(vec![customer("s1", 7, 1, T0, "在吗")])
        .unwrap();
    let id = conversation_id(&out[0]);
    let clock = store.conversation(id).unwrap().unwrap().clock;
    assert_eq!(
        clock,
        Some(ReplyClock {
            awaiting_since_ms: T0,
            deadline_ms: T0 + 5 * MINUTE,
            urgent: false
        })
    );

    // A second normal message does not move the deadline.
    store
        .ingest(vec![customer("s1", 7, 2, T0 + MINUTE, "人呢")])
        .unwrap();
    assert_eq!(store.conversation(id).unwrap().unwrap().clock, clock);

    // An urgent complaint two minutes in tightens it to its own one minute.
    store
        .ingest(vec![urgent("s1", 7, 3, T0 + 2 * MINUTE, "投诉")])
        .unwrap();
    let tightened = store.conversation(id).unwrap().unwrap().clock.unwrap();
    assert_eq!(tightened.deadline_ms, T0 + 3 * MINUTE);
    assert!(tightened.urgent);
    assert_eq!(tightened.awaiting_since_ms, T0);

    // A merchant message older than the wait does not stop it; a reply does.
    store
        .ingest(vec![merchant("s1", 7, 4, T0 - MINUTE, "旧消息")])
        .unwrap();
    assert!(store.conversation(id).unwrap().unwrap().clock.is_some());
    store
        .ingest(vec![merchant("s1", 7, 5, T0 + 150_000, "马上处理")])
        .unwrap();
    let conv = store.conversation(id).unwrap().unwrap();
    assert_eq!(conv.clock, None);
    assert_eq!(conv.unread_count, 0);

    // Reply rates: the clock start (answered in 2.5 min) and the urgent tightening
    // (answered in 30 s) both met their windows.
    let rates = store
        .reply_rates(None, T0, T0 + 60 * MINUTE, T0 + 60 * MINUTE)
        .unwrap();
    assert_eq!(rates.len(), 2, "the brand, then s1");
    assert_eq!(rates[0].store, None);
    assert_eq!(rates[1].store.as_deref(), Some("s1"));
    let met = RateCounts {
        on_time: 1,
        missed: 0,
        pending: 0,
    };
    assert_eq!((rates[1].five_min, rates[1].urgent_one_min), (met, met));
    assert_eq!(
        rates[0],
        ReplyRates {
            store: None,
            ..rates[1].clone()
        }
    );
}

#[test]
fn no_clock_without_has_reply_but_groups_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let quiet = NewMessage {
        has_reply: 0,
        ..customer("s1", 7, 1, T0, "好的")
    };
    let group = NewMessage {
        biz_type: 5,
        group_id: Some(900),
        open_user_id: None,
        msg_type: 0,
        has_reply: 0,
        group_name: Some("粉丝群".into()),
        ..customer("s1", 0, 2, T0, "群里问一下")
    };
    let out = store.ingest(vec![quiet, group]).unwrap();
    assert_eq!(
        store
            .conversation(conversation_id(&out[0]))
            .unwrap()
            .unwrap()
            .clock,
        None
    );
    let g = store
        .conversation(conversation_id(&out[1]))
        .unwrap()
        .unwrap();
    assert_eq!(g.clock.map(|c| c.deadline_ms), Some(T0 + 5 * MINUTE));
    assert_eq!(g.group_name.as_deref(), Some("粉丝群"));
    assert_eq!(
        g.key,
        ConversationKey {
            store: "s1".into(),
            biz_type: 5,
            peer_id: 900
        }
    );
}

#[test]
fn missed_and_pending_replies_are_counted_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .ingest(vec![
            customer("s1", 1, 1, T0, "a"),
            urgent("s1", 2, 2, T0, "b"),
        ])
        .unwrap();
    store
        .ingest(vec![
            merchant("s1", 1, 3, T0 + 6 * MINUTE, "late"),
            merchant("s1", 2, 4, T0 + 2 * MINUTE, "late"),
        ])
        .unwrap();
    store
        .ingest(vec![customer("s1", 3, 5, T0 + 10 * MINUTE, "c")])
        .unwrap();
    let rates = store
        .reply_rates(Some("s1".into()), T0, T0 + 20 * MINUTE, T0 + 11 * MINUTE)
        .unwrap();
    let r = &rates[1];
    let counts = |c: RateCounts| (c.on_time, c.missed, c.pending);
    assert_eq!(counts(r.five_min), (1, 1, 1));
    assert_eq!(counts(r.urgent_one_min), (0, 1, 0));
    assert_eq!(r.five_min.ratio(), Some(0.5));
    assert_eq!(r.urgent_one_min.ratio(), Some(0.0));
}

#[test]
fn store_counts_say_until_when_they_hold_and_writes_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(store.commits(), 0);
    let empty = store.store_counts_at(T0).unwrap();
    assert!(empty.counts.is_empty());
    assert_eq!(empty.holds_through, None, "no clock runs");
    let out = store
        .ingest(vec![
            customer("s1", 1, 1, T0, "一"),
            urgent("s2", 3, 4, T0 + 3000, "四"),
        ])
        .unwrap();
    let after_ingest = store.commits();
    assert!(after_ingest > 0, "the ingest committed");
    let deadline = store
        .conversation(conversation_id(&out[0]))
        .unwrap()
        .unwrap()
        .clock
        .unwrap()
        .deadline_ms;
    // Two minutes in, the urgent clock is overdue and s1's is not: the counts hold through
    // s1's deadline.
    let now = T0 + 2 * MINUTE;
    let at = store.store_counts_at(now).unwrap();
    assert_eq!(at.counts, store.store_counts(now).unwrap());
    assert_eq!(at.holds_through, Some(deadline));
    let s1 = |counts: &[imdesk_store::StoreCounts]| {
        let c = counts.iter().find(|c| c.store == "s1").unwrap();
        (c.waiting, c.overdue)
    };
    assert_eq!(s1(&store.store_counts(deadline).unwrap()), (1, 0));
    assert_eq!(s1(&store.store_counts(deadline + 1).unwrap()), (1, 1));
    assert_eq!(
        store.store_counts_at(deadline + 1).unwrap().holds_through,
        None,
        "every clock is overdue"
    );
    assert_eq!(store.commits(), after_ingest, "reads commit nothing");
    store.mark_read(conversation_id(&out[0])).unwrap();
    assert_eq!(store.commits(), after_ingest + 1);
}

#[test]
fn unread_counts_and_store_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let out = store
        .ingest(vec![
            customer("s1", 1, 1, T0, "一"),
            customer("s1", 1, 2, T0 + 1000, "二"),
            customer("s1", 2, 3, T0 + 2000, "三"),
            urgent("s2", 3, 4, T0 + 3000, "四"),
        ])
        .unwrap();
    let c1 = conversation_id(&out[0]);
    assert_eq!(store.conversation(c1).unwrap().unwrap().unread_count, 2);
    let counts = store.store_counts(T0 + 2 * MINUTE).unwrap();
    assert_eq!(counts.len(), 2);
    assert_eq!(
        (
            counts[0].store.as_str(),
            counts[0].unread_messages,
            counts[0].unread_conversations
        ),
        ("s1", 3, 2)
    );
    assert_eq!((counts[0].waiting, counts[0].overdue), (2, 0));
    assert_eq!(
        (
            counts[1].waiting,
            counts[1].overdue,
            counts[1].urgent_waiting
        ),
        (1, 1, 1)
    );
    store.mark_read(c1).unwrap();
    assert_eq!(store.conversation(c1).unwrap().unwrap().unread_count, 0);
    store.set_customer_read_time(c1, T0 + 5000).unwrap();
    store.set_customer_read_time(c1, T0 + 10).unwrap();
    assert_eq!(
        store.conversation(c1).unwrap().unwrap().last_read_ms,
        Some(T0 + 5000)
    );
    assert!(store.mark_read(999).is_err());
}

#[test]
fn order_context_follows_messages_and_the_order_cache() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let out = store
        .ingest(vec![customer("s1", 1, 1, T0, "能送到吗")])
        .unwrap();
    let id = conversation_id(&out[0]);
    assert_eq!(
        store.conversation(id).unwrap().unwrap().order_state,
        OrderState::PreOrder
    );
    let with_order = about_order("s1", 1, 2, T0 + 1000, 555, "到哪了");
    store.ingest(vec![with_order]).unwrap();
    let conv = store.conversation(id).unwrap().unwrap();
    assert_eq!(
        (conv.order_id, conv.order_state),
        (Some(555), OrderState::InProgress)
    );
    let done = T0 + 30 * MINUTE;
    store
        .upsert_order(completed_order(555, "s1", done))
        .unwrap();
    let conv = store.conversation(id).unwrap().unwrap();
    assert_eq!(
        (conv.order_state, conv.order_completed_at_ms),
        (OrderState::Completed, Some(done))
    );
    assert_eq!(store.order(555).unwrap().unwrap().status, 8);
    // A merchant message without an order keeps the context.
    store
        .ingest(vec![merchant("s1", 1, 3, T0 + 31 * MINUTE, "已完成")])
        .unwrap();
    assert_eq!(
        store.conversation(id).unwrap().unwrap().order_state,
        OrderState::Completed
    );
}

#[test]
fn summary_keeps_the_newest_message_when_pushes_arrive_out_of_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let out = store
        .ingest(vec![customer("s1", 1, 2, T0 + 1000, "新的")])
        .unwrap();
    store
        .ingest(vec![customer("s1", 1, 1, T0, "旧的")])
        .unwrap();
    let conv = store
        .conversation(conversation_id(&out[0]))
        .unwrap()
        .unwrap();
    assert_eq!(conv.last_msg_preview.as_deref(), Some("新的"));
    assert_eq!(conv.last_msg_at_ms, T0 + 1000);
    assert_eq!(conv.last_msg_source, Some(SOURCE_CUSTOMER));
    assert_eq!(conv.clock.map(|c| c.awaiting_since_ms), Some(T0));
    // History is in send order whatever the arrival order, and pages backwards.
    let page = store.history(conv.id, None, 1).unwrap();
    assert_eq!(page[0].text.as_deref(), Some("新的"));
    let cursor = imdesk_store::HistoryCursor {
        cts_ms: page[0].cts_ms,
        id: page[0].id,
    };
    let older = store.history(conv.id, Some(cursor), 10).unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].text.as_deref(), Some("旧的"));
}

#[test]
fn undecryptable_messages_keep_their_raw_content() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let bad = NewMessage {
        text: None,
        decrypt_failed: true,
        ..customer("s1", 1, 1, T0, "")
    };
    let out = store
        .ingest(vec![bad, customer("s1", 1, 2, T0 + 1, "好")])
        .unwrap();
    let rows = store.history(conversation_id(&out[0]), None, 10).unwrap();
    assert_eq!(
        (rows[0].text.as_deref(), rows[0].raw_content.as_deref()),
        (None, Some("ZW5jcnlwdGVk"))
    );
    assert!(rows[0].decrypt_failed);
    assert_eq!(rows[1].raw_content, None);
}

#[test]
fn quarantine_keeps_frames_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = store
        .quarantine("{bad".into(), "json: EOF".into(), T0)
        .unwrap();
    let b = store
        .quarantine("{\"x\":1}".into(), "unknown store".into(), T0 + 1)
        .unwrap();
    assert_eq!(store.quarantine_count().unwrap(), 2);
    let list = store.quarantined(None, 10).unwrap();
    assert_eq!(list.iter().map(|f| f.id).collect::<Vec<_>>(), vec![b, a]);
    assert_eq!(list[1].raw, "{bad");
    assert_eq!(store.quarantined(Some(b), 10).unwrap().len(), 1);
}

#[test]
fn a_customer_message_arriving_after_our_later_reply_starts_no_clock() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // Our reply at T0 + 1 min is stored before the customer message of T0 it answered
    // (reordered pushes, or a batch committed again after a failure).
    let out = store
        .ingest(vec![merchant("s1", 7, 2, T0 + MINUTE, "已为您加急")])
        .unwrap();
    let id = conversation_id(&out[0]);
    let late = store
        .ingest(vec![customer("s1", 7, 1, T0, "快点")])
        .unwrap();
    assert!(matches!(
        late[0],
        IngestOutcome::Inserted {
            awaits_reply: false,
            ..
        }
    ));
    let conv = store.conversation(id).unwrap().unwrap();
    assert_eq!(conv.clock, None, "answered already");
    // A newer customer message still starts one.
    store
        .ingest(vec![customer("s1", 7, 3, T0 + 2 * MINUTE, "还没到")])
        .unwrap();
    let clock = store.conversation(id).unwrap().unwrap().clock.unwrap();
    assert_eq!(clock.awaiting_since_ms, T0 + 2 * MINUTE);
}

/// The writer keeps the summaries it wrote for the next batch; anything else that changes a
/// conversation in between must be seen by that batch.
#[test]
fn the_next_batch_sees_what_other_jobs_and_other_processes_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let out = store.ingest(vec![customer("s1", 1, 1, T0, "一")]).unwrap();
    let c1 = conversation_id(&out[0]);
    let unread = || store.conversation(c1).unwrap().unwrap().unread_count;
    assert_eq!(unread(), 1);

    // Another job of the same writer.
    store.mark_read(c1).unwrap();
    store
        .ingest(vec![customer("s1", 1, 2, T0 + 1000, "二")])
        .unwrap();
    assert_eq!(unread(), 1, "counted from the read, not from the cached 1");

    // Another connection, as another process (`imdesk-cli` beside the app) would.
    let other = rusqlite::Connection::open(dir.path().join("cache.sqlite3")).unwrap();
    other
        .busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    other
        .execute(
            "UPDATE conversations SET unread_count = 10, awaiting_since_ms = NULL,
                 deadline_ms = NULL WHERE id = ?1",
            [c1],
        )
        .unwrap();
    store
        .ingest(vec![customer("s1", 1, 3, T0 + 2000, "三")])
        .unwrap();
    let conv = store.conversation(c1).unwrap().unwrap();
    assert_eq!(conv.unread_count, 11, "counted from the other process's 10");
    assert_eq!(
        conv.clock.map(|c| c.awaiting_since_ms),
        Some(T0 + 2000),
        "the clock the other process stopped starts again at this message"
    );
}

/// Orders looked up by one batch are remembered for the next; an order completed in between
/// must be seen.
#[test]
fn the_next_batch_sees_an_order_completed_in_between() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let in_progress = about_order("s1", 1, 1, T0, 555, "到哪了");
    let out = store.ingest(vec![in_progress]).unwrap();
    let id = conversation_id(&out[0]);
    // A question before another order moves the conversation off order 555, so completing
    // 555 does not touch the conversation row itself.
    store
        .ingest(vec![customer("s1", 1, 2, T0 + 1000, "还能加单吗")])
        .unwrap();
    assert_eq!(
        store.conversation(id).unwrap().unwrap().order_state,
        OrderState::PreOrder
    );
    let done = T0 + 2000;
    store
        .upsert_order(completed_order(555, "s1", done))
        .unwrap();
    let again = about_order("s1", 1, 3, T0 + 3000, 555, "汤洒了");
    store.ingest(vec![again]).unwrap();
    let conv = store.conversation(id).unwrap().unwrap();
    assert_eq!(
        (conv.order_id, conv.order_state, conv.order_completed_at_ms),
        (Some(555), OrderState::Completed, Some(done))
    );
}

/// An urgent clock left unanswered is missed for the 1-minute rate once its minute passed,
/// and still pending for the 5-minute rate until five minutes have.
#[test]
fn an_unanswered_urgent_clock_is_judged_by_each_window() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.ingest(vec![urgent("s1", 1, 1, T0, "投诉")]).unwrap();
    let at = |now| {
        let r = store.reply_rates(None, T0, T0 + MINUTE, now).unwrap();
        (r[0].five_min, r[0].urgent_one_min)
    };
    let (pending, missed) = (
        RateCounts {
            pending: 1,
            ..Default::default()
        },
        RateCounts {
            missed: 1,
            ..Default::default()
        },
    );
    assert_eq!(at(T0 + MINUTE - 1), (pending, pending));
    assert_eq!(at(T0 + 2 * MINUTE), (pending, missed));
    assert_eq!(at(T0 + 5 * MINUTE), (missed, missed));
}

/// The outcome of an inserted message carries the clock the writer stored.
#[test]
fn an_inserted_message_carries_its_conversations_clock() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let out = store
        .ingest(vec![
            customer("s1", 1, 1, T0, "在吗"),
            urgent("s1", 1, 2, T0 + MINUTE, "投诉"),
            merchant("s1", 1, 3, T0 + 90_000, "在的"),
        ])
        .unwrap();
    let clocks: Vec<Option<ReplyClock>> = out
        .iter()
        .map(|o| match o {
            IngestOutcome::Inserted { clock, .. } => *clock,
            other => panic!("{other:?}"),
        })
        .collect();
    let clock = |deadline_ms, urgent| {
        Some(ReplyClock {
            awaiting_since_ms: T0,
            deadline_ms,
            urgent,
        })
    };
    assert_eq!(
        clocks,
        vec![
            clock(T0 + 5 * MINUTE, false),
            clock(T0 + 2 * MINUTE, true),
            None
        ]
    );
}

/// The policy changes while the store runs: the next ingest's deadlines and the reply rates
/// follow it, clocks already running keep their deadline, and empty windows are refused.
#[test]
fn a_changed_clock_policy_applies_to_the_next_ingest_and_the_rates() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let remark = |user, msg_id, at| NewMessage {
        scene_tag: 9001,
        scene_name: "备注".into(),
        ..customer("s1", user, msg_id, at, "加辣")
    };
    store.ingest(vec![remark(1, 1, T0)]).unwrap();
    let policy = ClockPolicy {
        urgent_scene_tags: [9001].into(),
        ..store.clock_policy()
    };
    store.set_clock_policy(policy.clone()).unwrap();
    assert_eq!(store.clock_policy(), policy);
    let out = store
        .ingest(vec![remark(2, 2, T0), urgent("s1", 3, 3, T0, "投诉")])
        .unwrap();
    let deadline = |o: &IngestOutcome| match o {
        IngestOutcome::Inserted { clock, .. } => clock.map(|c| (c.deadline_ms, c.urgent)),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        deadline(&out[0]),
        Some((T0 + MINUTE, true)),
        "9001 is urgent now"
    );
    assert_eq!(
        deadline(&out[1]),
        Some((T0 + 5 * MINUTE, false)),
        "9003 no more"
    );
    let key = |user| ConversationKey {
        store: "s1".into(),
        biz_type: 1,
        peer_id: user,
    };
    let before = store.find_conversation(key(1)).unwrap().unwrap().clock;
    assert_eq!(before.map(|c| c.deadline_ms), Some(T0 + 5 * MINUTE), "kept");
    let rates = store.reply_rates(None, T0, T0 + 1, T0 + HOUR).unwrap();
    assert_eq!(
        (rates[0].five_min.missed, rates[0].urgent_one_min.missed),
        (3, 1)
    );

    // The rates judge by the policy in force: with a 2-hour normal window, nothing is due.
    store
        .set_clock_policy(ClockPolicy {
            normal_window_ms: 2 * HOUR,
            ..policy.clone()
        })
        .unwrap();
    let rates = store.reply_rates(None, T0, T0 + 1, T0 + HOUR).unwrap();
    assert_eq!(rates[0].five_min.pending, 3);

    let empty = ClockPolicy {
        urgent_window_ms: 0,
        ..policy
    };
    assert!(matches!(
        store.set_clock_policy(empty.clone()),
        Err(StoreError::InvalidClockPolicy)
    ));
    let options = StoreOptions {
        clock: empty,
        ..StoreOptions::default()
    };
    let other = dir.path().join("other.sqlite3");
    assert!(matches!(
        Store::open(other, options),
        Err(StoreError::InvalidClockPolicy)
    ));
}

/// The platform's windows are constants, overridable for tests through the options.
#[test]
fn the_windows_come_from_the_options() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        (
            ClockPolicy::default().normal_window_ms,
            ClockPolicy::default().urgent_window_ms
        ),
        (
            imdesk_store::NORMAL_WINDOW_MS,
            imdesk_store::URGENT_WINDOW_MS
        )
    );
    let mut options = StoreOptions::default();
    options.clock.urgent_window_ms = 30_000;
    let store = Store::open(dir.path().join("c.sqlite3"), options).unwrap();
    let out = store.ingest(vec![urgent("s1", 1, 1, T0, "投诉")]).unwrap();
    assert!(matches!(
        out[0],
        IngestOutcome::Inserted { clock: Some(c), .. } if c.deadline_ms == T0 + 30_000
    ));
}
