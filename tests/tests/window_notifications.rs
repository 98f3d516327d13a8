//! Issue 7: with the window minimised, a sandbox scenario produces exactly the desktop
//! notifications the policy promises. A notification daemon stand-in is served on the app's
//! private D-Bus session and records every `Notify` call (the only stand-in is for the
//! desktop; imdesk itself and the sandbox platform are real).
#![cfg(target_os = "linux")]
// Test code: a poisoned lock or a missing field is a test failure, and should panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use imdesk_tests::notifications::{self, NotificationDaemon};
use imdesk_tests::sandbox_app::{launch_against, quiet_sandbox, until};
use imdesk_tests::window::run;
use meituan_sandbox::{ChatKind, CustomerMessage};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minimised_window_still_notifies_exactly_once_per_customer() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(2).await?;
    let stores = sandbox.stores();
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("minimised_window_notifies", launch, move |w| async move {
        let daemon = NotificationDaemon::default();
        let bus = zbus::connection::Builder::address(w.bus_address())
            .name(notifications::NAME)
            .serve_at(notifications::PATH, daemon.clone())
            .build()
            .await?;

        // Real credentials (the sandbox's): not a demo, and the engine connects to push.
        let info = w.invoke("app_info", serde_json::json!({})).await?;
        assert_eq!(info["demo"], false, "{info}");
        until("a push connection", Duration::from_secs(20), || {
            sb.open_connections() > 0
        })
        .await?;

        // Make every hour a peak, so the expectation does not depend on when CI runs.
        w.edit_alert_settings(|s| {
            s["peakWindows"] = serde_json::json!([{ "start": "00:00", "end": "23:59" }]);
        })
        .await?;

        w.client().minimize_window().await?;

        let (a, b) = (&stores[0], &stores[1]);
        sb.customer_says(
            CustomerMessage::text(
                a.epoi_id.clone(),
                ChatKind::Completed,
                "菜里有异物，我要投诉",
            )
            .scene(9003),
        )?;
        sb.customer_says(CustomerMessage::text(
            b.epoi_id.clone(),
            ChatKind::InProgress,
            "请问还要多久送到？",
        ))?;

        until("two notifications", Duration::from_secs(15), || {
            daemon.shown().len() >= 2
        })
        .await?;
        // Nothing more arrives for these two customers within the urgent re-alert interval's
        // first half (re-alerts come every 30 s until the complaint is answered).
        tokio::time::sleep(Duration::from_secs(5)).await;
        let shown = daemon.shown();
        assert_eq!(
            shown.len(),
            2,
            "exactly one notification per customer: {shown:#?}"
        );
        assert!(shown.iter().all(|n| n.app == "imdesk"), "{shown:#?}");

        let urgent = shown
            .iter()
            .find(|n| n.is_urgent())
            .expect("one critical notice");
        assert!(
            urgent.summary.contains(&a.name),
            "urgent notice names its store: {urgent:?}"
        );
        assert!(
            urgent.body.contains("异物"),
            "preview shown (privacy off): {urgent:?}"
        );
        let normal = shown
            .iter()
            .find(|n| !n.is_urgent())
            .expect("one normal notice");
        assert!(
            normal.summary.contains(&b.name),
            "normal notice names its store: {normal:?}"
        );
        assert!(normal.body.contains("多久"), "{normal:?}");

        // Clicking the urgent notification brings the window back on that conversation.
        let id = urgent.id;
        let iface = bus
            .object_server()
            .interface::<_, NotificationDaemon>(notifications::PATH)
            .await?;
        NotificationDaemon::action_invoked(iface.signal_emitter(), id, "default").await?;
        w.wait_text("chat-pane", |t| t.contains("菜里有异物"))
            .await?;
        Ok(())
    })
    .await
}
