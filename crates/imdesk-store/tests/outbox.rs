//! The outbox: refusals, idempotence, state changes, restart survival.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use common::*;
use imdesk_store::{
    FailureKind, IngestOutcome, NewMessage, NewOutboxMessage, OrderRecord, OutboxRefusal,
    OutboxState, SendFailure, Store, StoreError,
};

fn conversation(store: &Store, msg: NewMessage) -> i64 {
    match store.ingest(vec![msg]).unwrap()[0] {
        IngestOutcome::Inserted {
            conversation_id, ..
        } => conversation_id,
        other => panic!("{other:?}"),
    }
}

fn reply(conversation_id: i64, text: &str, now_ms: i64) -> NewOutboxMessage {
    NewOutboxMessage {
        conversation_id,
        msg_id: None,
        msg_type: 1,
        text: text.into(),
        now_ms,
    }
}

fn rate_limited() -> SendFailure {
    SendFailure {
        kind: FailureKind::Platform,
        platform_code: Some("OP_RATE_LIMIT".into()),
        trace_id: Some("t-42".into()),
        message: "rate limited".into(),
    }
}

fn refusal(result: Result<imdesk_store::OutboxItem, StoreError>) -> OutboxRefusal {
    match result {
        Err(StoreError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn refuses_empty_too_long_blocked_and_closed_after_sale() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let conv = conversation(&store, about_order("s1", 1, 1, T0, 9, "?"));
    assert_eq!(
        refusal(store.enqueue_outbox(reply(conv, "", T0))),
        OutboxRefusal::EmptyText
    );
    assert_eq!(
        refusal(store.enqueue_outbox(reply(conv, " \n ", T0))),
        OutboxRefusal::EmptyText
    );
    let long = "好".repeat(501);
    assert_eq!(
        refusal(store.enqueue_outbox(reply(conv, &long, T0))),
        OutboxRefusal::TextTooLong {
            chars: 501,
            max: 500
        }
    );
    assert!(store
        .enqueue_outbox(reply(conv, &"好".repeat(500), T0))
        .is_ok());

    // After-sale: open until 48 h after completion, then refused.
    let done = T0 + MINUTE;
    store.upsert_order(completed_order(9, "s1", done)).unwrap();
    let closes = done + 48 * 3600 * 1000;
    assert!(store
        .enqueue_outbox(reply(conv, "还在吗", closes - 1))
        .is_ok());
    assert_eq!(
        refusal(store.enqueue_outbox(reply(conv, "还在吗", closes))),
        OutboxRefusal::AfterSaleClosed {
            closed_at_ms: closes
        }
    );

    let other = conversation(&store, customer("s1", 2, 2, T0, "?"));
    store
        .block_customer("s1".into(), 2, "abuse".into(), T0)
        .unwrap();
    assert_eq!(
        refusal(store.enqueue_outbox(reply(other, "hi", T0))),
        OutboxRefusal::CustomerBlocked
    );
    assert!(matches!(
        store.enqueue_outbox(reply(12345, "hi", T0)),
        Err(StoreError::ConversationNotFound(12345))
    ));
    // Nothing refused was written.
    assert_eq!(store.unsent_outbox(other).unwrap().len(), 0);
    assert_eq!(store.unsent_outbox(conv).unwrap().len(), 2);
}

#[test]
fn enqueue_is_idempotent_and_ids_are_unique() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let conv = conversation(&store, customer("s1", 1, 1, T0, "?"));
    let a = store.enqueue_outbox(reply(conv, "一", T0)).unwrap();
    let b = store.enqueue_outbox(reply(conv, "二", T0)).unwrap();
    assert_eq!(a.msg_id, T0 * 1000);
    assert_eq!(b.msg_id, a.msg_id + 1);
    let own = NewOutboxMessage {
        msg_id: Some(42),
        ..reply(conv, "三", T0)
    };
    let c = store.enqueue_outbox(own.clone()).unwrap();
    assert_eq!(store.enqueue_outbox(own).unwrap(), c);
    assert_eq!(store.pending_outbox().unwrap().len(), 3);
    assert_eq!((a.state, a.attempts), (OutboxState::Queued, 0));
}

#[test]
fn survives_restart_and_is_never_sent_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (conv, item) = {
        let store = open(&dir);
        let conv = conversation(&store, customer("s1", 1, 1, T0, "在吗"));
        let item = store
            .enqueue_outbox(reply(conv, "在的", T0 + 1000))
            .unwrap();
        store.mark_sending(item.id, T0 + 1001).unwrap();
        (conv, item)
    };
    // Reopen the file: the attempt in flight is still pending, with its msg_id.
    let store = open(&dir);
    let pending = store.pending_outbox().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (
            pending[0].id,
            pending[0].msg_id,
            pending[0].state,
            pending[0].attempts
        ),
        (item.id, item.msg_id, OutboxState::Sending, 1)
    );
    let failed = store
        .mark_failed(item.id, rate_limited(), T0 + 2000)
        .unwrap();
    assert_eq!(failed.state, OutboxState::Failed);
    assert_eq!(failed.last_error, Some(rate_limited()));
    assert!(store.pending_outbox().unwrap().is_empty());
    assert_eq!(store.unsent_outbox(conv).unwrap().len(), 1);

    let retry = store.mark_sending(item.id, T0 + 3000).unwrap();
    assert_eq!((retry.attempts, retry.msg_id), (2, item.msg_id));
    let sent = store.mark_sent(item.id, T0 + 4000).unwrap();
    assert_eq!(
        (sent.state, sent.sent_at_ms),
        (OutboxState::Sent, Some(T0 + 4000))
    );
    // Idempotent, and no way back to sending.
    assert_eq!(store.mark_sent(item.id, T0 + 5000).unwrap(), sent);
    assert!(matches!(
        store.mark_sending(item.id, T0 + 5000),
        Err(StoreError::AlreadySent { .. })
    ));
    assert!(matches!(
        store.mark_failed(item.id, rate_limited(), T0),
        Err(StoreError::AlreadySent { .. })
    ));

    // The sent message is in the history as ours and stopped the reply clock.
    let history = store.history(conv, None, 10).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (
            history[1].msg_id,
            history[1].msg_source,
            history[1].text.as_deref()
        ),
        (item.msg_id, 1, Some("在的"))
    );
    let c = store.conversation(conv).unwrap().unwrap();
    assert_eq!(c.clock, None);
    assert!(store.unsent_outbox(conv).unwrap().is_empty());
    // The platform echoing our message back is a duplicate.
    let echo = NewMessage {
        msg_id: item.msg_id,
        ..merchant("s1", 1, 0, T0 + 4000, "在的")
    };
    assert!(matches!(
        store.ingest(vec![echo]).unwrap()[0],
        IngestOutcome::Duplicate { .. }
    ));
}

#[test]
fn group_conversations_have_no_after_sale_or_block_checks() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let group = NewMessage {
        biz_type: 4,
        group_id: Some(5),
        comment_id: Some(66),
        msg_type: 0,
        ..customer("s1", 1, 1, T0, "差评")
    };
    let conv = conversation(&store, group);
    store
        .block_customer("s1".into(), 1, "x".into(), T0)
        .unwrap();
    let item = store
        .enqueue_outbox(NewOutboxMessage {
            msg_type: 0,
            ..reply(conv, "抱歉", T0 + 1)
        })
        .unwrap();
    store.mark_sending(item.id, T0 + 2).unwrap();
    store.mark_sent(item.id, T0 + 3).unwrap();
    let history = store.history(conv, None, 10).unwrap();
    assert_eq!(history[1].comment_id, Some(66));
    assert_eq!(history[1].group_id, Some(5));
}

#[test]
fn drafts_quick_replies_settings_and_stores() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let conv = conversation(&store, customer("s1", 1, 1, T0, "?"));
    store.set_draft(conv, "稍等".into(), T0).unwrap();
    assert_eq!(store.draft(conv).unwrap().as_deref(), Some("稍等"));
    store.set_draft(conv, String::new(), T0).unwrap();
    assert_eq!(store.draft(conv).unwrap(), None);

    let brand = store
        .save_quick_reply(imdesk_store::QuickReply {
            id: None,
            store: None,
            title: "催".into(),
            text: "{顾客}您好".into(),
            sort: 2,
        })
        .unwrap();
    let local = store
        .save_quick_reply(imdesk_store::QuickReply {
            id: None,
            store: Some("s1".into()),
            title: "店".into(),
            text: "本店".into(),
            sort: 1,
        })
        .unwrap();
    store
        .save_quick_reply(imdesk_store::QuickReply {
            id: None,
            store: Some("s2".into()),
            title: "x".into(),
            text: "y".into(),
            sort: 0,
        })
        .unwrap();
    let list = store.quick_replies(Some("s1".into())).unwrap();
    assert_eq!(
        list.iter().map(|q| q.id.unwrap()).collect::<Vec<_>>(),
        vec![local, brand]
    );
    store.delete_quick_reply(local).unwrap();
    assert_eq!(store.quick_replies(None).unwrap().len(), 1);

    store
        .set_setting("window".into(), "1200x800".into())
        .unwrap();
    store
        .set_setting("window".into(), "800x600".into())
        .unwrap();
    assert_eq!(
        store.setting("window".into()).unwrap().as_deref(),
        Some("800x600")
    );
    store
        .upsert_store(imdesk_store::StoreRow {
            epoi_id: "s1".into(),
            name: "望京店".into(),
            business_id: 16,
            ..Default::default()
        })
        .unwrap();
    store
        .upsert_store(imdesk_store::StoreRow {
            epoi_id: "s1".into(),
            name: "望京店".into(),
            business_id: 16,
            muted: true,
            ..Default::default()
        })
        .unwrap();
    let stores = store.stores().unwrap();
    assert_eq!(stores.len(), 1);
    assert!(stores[0].muted);
}

#[test]
fn a_staged_picture_becomes_its_upload_before_the_send_and_the_message_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let conv = conversation(&store, customer("s1", 1, 1, T0, "发张图看看"));
    let staged = store
        .enqueue_outbox(NewOutboxMessage {
            msg_type: 2,
            ..reply(conv, "local:abc.png", T0 + 1000)
        })
        .unwrap();
    // A text item and a picture item, both unsent: only the picture's staged file is kept.
    store.enqueue_outbox(reply(conv, "稍等", T0 + 900)).unwrap();
    assert_eq!(store.staged_picture_texts().unwrap(), ["local:abc.png"]);
    let url = "https://img.example/up/abc.png".to_owned();
    let uploaded = store
        .set_outbox_content(staged.id, url.clone(), T0 + 1100)
        .unwrap();
    assert_eq!(
        (uploaded.msg_id, uploaded.text.as_str(), uploaded.msg_type),
        (staged.msg_id, url.as_str(), 2),
        "same msg_id, new content"
    );
    store.mark_sending(staged.id, T0 + 1200).unwrap();
    store.mark_sent(staged.id, T0 + 1300).unwrap();
    assert!(store.staged_picture_texts().unwrap().is_empty(), "sent");
    let history = store.history(conv, None, 10).unwrap();
    let mine = history.last().unwrap();
    assert_eq!(
        (mine.msg_type, mine.text.as_deref()),
        (2, Some(url.as_str()))
    );
    // A sent item's content is history: it cannot change any more.
    assert!(matches!(
        store.set_outbox_content(staged.id, "x".into(), T0 + 2000),
        Err(StoreError::AlreadySent { .. })
    ));
}

#[test]
fn a_late_answer_never_moves_an_order_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let about_order = about_order("s1", 1, 1, T0, 9, "到哪了");
    let conv = conversation(&store, about_order);
    let order = |status: i32, completed: Option<i64>, started: i64| OrderRecord {
        order_id: 9,
        store: "s1".into(),
        status,
        completed_at_ms: completed,
        json: "{}".into(),
        fetched_at_ms: started,
    };
    let completed_at = |store: &Store| {
        store
            .conversation(conv)
            .unwrap()
            .unwrap()
            .order_completed_at_ms
    };
    store.upsert_order(order(4, None, T0)).unwrap();
    // Two fetches raced: the newer request saw it completed and answered first.
    store
        .upsert_order(order(8, Some(T0 + 5 * MINUTE), T0 + 2 * MINUTE))
        .unwrap();
    store.upsert_order(order(4, None, T0 + MINUTE)).unwrap();
    assert_eq!(completed_at(&store), Some(T0 + 5 * MINUTE));
    assert_eq!(store.order(9).unwrap().unwrap().status, 8);
    // Even a newer answer does not reopen a completed order.
    store.upsert_order(order(4, None, T0 + 9 * MINUTE)).unwrap();
    assert_eq!(completed_at(&store), Some(T0 + 5 * MINUTE));
    // The window still closes 48 h after completion.
    let closes = T0 + 5 * MINUTE + 48 * 3600 * 1000;
    assert_eq!(
        refusal(store.enqueue_outbox(reply(conv, "您好", closes))),
        OutboxRefusal::AfterSaleClosed {
            closed_at_ms: closes
        }
    );
}
