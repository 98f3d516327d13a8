//! The alert driver over a manual clock: a scripted scenario of an urgent complaint, a normal
//! question that gets answered, and time moving past both deadlines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use imdesk_core::alerts::{AlertKind, Sound};
use imdesk_core::convert::conversation_id;
use imdesk_core::{DeskOptions, StartGate, StartGateOpener};
use imdesk_store::ConversationKey;
use meituan_sandbox::{ChatKind, CustomerMessage, Faults};
use meituan_wire::{Clock, FixedClock, SystemClock};

/// The fast test options on a clock the test moves.
fn on_clock(clock: &Arc<FixedClock>) -> DeskOptions {
    DeskOptions {
        clock: clock.clone(),
        ..DeskOptions::fast()
    }
}

/// A sandbox and a connected desk whose clock the test moves.
struct Scripted {
    sb: meituan_sandbox::Sandbox,
    _dir: tempfile::TempDir,
    sink: Arc<RecordingSink>,
    clock: Arc<FixedClock>,
    desk: imdesk_core::Desk,
}

async fn scripted() -> Scripted {
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(RecordingSink::default());
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let desk = desk_with(&sb, &db_path(&dir), sink.clone(), on_clock(&clock)).await;
    connected(&sb, 3).await;
    Scripted {
        sb,
        _dir: dir,
        sink,
        clock,
        desk,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_follow_the_scripted_clock() {
    let Scripted {
        sb,
        _dir,
        sink,
        clock,
        desk,
    } = scripted().await;
    let stores = sb.stores();
    let (a, b) = (stores[0].epoi_id.clone(), stores[1].epoi_id.clone());

    let urgent = sb
        .customer_says(CustomerMessage::text(&a, ChatKind::InProgress, "菜里有头发").scene(9003))
        .unwrap();
    let x = conversation_id(&ConversationKey {
        store: a.clone(),
        biz_type: 1,
        peer_id: urgent.open_user_id.unwrap(),
    });
    eventually(10, "urgent alert", || async {
        sink.alerts()
            .iter()
            .any(|al| al.kind == AlertKind::Urgent && al.conversation.as_ref() == Some(&x))
    })
    .await;
    let first = sink
        .alerts()
        .into_iter()
        .find(|al| al.kind == AlertKind::Urgent)
        .unwrap();
    assert!(first.urgent);
    assert_eq!(first.sound, Sound::Urgent);
    assert_eq!(first.preview.as_deref(), Some("菜里有头发"));

    let normal = sb
        .customer_says(CustomerMessage::text(&b, ChatKind::PreOrder, "几点关门"))
        .unwrap();
    let y = conversation_id(&ConversationKey {
        store: b.clone(),
        biz_type: 1,
        peer_id: normal.open_user_id.unwrap(),
    });
    eventually(10, "new-message alert for the second store", || async {
        sink.alerts().iter().any(|al| {
            al.kind == AlertKind::Normal
                && al.store.as_ref().map(|s| s.as_str()) == Some(b.as_str())
        })
    })
    .await;
    // Answer the normal question: its clock stops.
    let sent = desk.send_text(&y, "晚上十点").await.unwrap();
    desk.wait_sent(&sent.key, Duration::from_secs(10))
        .await
        .unwrap();
    desk.settle().await;

    // Nothing is due before the clock moves.
    let before = sink.alerts().len();
    desk.settle().await;
    assert_eq!(
        sink.alerts().len(),
        before,
        "no alert while time stands still"
    );

    clock.advance_ms(6 * 60 * 1000);
    eventually(10, "the unanswered complaint alerts again", || async {
        sink.alerts()[before..].iter().any(|al| {
            al.urgent
                && matches!(
                    al.kind,
                    AlertKind::Overdue | AlertKind::UrgentRepeat | AlertKind::PreAlert
                )
                && (al.conversation.as_ref() == Some(&x) || al.conversation.is_none())
        })
    })
    .await;
    let later = sink.alerts()[before..].to_vec();
    assert!(
        later.iter().all(|al| al.conversation.as_ref() != Some(&y)),
        "the answered conversation stays quiet: {later:?}"
    );
    // The inbox agrees with the clock: the complaint is overdue.
    let stores_now = desk.stores().await.unwrap();
    assert_eq!(
        stores_now.iter().find(|s| s.epoi_id == a).unwrap().overdue,
        1
    );
    assert_eq!(
        stores_now.iter().find(|s| s.epoi_id == b).unwrap().waiting,
        0
    );
    desk.shutdown().await;
}

/// A pause is visible (its end, and an event each time it changes), and its end brings the
/// catch-up: one notification for the customer who wrote during it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_is_visible_and_ends_with_a_catch_up() {
    use imdesk_core::view::DeskEvent;
    let Scripted {
        sb,
        _dir,
        sink,
        clock,
        desk,
    } = scripted().await;
    let store = sb.stores()[0].epoi_id.clone();
    let t0 = clock.now().0;
    let paused_events = || {
        sink.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                DeskEvent::AlertsPaused { until } => Some(*until),
                _ => None,
            })
            .collect::<Vec<_>>()
    };

    desk.pause_alerts(Some(t0 + 30 * 60_000));
    assert_eq!(desk.alerts_paused_until(), Some(t0 + 30 * 60_000));
    eventually(10, "the pause event", || async {
        paused_events() == vec![Some(t0 + 30 * 60_000)]
    })
    .await;

    sb.customer_says(CustomerMessage::text(&store, ChatKind::InProgress, "在吗"))
        .unwrap();
    eventually(10, "the message stored", || async {
        !stored_async(&desk).await.is_empty()
    })
    .await;
    desk.settle().await;
    assert!(
        sink.alerts().is_empty(),
        "silent while paused: {:?}",
        sink.alerts()
    );

    // The pause runs out: it is no longer shown, and the catch-up names the waiting customer.
    clock.set(meituan_wire::TimeMs(t0 + 31 * 60_000));
    assert_eq!(desk.alerts_paused_until(), None);
    eventually(10, "the catch-up", || async {
        sink.alerts()
            .iter()
            .any(|a| a.kind == AlertKind::CatchUp && a.count == 1)
    })
    .await;
    desk.settle().await;
    let kinds: Vec<AlertKind> = sink.alerts().iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        vec![AlertKind::CatchUp],
        "one notice, not a reminder besides"
    );

    // Resuming is announced too.
    desk.pause_alerts(Some(t0 + 40 * 60_000));
    desk.pause_alerts(None);
    eventually(10, "the resume event", || async {
        paused_events().last() == Some(&None)
    })
    .await;
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settle_returns_once_what_was_read_is_stored_alerted_and_announced() {
    let Scripted {
        sb,
        _dir,
        sink,
        clock: _,
        desk,
    } = scripted().await;
    let store = sb.stores()[0].epoi_id.clone();
    sb.customer_says(CustomerMessage::text(&store, ChatKind::InProgress, "在吗"))
        .unwrap();
    every_frame_read(&sb, &desk).await;
    // No polling after settle: by its return the message is committed, its alert handed to
    // the sink and the inbox told.
    assert_eq!(stored_async(&desk).await.len(), 1);
    assert!(
        sink.alerts().iter().any(|a| a.kind == AlertKind::Normal),
        "{:?}",
        sink.alerts()
    );
    assert!(sink
        .events
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, imdesk_core::view::DeskEvent::ConversationsChanged { .. })));
    desk.shutdown().await;
}

async fn store_inbox(desk: &imdesk_core::Desk, store: &str) -> imdesk_core::view::InboxPage {
    desk.inbox(imdesk_core::view::InboxQuery {
        store: Some(store.to_owned()),
        filter: imdesk_core::view::InboxFilter::All,
        offset: 0,
        limit: 10,
    })
    .await
    .unwrap()
}

/// The urgent set changes through the engine; the store's one policy then decides the inbox
/// order, the alert and the 1-minute rate of the next messages alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_urgent_set_reaches_inbox_alerts_and_rates_alike() {
    let Scripted {
        sb,
        _dir,
        sink,
        clock,
        desk,
    } = scripted().await;
    let store = sb.stores()[0].epoi_id.clone();
    assert_eq!(desk.urgent_scene_tags(), [9003].into());
    desk.set_urgent_scene_tags([9003, 3001].into())
        .await
        .unwrap();

    let normal = sb
        .customer_says(CustomerMessage::text(&store, ChatKind::InProgress, "在吗"))
        .unwrap();
    let urged = sb
        .customer_says(CustomerMessage::text(&store, ChatKind::InProgress, "快点").scene(3001))
        .unwrap();
    every_frame_read(&sb, &desk).await;
    let id = |p: &meituan_sandbox::Pushed| {
        conversation_id(
            &ConversationKey::of(&p.epoi_id, p.biz_type, p.open_user_id, p.group_id).unwrap(),
        )
    };
    let page = store_inbox(&desk, &store).await;
    assert_eq!(
        page.rows[0].id,
        id(&urged),
        "the 1-minute clock rises first"
    );
    assert!(page.rows[0].urgent && !page.rows[1].urgent);
    let deadline = page.rows[0].deadline_at.unwrap();
    assert_eq!(deadline - page.rows[0].awaiting_since.unwrap(), 60_000);
    assert!(sink
        .alerts()
        .iter()
        .any(|a| a.kind == AlertKind::Urgent && a.conversation.as_deref() == Some(&id(&urged))));

    // Past the urgent window unanswered: the 1-minute rate counts it missed; the 5-minute
    // clocks are still running and count nowhere yet.
    clock.advance_ms(2 * 60_000);
    let rates = desk.reply_rates().await.unwrap();
    let of_store = rates
        .iter()
        .find(|r| r.store.as_deref() == Some(store.as_str()))
        .unwrap();
    assert_eq!(
        (
            of_store.urgent_one_min.on_time,
            of_store.urgent_one_min.counted
        ),
        (0, 1)
    );
    assert_eq!(of_store.five_min.counted, 0);

    // Back to the default set: the same tag now starts a normal clock, alerts as normal and
    // leaves the 1-minute rate alone.
    desk.set_urgent_scene_tags([9003].into()).await.unwrap();
    let calm = sb
        .customer_says(CustomerMessage::text(&store, ChatKind::PreOrder, "还在吗").scene(3001))
        .unwrap();
    every_frame_read(&sb, &desk).await;
    let page = store_inbox(&desk, &store).await;
    let row = page.rows.iter().find(|r| r.id == id(&calm)).unwrap();
    assert!(!row.urgent);
    assert_eq!(
        row.deadline_at.unwrap() - row.awaiting_since.unwrap(),
        300_000
    );
    assert!(!sink
        .alerts()
        .iter()
        .any(|a| a.urgent && a.conversation.as_deref() == Some(&id(&calm))));
    let rates = desk.reply_rates().await.unwrap();
    let of_store = rates
        .iter()
        .find(|r| r.store.as_deref() == Some(store.as_str()))
        .unwrap();
    assert_eq!(of_store.urgent_one_min.counted, 1);
    drop(normal);
    desk.shutdown().await;
}

/// The clocks of customers still waiting are restored after a restart (read by the alert
/// driver once it runs, not before the desk answers the window) and alert when they pass
/// their deadline, while a conversation answered before the restart stays quiet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_customers_clock_outlives_a_restart_and_alerts_when_overdue() {
    let Scripted {
        sb,
        _dir,
        sink,
        clock,
        desk,
    } = scripted().await;
    let store = sb.stores()[0].epoi_id.clone();
    let waiting = sb
        .customer_says(CustomerMessage::text(
            &store,
            ChatKind::PreOrder,
            "还营业吗",
        ))
        .unwrap();
    let answered = sb
        .customer_says(CustomerMessage::text(
            &store,
            ChatKind::PreOrder,
            "能开发票吗",
        ))
        .unwrap();
    let id = |m: &meituan_sandbox::Pushed| {
        conversation_id(&ConversationKey {
            store: store.clone(),
            biz_type: 1,
            peer_id: m.open_user_id.unwrap(),
        })
    };
    let (x, y) = (id(&waiting), id(&answered));
    assert_ne!(x, y, "two customers");
    every_frame_read(&sb, &desk).await;
    let sent = desk.send_text(&y, "可以的").await.unwrap();
    desk.wait_sent(&sent.key, Duration::from_secs(10))
        .await
        .unwrap();
    desk.settle().await;
    desk.shutdown().await;
    drop(desk);

    let after = Arc::new(RecordingSink::default());
    let desk = desk_with(&sb, &db_path(&_dir), after.clone(), on_clock(&clock)).await;
    desk.settle().await;
    assert!(
        after.alerts().is_empty(),
        "nothing is due before the clock moves: {:?}",
        after.alerts()
    );
    clock.advance_ms(6 * 60 * 1000);
    eventually(10, "the restored clock alerts once overdue", || async {
        after.alerts().iter().any(|al| {
            matches!(al.kind, AlertKind::Overdue | AlertKind::PreAlert)
                && (al.conversation.as_ref() == Some(&x) || al.conversation.is_none())
        })
    })
    .await;
    assert!(
        after
            .alerts()
            .iter()
            .all(|al| al.conversation.as_ref() != Some(&y)),
        "the conversation answered before the restart stays quiet: {:?}",
        after.alerts()
    );
    drop(sink);
    desk.shutdown().await;
}

/// A desk started again on the same cache whose restore waits for a gate only the test opens
/// (the window's first page); with the sink that records its alerts.
async fn behind_a_closed_gate(
    sb: &meituan_sandbox::Sandbox,
    dir: &tempfile::TempDir,
    clock: &Arc<FixedClock>,
) -> (StartGateOpener, Arc<RecordingSink>, imdesk_core::Desk) {
    let (first_page, gate) = StartGate::until_opened(Duration::from_secs(600));
    let after = Arc::new(RecordingSink::default());
    let desk = desk_with(
        sb,
        &db_path(dir),
        after.clone(),
        DeskOptions {
            deferred_start: gate,
            ..on_clock(clock)
        },
    )
    .await;
    (first_page, after, desk)
}

/// The clocks are restored once the window has drawn its first inbox page
/// (`DeskOptions::deferred_start`), not while it draws it: until the gate opens a waiting
/// customer's clock is unknown to the alerts even past its deadline (the desk answers
/// meanwhile); once it opens, the deadline passed while it waited still alerts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clocks_are_restored_once_the_window_has_drawn_its_first_page() {
    let Scripted {
        sb,
        _dir,
        sink,
        clock,
        desk,
    } = scripted().await;
    let store = sb.stores()[0].epoi_id.clone();
    let waiting = sb
        .customer_says(CustomerMessage::text(
            &store,
            ChatKind::PreOrder,
            "还营业吗",
        ))
        .unwrap();
    let x = conversation_id(&ConversationKey {
        store: store.clone(),
        biz_type: 1,
        peer_id: waiting.open_user_id.unwrap(),
    });
    every_frame_read(&sb, &desk).await;
    desk.settle().await;
    desk.shutdown().await;
    drop(desk);

    let (first_page, after, desk) = behind_a_closed_gate(&sb, &_dir, &clock).await;
    clock.advance_ms(6 * 60 * 1000);
    let page = store_inbox(&desk, &store).await;
    assert!(
        page.rows.iter().any(|r| r.id == x),
        "the desk answers the window while the gate is closed"
    );
    // Many alert polls (20 ms each): a clock restored at the start would have alerted by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        after.alerts().is_empty(),
        "no clock is restored before the first page: {:?}",
        after.alerts()
    );
    first_page.open();
    eventually(10, "the clock alerts once the gate opens", || async {
        after.alerts().iter().any(|al| {
            al.kind == AlertKind::Overdue
                && (al.conversation.as_ref() == Some(&x) || al.conversation.is_none())
        })
    })
    .await;
    drop(sink);
    desk.shutdown().await;
}

/// A customer who first writes while the restore waits for its gate alerts once: the store had
/// committed the message before the restore read it, so the restored clock and the queued
/// input meet before the first tick (a tick between them alerted a new urgent complaint as
/// "still unanswered" and then as new, which the real-window notification test caught).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_writes_before_the_first_page_alerts_once() {
    let Scripted {
        sb,
        _dir,
        sink,
        clock,
        desk,
    } = scripted().await;
    desk.shutdown().await;
    drop(desk);
    let (first_page, after, desk) = behind_a_closed_gate(&sb, &_dir, &clock).await;
    connected(&sb, 3).await;
    let store = sb.stores()[0].epoi_id.clone();
    let complaint = sb
        .customer_says(
            CustomerMessage::text(&store, ChatKind::Completed, "菜里有异物，我要投诉").scene(9003),
        )
        .unwrap();
    let x = conversation_id(&ConversationKey {
        store: store.clone(),
        biz_type: 1,
        peer_id: complaint.open_user_id.unwrap(),
    });
    eventually(10, "the complaint is stored", || async {
        store_inbox(&desk, &store)
            .await
            .rows
            .iter()
            .any(|r| r.id == x)
    })
    .await;
    first_page.open();
    desk.settle().await;
    let about_x: Vec<AlertKind> = after
        .alerts()
        .iter()
        .filter(|al| al.conversation.as_ref() == Some(&x))
        .map(|al| al.kind)
        .collect();
    assert_eq!(about_x, vec![AlertKind::Urgent], "{:?}", after.alerts());
    drop(sink);
    desk.shutdown().await;
}
