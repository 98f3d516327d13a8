//! The alert driver over a manual clock: a scripted scenario of an urgent complaint, a normal
//! question that gets answered, and time moving past both deadlines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use imdesk_core::alerts::{AlertKind, Sound};
use imdesk_core::convert::conversation_id;
use imdesk_core::DeskOptions;
use imdesk_store::ConversationKey;
use meituan_sandbox::{ChatKind, CustomerMessage, Faults};
use meituan_wire::{Clock, FixedClock, SystemClock};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_follow_the_scripted_clock() {
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(RecordingSink::default());
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let opts = DeskOptions {
        clock: clock.clone(),
        ..DeskOptions::fast()
    };
    let desk = desk_with(&sb, &db_path(&dir), sink.clone(), opts).await;
    connected(&sb, 3).await;
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
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Nothing is due before the clock moves.
    let before = sink.alerts().len();
    tokio::time::sleep(Duration::from_millis(100)).await;
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
