//! Issue 7: with the window minimised, a sandbox scenario produces exactly the desktop
//! notifications the policy promises. A notification daemon stand-in is served on the app's
//! private D-Bus session and records every `Notify` call (the only stand-in is for the
//! desktop; imdesk itself and the sandbox platform are real).
#![cfg(target_os = "linux")]
// Test code: a poisoned lock or a missing field is a test failure, and should panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use imdesk_tests::window::{run, Launch};
use meituan_sandbox::{ChatKind, CustomerMessage, Sandbox, SandboxConfig};
use zbus::OwnedVariant;

#[derive(Debug, Clone)]
struct Shown {
    app: String,
    summary: String,
    body: String,
    urgency: Option<u8>,
}

#[derive(Debug, Default, Clone)]
struct FakeDaemon {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeDaemon {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        hints: HashMap<String, OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        let mut shown = self.shown.lock().unwrap();
        shown.push(Shown {
            app: app_name,
            summary,
            body,
            urgency,
        });
        shown.len() as u32
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "actions".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "fake".into(),
            "imdesk-tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}

    /// What a daemon emits when the user clicks a notification (or one of its actions).
    #[zbus(signal)]
    async fn action_invoked(
        emitter: &zbus::object_server::SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;
}

async fn until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("timed out waiting for {what}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minimised_window_still_notifies_exactly_once_per_customer() -> anyhow::Result<()> {
    let sandbox = Arc::new(
        Sandbox::start(SandboxConfig {
            stores: 2,
            chatter: false,
            ..SandboxConfig::default()
        })
        .await?,
    );
    let stores = sandbox.stores();
    let stores_json = serde_json::to_string(
        &stores
            .iter()
            .map(|s| {
                serde_json::json!({"epoi_id": s.epoi_id, "name": s.name,
                    "business_id": s.business_id, "app_auth_token": s.app_auth_token})
            })
            .collect::<Vec<_>>(),
    )?;
    let launch = Launch::default()
        .env("IMDESK_GATEWAY_URL", sandbox.gateway_url())
        .env("IMDESK_PUSH_URL", sandbox.push_url())
        .env("IMDESK_DEVELOPER_ID", sandbox.developer_id().to_string())
        .env("IMDESK_SIGN_KEY", sandbox.sign_key())
        .env("IMDESK_STORES", stores_json);
    let sb = sandbox.clone();
    run("minimised_window_notifies", launch, move |w| async move {
        let daemon = FakeDaemon::default();
        let bus = zbus::connection::Builder::address(w.bus_address())
            .name("org.freedesktop.Notifications")
            .serve_at("/org/freedesktop/Notifications", daemon.clone())
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
        let mut settings = w
            .invoke("get_alert_settings", serde_json::json!({}))
            .await?;
        settings["peakWindows"] = serde_json::json!([{ "start": "00:00", "end": "23:59" }]);
        w.invoke(
            "set_alert_settings",
            serde_json::json!({ "settings": settings }),
        )
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
            daemon.shown.lock().unwrap().len() >= 2
        })
        .await?;
        // Nothing more arrives for these two customers within the urgent re-alert interval's
        // first half (re-alerts come every 30 s until the complaint is answered).
        tokio::time::sleep(Duration::from_secs(5)).await;
        let shown = daemon.shown.lock().unwrap().clone();
        assert_eq!(
            shown.len(),
            2,
            "exactly one notification per customer: {shown:#?}"
        );
        assert!(shown.iter().all(|n| n.app == "imdesk"), "{shown:#?}");

        let urgent = shown
            .iter()
            .find(|n| n.urgency == Some(2))
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
            .find(|n| n.urgency != Some(2))
            .expect("one normal notice");
        assert!(
            normal.summary.contains(&b.name),
            "normal notice names its store: {normal:?}"
        );
        assert!(normal.body.contains("多久"), "{normal:?}");

        // Clicking the urgent notification brings the window back on that conversation.
        let id = shown.iter().position(|n| n.urgency == Some(2)).unwrap() as u32 + 1;
        let iface = bus
            .object_server()
            .interface::<_, FakeDaemon>("/org/freedesktop/Notifications")
            .await?;
        FakeDaemon::action_invoked(iface.signal_emitter(), id, "default").await?;
        w.wait_text("chat-pane", |t| t.contains("菜里有异物"))
            .await?;
        Ok(())
    })
    .await
}
