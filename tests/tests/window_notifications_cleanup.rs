//! Issue 20, item 8: notifications clean up after themselves. On the app's private D-Bus a
//! notification daemon stand-in keeps the list of open notifications; an urgent complaint is
//! re-alerted in place (one notification, replaced), more customers than fit fold into one
//! summary (at most three open), and answering the complaint, or opening a conversation in
//! the window, closes that conversation's notification. The UI is switched to English, so the
//! words Rust writes itself (the button, the summary) are checked in English too.
#![cfg(target_os = "linux")]
// Test code: a poisoned lock or a missing field is a test failure, and should panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use imdesk_tests::notifications::{self, NotificationDaemon, Shown};
use imdesk_tests::sandbox_app::{launch_against, quiet_sandbox, until};
use imdesk_tests::window::run;
use meituan_sandbox::{ChatKind, CustomerMessage};

/// What the app promises to keep on screen at most (`MAX_ON_SCREEN` in the shell).
const MAX_ON_SCREEN: usize = 3;
/// Customers beside the complaint: more than fit on screen.
const OTHERS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_are_replaced_bounded_and_withdrawn_when_answered_or_opened(
) -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(1).await?;
    let store = sandbox.stores()[0].clone();
    let mut customers = sandbox.customers(&store.epoi_id)?;
    while customers.len() < OTHERS + 1 {
        customers.push(sandbox.add_customer(&store.epoi_id)?);
    }
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("notifications_cleanup", launch, move |w| async move {
        let daemon = NotificationDaemon::default();
        let _bus = zbus::connection::Builder::address(w.bus_address())
            .name(notifications::NAME)
            .serve_at(notifications::PATH, daemon.clone())
            .build()
            .await?;
        until("a push connection", Duration::from_secs(20), || {
            sb.open_connections() > 0
        })
        .await?;
        w.invoke("set_ui_language", serde_json::json!({ "code": "en" }))
            .await?;
        // Every hour a peak; the urgent re-alert every 2 s and no storm limit in the way, so
        // the test sees several alerts of one conversation within seconds.
        w.edit_alert_settings(|s| {
            s["peakWindows"] = serde_json::json!([{ "start": "00:00", "end": "23:59" }]);
            s["urgentRealertSecs"] = serde_json::json!(2);
            s["storm"]["storeMinGapSecs"] = serde_json::json!(1);
            s["storm"]["reminderMinGapSecs"] = serde_json::json!(1);
            s["storm"]["brandMaxPerWindow"] = serde_json::json!(100);
            s["storm"]["urgentMaxPerWindow"] = serde_json::json!(100);
        })
        .await?;
        let conversation = |customer: i64| format!("{}|1|{customer}", store.epoi_id);

        // The complaint: one notification, replaced by each re-alert.
        let complainer = customers[0];
        sb.customer_says(
            CustomerMessage::text(store.epoi_id.clone(), ChatKind::Completed, "菜里有异物")
                .scene(9003)
                .from_customer(complainer),
        )?;
        until(
            "the complaint's notification",
            Duration::from_secs(15),
            || daemon.shown().iter().any(Shown::is_urgent),
        )
        .await?;
        let complaint = daemon.shown().into_iter().find(Shown::is_urgent).unwrap();
        assert_eq!(complaint.replaces, 0, "{complaint:?}");
        assert_eq!(complaint.actions, ["Open conversation"], "{complaint:?}");
        let of_complaint = |d: &NotificationDaemon| {
            let shown = d.shown();
            shown.iter().filter(|n| n.id == complaint.id).count()
        };
        until(
            "two re-alerts of the complaint",
            Duration::from_secs(15),
            || of_complaint(&daemon) >= 3,
        )
        .await?;
        let urgent: Vec<Shown> = daemon
            .shown()
            .into_iter()
            .filter(Shown::is_urgent)
            .collect();
        assert!(
            urgent.iter().skip(1).all(|n| n.replaces == complaint.id),
            "every re-alert replaces the complaint's notification: {urgent:#?}"
        );
        assert_eq!(daemon.open().len(), 1, "{:#?}", daemon.open());

        // More customers than fit: the oldest ones fold into one summary.
        for (i, &customer) in customers[1..=OTHERS].iter().enumerate() {
            sb.customer_says(
                CustomerMessage::text(
                    store.epoi_id.clone(),
                    ChatKind::InProgress,
                    format!("第 {i} 个问题：还要多久？"),
                )
                .from_customer(customer),
            )?;
            // Past the store's gap, so each customer has an alert of its own.
            tokio::time::sleep(Duration::from_millis(1300)).await;
        }
        let summary_of = |n: usize| format!("{n} more customers waiting");
        until("the summary of the folded", Duration::from_secs(15), || {
            daemon
                .open()
                .iter()
                .any(|n| n.summary == summary_of(OTHERS - 1))
        })
        .await?;
        let open = daemon.open();
        assert!(open.len() <= MAX_ON_SCREEN, "{open:#?}");
        assert!(
            open.iter().any(|n| n.id == complaint.id),
            "the urgent one stays on screen: {open:#?}"
        );
        let summaries = daemon
            .shown()
            .iter()
            .filter(|n| n.summary.contains("more customers waiting"))
            .map(|n| n.id)
            .collect::<std::collections::BTreeSet<_>>();
        assert_eq!(summaries.len(), 1, "one summary, replaced: {summaries:?}");
        let last = customers[OTHERS];
        let latest = open
            .iter()
            .find(|n| n.body.contains(&format!("第 {} 个", OTHERS - 1)))
            .cloned()
            .expect("the latest customer's notification is open");

        // Answering the complaint closes its notification, and no re-alert brings it back.
        w.invoke(
            "send_text",
            serde_json::json!({
                "conversationId": conversation(complainer),
                "text": "非常抱歉，马上为您处理",
            }),
        )
        .await?;
        until(
            "the complaint's notification closed",
            Duration::from_secs(15),
            || daemon.closed().contains(&complaint.id),
        )
        .await?;
        let re_alerts = daemon.shown().iter().filter(|n| n.is_urgent()).count();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let open = daemon.open();
        assert!(!open.iter().any(Shown::is_urgent), "{open:#?}");
        assert_eq!(
            daemon.shown().iter().filter(|n| n.is_urgent()).count(),
            re_alerts,
            "no alert of the answered complaint after the answer"
        );

        // Opening a conversation in the window closes its notification too.
        w.open_conversation(&conversation(last)).await?;
        until(
            "the opened conversation's notification closed",
            Duration::from_secs(15),
            || daemon.closed().contains(&latest.id),
        )
        .await?;
        let open = daemon.open();
        assert!(open.iter().all(|n| n.id != latest.id), "{open:#?}");
        assert!(open.len() <= MAX_ON_SCREEN, "{open:#?}");
        Ok(())
    })
    .await
}
