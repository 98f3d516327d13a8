//! Issue 7: the tray icon, seen the way a desktop panel sees it. Xvfb has no panel, so the test
//! plays the desktop: before the app starts it serves a status-notifier watcher
//! (`org.kde.StatusNotifierWatcher`, where tray icons register), a notification daemon, and a
//! window-manager stand-in that carries out "minimise" on the app's private display and D-Bus
//! session. It then reads the registered item over D-Bus as a panel would (its label, its menu
//! through `com.canonical.dbusmenu`) and clicks the menu entries as a panel would (dbusmenu
//! `Event "clicked"`). imdesk itself and the sandbox platform are real.
#![cfg(target_os = "linux")]
// Test code: a poisoned lock or a missing field is a test failure, and should panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use imdesk_tests::iconify::Iconifier;
use imdesk_tests::notifications::{self, NotificationDaemon};
use imdesk_tests::sandbox_app::{launch_against, quiet_sandbox, until};
use imdesk_tests::window::{run_with, AppWindow, Session};
use meituan_sandbox::{ChatKind, CustomerMessage};
use zbus::message::Header;
use zbus::Connection;
use zbus::{OwnedObjectPath, OwnedVariant, Variant};

/// Where a tray icon registered: its owner's unique bus name and its object path.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    service: String,
    path: String,
}

/// A status-notifier watcher, as a desktop panel runs it (the host side counts as present).
#[derive(Debug, Default, Clone)]
struct FakeWatcher {
    items: Arc<Mutex<Vec<Item>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl FakeWatcher {
    /// Items pass either a bus name or (libayatana-appindicator) just their object path, in
    /// which case the sender is the service.
    async fn register_status_notifier_item(
        &self,
        service: String,
        #[zbus(header)] header: Header<'_>,
        #[zbus(signal_emitter)] emitter: zbus::object_server::SignalEmitter<'_>,
    ) {
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        let item = if service.starts_with('/') {
            Item {
                service: sender,
                path: service,
            }
        } else {
            Item {
                service,
                path: "/StatusNotifierItem".into(),
            }
        };
        let name = format!("{}{}", item.service, item.path);
        self.items.lock().unwrap().push(item);
        let _ = Self::status_notifier_item_registered(&emitter, &name).await;
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        let items = self.items.lock().unwrap();
        items
            .iter()
            .map(|i| format!("{}{}", i.service, i.path))
            .collect()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        emitter: &zbus::object_server::SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(
        emitter: &zbus::object_server::SignalEmitter<'_>,
    ) -> zbus::Result<()>;
}

/// The desktop the app starts into; lives as long as the test body.
struct Desktop {
    bus: Connection,
    watcher: FakeWatcher,
    daemon: NotificationDaemon,
    wm: Iconifier,
}

async fn start_desktop(session: Session) -> anyhow::Result<Desktop> {
    let watcher = FakeWatcher::default();
    let daemon = NotificationDaemon::default();
    let bus = zbus::connection::Builder::address(session.bus_address.as_str())
        .name("org.kde.StatusNotifierWatcher")
        .name(notifications::NAME)
        .serve_at("/StatusNotifierWatcher", watcher.clone())
        .serve_at(notifications::PATH, daemon.clone())
        .build()
        .await?;
    let wm = Iconifier::start(&session.display)?;
    Ok(Desktop {
        bus,
        watcher,
        daemon,
        wm,
    })
}

const ITEM: &str = "org.kde.StatusNotifierItem";
const DBUSMENU: &str = "com.canonical.dbusmenu";

async fn property(bus: &Connection, item: &Item, name: &str) -> anyhow::Result<OwnedVariant> {
    let reply = bus
        .call_method(
            Some(item.service.as_str()),
            item.path.as_str(),
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &(ITEM, name),
        )
        .await
        .with_context(|| format!("reading the tray item's {name}"))?;
    Ok(reply.body().deserialize::<OwnedVariant>()?)
}

/// The label a panel shows beside the icon (libayatana's `XAyatanaLabel`).
async fn label(bus: &Connection, item: &Item) -> anyhow::Result<String> {
    Ok(String::try_from(
        property(bus, item, "XAyatanaLabel").await?,
    )?)
}

async fn wait_label(bus: &Connection, item: &Item, want: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut last = String::new();
    while tokio::time::Instant::now() < deadline {
        last = label(bus, item).await?;
        if last == want {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("tray label never became {want:?}; last {last:?}")
}

type Layout = (i32, HashMap<String, OwnedVariant>, Vec<OwnedVariant>);

/// The menu's top-level entries: (dbusmenu id, label).
async fn menu_entries(
    bus: &Connection,
    item: &Item,
    menu: &str,
) -> anyhow::Result<Vec<(i32, String)>> {
    let reply = bus
        .call_method(
            Some(item.service.as_str()),
            menu,
            Some(DBUSMENU),
            "GetLayout",
            &(0i32, -1i32, Vec::<String>::new()),
        )
        .await?;
    let (_revision, (_root, _props, children)): (u32, Layout) = reply.body().deserialize()?;
    let mut entries = Vec::new();
    for child in children {
        let (id, props, _): Layout = child.try_into()?;
        let text = match props.get("label") {
            Some(v) => String::try_from(v.try_clone()?)?,
            None => String::new(),
        };
        entries.push((id, text));
    }
    Ok(entries)
}

/// Clicks a menu entry the way a panel does.
async fn click(bus: &Connection, item: &Item, menu: &str, id: i32) -> anyhow::Result<()> {
    bus.call_method(
        Some(item.service.as_str()),
        menu,
        Some(DBUSMENU),
        "Event",
        &(id, "clicked", Variant::from(""), 0u32),
    )
    .await?;
    Ok(())
}

/// Waits until the page's `document.visibilityState` is `state`: WebKit reports "hidden" while
/// its window is minimised (unmapped) and "visible" once it is back on screen.
async fn until_page(w: &AppWindow, state: &str, what: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = w.eval("return document.visibilityState").await?;
        if now == state {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: the page stayed {now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The shortest gap the policy allows between two notifications of one store.
const STORE_GAP_SECS: u64 = 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_counts_waiting_customers_and_its_menu_works() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(1).await?;
    let store = sandbox.stores()[0].clone();
    let customers = sandbox.customers(&store.epoi_id)?;
    assert!(customers.len() >= 3, "the sandbox store has customers");
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run_with("tray", launch, start_desktop, move |w, desk| async move {
        let bus = &desk.bus;
        until("the tray icon to register", Duration::from_secs(20), || {
            !desk.watcher.items.lock().unwrap().is_empty()
        })
        .await?;
        let item = desk.watcher.items.lock().unwrap()[0].clone();
        let status = String::try_from(property(bus, &item, "Status").await?)?;
        assert_eq!(status, "Active", "{item:?}");
        let menu = OwnedObjectPath::try_from(property(bus, &item, "Menu").await?)?;
        let menu = menu.as_str();

        // Every hour a peak, so each new customer message notifies whenever CI runs, and at
        // most one notification per store per second (not 5 s), so the test need not wait long.
        until("a push connection", Duration::from_secs(20), || {
            sb.open_connections() > 0
        })
        .await?;
        w.edit_alert_settings(|s| {
            s["peakWindows"] = serde_json::json!([{ "start": "00:00", "end": "23:59" }]);
            s["storm"]["storeMinGapSecs"] = serde_json::json!(STORE_GAP_SECS);
        })
        .await?;
        wait_label(bus, &item, "0").await?;

        let says = |customer: i64, text: &str| {
            CustomerMessage::text(store.epoi_id.clone(), ChatKind::InProgress, text)
                .from_customer(customer)
        };
        sb.customer_says(says(customers[0], "请问还要多久送到？"))?;
        wait_label(bus, &item, "1").await?;
        let daemon = desk.daemon.clone();
        let urgent = move || {
            daemon
                .shown()
                .iter()
                .map(|n| n.is_urgent())
                .collect::<Vec<_>>()
        };
        until("the first notification", Duration::from_secs(10), || {
            urgent().len() == 1
        })
        .await?;

        // The menu a panel would pop up: show, pause 30 minutes, quit, in the UI's language
        // (Chinese, then English once the UI says so).
        let entries = menu_entries(bus, &item, menu).await?;
        let labels =
            |entries: &[(i32, String)]| entries.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>();
        assert_eq!(labels(&entries), ["显示窗口", "暂停通知 30 分钟", "退出"]);
        w.invoke("set_ui_language", serde_json::json!({ "code": "en" }))
            .await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let entries = loop {
            let entries = menu_entries(bus, &item, menu).await?;
            if entries.iter().all(|(_, t)| t.is_ascii()) {
                break entries;
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the tray menu stays Chinese in English: {entries:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let entry = |word: &str| {
            entries
                .iter()
                .find(|(_, text)| text.contains(word))
                .map(|(id, _)| *id)
                .with_context(|| format!("no {word:?} entry in the tray menu: {entries:?}"))
        };
        let (show, pause, quit) = (entry("Show")?, entry("Pause")?, entry("Quit")?);
        assert_eq!(entries.len(), 3, "{entries:?}");

        // Pause: a new customer still counts on the tray but is not announced (not even once the
        // store's gap between notifications has passed), while an urgent complaint still is.
        let gap = Duration::from_secs(STORE_GAP_SECS);
        tokio::time::sleep(gap).await;
        click(bus, &item, menu, pause).await?;
        // The window's status bar shows the pause once the core has it.
        let shown_pause = w.wait_text("alerts-paused", |t| t.contains("暂停")).await?;
        assert!(
            shown_pause.contains(':'),
            "paused until a time: {shown_pause}"
        );
        sb.customer_says(says(customers[1], "能不能多给点餐具"))?;
        wait_label(bus, &item, "2").await?;
        tokio::time::sleep(gap * 3).await;
        assert_eq!(
            urgent(),
            vec![false],
            "paused: no notification for the second customer"
        );
        sb.customer_says(says(customers[2], "菜里有异物，我要投诉").scene(9003))?;
        wait_label(bus, &item, "3").await?;
        until("the urgent notification", Duration::from_secs(10), || {
            urgent().len() == 2
        })
        .await?;
        assert_eq!(urgent(), vec![false, true]);

        // Show brings a minimised window back.
        w.client().minimize_window().await?;
        until(
            "the window manager to minimise",
            Duration::from_secs(10),
            || desk.wm.iconified() > 0,
        )
        .await?;
        until_page(&w, "hidden", "the minimised page to be hidden").await?;
        click(bus, &item, menu, show).await?;
        until_page(&w, "visible", "the tray's Show to bring the window back").await?;

        // Quit ends the app: its connection (and with it the tray item) leaves the bus.
        click(bus, &item, menu, quit).await?;
        let dbus = zbus::fdo::DBusProxy::new(bus).await?;
        let owner: zbus::names::BusName<'_> = item.service.as_str().try_into()?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while dbus.name_has_owner(owner.clone()).await? {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the app still runs after Quit"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    })
    .await
}
