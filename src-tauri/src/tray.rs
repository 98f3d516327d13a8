//! The tray icon: how many customers wait and how many are overdue, and a menu to show the
//! window, pause notifications for 30 minutes (urgent alerts still come) or quit, in the
//! language the UI shows.

use std::sync::Arc;

use imdesk_core::alerts::Lang;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

use crate::host::DeskHost;

const TRAY_ID: &str = "imdesk";
const PAUSE_MINUTES: u32 = 30;

/// The menu's entries, kept to relabel them when the UI language changes.
struct TrayMenu {
    show: MenuItem<Wry>,
    pause: MenuItem<Wry>,
    quit: MenuItem<Wry>,
}

/// Show, pause and quit, in `lang`.
fn labels(lang: Lang) -> [&'static str; 3] {
    match lang {
        Lang::ZhCn => ["显示窗口", "暂停通知 30 分钟", "退出"],
        Lang::En => ["Show window", "Pause notifications for 30 min", "Quit"],
    }
}

/// The tooltip: customers waiting and overdue.
fn tooltip(lang: Lang, waiting: u32, overdue: u32) -> String {
    match lang {
        Lang::ZhCn => format!("imdesk · 等待 {waiting} · 超时 {overdue}"),
        Lang::En => format!("imdesk · {waiting} waiting · {overdue} overdue"),
    }
}

/// Creates the tray icon. A desktop without a tray (or a status-notifier host) just logs.
pub fn install(app: &AppHandle) {
    if let Err(e) = build(app) {
        tracing::info!(error = %e, "no tray icon on this desktop");
    }
}

fn build(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let [show, pause, quit] = labels(crate::settings::ui_lang(app));
    let show = MenuItem::with_id(app, "show", show, true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", pause, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", quit, true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &pause, &quit])?;
    app.manage(TrayMenu { show, pause, quit });
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

/// Writes the menu and the tooltip again in the UI's current language.
pub fn relabel(app: &AppHandle) {
    if let Some(menu) = app.try_state::<TrayMenu>() {
        let [show, pause, quit] = labels(crate::settings::ui_lang(app));
        for (item, text) in [(&menu.show, show), (&menu.pause, pause), (&menu.quit, quit)] {
            if let Err(e) = item.set_text(text) {
                tracing::debug!(error = %e, "tray menu not relabelled");
            }
        }
    }
    refresh(app);
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
        let lang = crate::settings::ui_lang(&app);
        let _ = tray.set_tooltip(Some(tooltip(lang, waiting, overdue)));
        #[cfg(target_os = "linux")]
        let _ = tray.set_title(Some(if overdue > 0 {
            format!("{waiting}/{overdue}")
        } else {
            waiting.to_string()
        }));
    });
}
