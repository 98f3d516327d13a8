//! The tray icon: how many customers wait and how many are overdue, and a menu to show the
//! window, pause notifications for 30 minutes (urgent alerts still come) or quit.

use std::sync::Arc;

use tauri::menu::{Menu, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager};

use crate::host::DeskHost;

const TRAY_ID: &str = "imdesk";
const PAUSE_MINUTES: u32 = 30;

/// Creates the tray icon. A desktop without a tray (or a status-notifier host) just logs.
pub fn install(app: &AppHandle) {
    if let Err(e) = build(app) {
        tracing::info!(error = %e, "no tray icon on this desktop");
    }
}

fn build(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let show = MenuItem::with_id(app, "show", "显示窗口 / Show", true, None::<&str>)?;
    let pause = MenuItem::with_id(
        app,
        "pause",
        "暂停通知 30 分钟 / Pause 30 min",
        true,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, "quit", "退出 / Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &pause, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("imdesk")
        .on_menu_event(|app, event| match event.id.as_ref() {
            "show" => crate::notifier::show_window(app),
            "pause" => {
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    if let Ok(desk) = app.state::<Arc<DeskHost>>().desk().await {
                        desk.pause_alerts_for(Some(PAUSE_MINUTES));
                    }
                });
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)
}

/// Recomputes the counts shown on the tray (after the stores' counters change).
pub fn refresh(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(tray) = app.tray_by_id(TRAY_ID) else {
            return;
        };
        let Ok(desk) = app.state::<Arc<DeskHost>>().desk().await else {
            return;
        };
        let Ok(stores) = desk.stores().await else {
            return;
        };
        let waiting: u32 = stores.iter().map(|s| s.waiting).sum();
        let overdue: u32 = stores.iter().map(|s| s.overdue).sum();
        // Windows and macOS show the tooltip. On Linux the tooltip is dropped (tray-icon's
        // libayatana backend has none) and the title becomes the item's `XAyatanaLabel`, the
        // text GNOME's AppIndicator extension and the Ayatana panels draw beside the icon
        // (tests/tests/window_tray.rs reads it over D-Bus). KDE Plasma does not draw that
        // label; its tooltip falls back to the item's `Title`, which tray-icon does not expose.
        let _ = tray.set_tooltip(Some(format!("imdesk · 等待 {waiting} · 超时 {overdue}")));
        #[cfg(target_os = "linux")]
        let _ = tray.set_title(Some(if overdue > 0 {
            format!("{waiting}/{overdue}")
        } else {
            waiting.to_string()
        }));
    });
}
