//! The shell's side of the engine's output: UI notices become the Tauri event `desk://event`;
//! alerts become desktop notifications, sounds and attention requests (the clocks and the
//! decision to alert live in the core, so they fire on time while the window is hidden).

use std::sync::Arc;

use imdesk_core::alerts::{render, Alert, Lang, Sound};
use imdesk_core::view::{ConversationId, DeskEvent};
use imdesk_core::DeskSink;
use tauri::{AppHandle, Emitter, Manager};

use crate::notifier::{Notice, Notifier};

/// The one Tauri event name that carries every `DeskEvent` (ui/src/ipc/backend.ts).
pub const DESK_EVENT: &str = "desk://event";

/// Forwards engine output to the window and the desktop.
pub struct ShellSink {
    app: AppHandle,
    notifier: Arc<Notifier>,
    store_names: std::sync::RwLock<std::collections::HashMap<String, String>>,
}

impl std::fmt::Debug for ShellSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShellSink")
    }
}

impl ShellSink {
    /// A sink emitting into `app` and notifying through `notifier`.
    pub fn new(app: AppHandle, notifier: Arc<Notifier>) -> Self {
        Self {
            app,
            notifier,
            store_names: Default::default(),
        }
    }

    /// Remembers store display names for notification titles.
    pub fn set_store_names(&self, names: impl IntoIterator<Item = (String, String)>) {
        if let Ok(mut map) = self.store_names.write() {
            map.extend(names);
        }
    }
}

impl DeskSink for ShellSink {
    fn event(&self, event: DeskEvent) {
        if matches!(event, DeskEvent::StoresChanged) {
            crate::tray::refresh(&self.app);
        }
        if let Err(e) = self.app.emit(DESK_EVENT, event) {
            tracing::warn!(error = %e, "could not emit a desk event");
        }
    }

    fn alert(&self, alert: Alert<ConversationId>) {
        let store_name = alert
            .store
            .as_ref()
            .and_then(|s| self.store_names.read().ok()?.get(s.as_str()).cloned());
        let lang = crate::settings::ui_lang(&self.app);
        let text = render(&alert, lang, store_name.as_deref());
        let notice = Notice {
            title: text.title,
            body: text.body,
            urgent: alert.urgent,
            conversation: alert.conversation.clone(),
        };
        self.notifier.show(notice);
        match alert.sound {
            Sound::None => {}
            Sound::Normal => self.notifier.play(false),
            Sound::Urgent => self.notifier.play(true),
        }
        if alert.attention {
            if let Some(window) = self.app.get_webview_window("main") {
                let kind = if alert.urgent {
                    tauri::UserAttentionType::Critical
                } else {
                    tauri::UserAttentionType::Informational
                };
                let _ = window.request_user_attention(Some(kind));
            }
        }
    }

    fn withdraw(&self, conversation: &ConversationId) {
        self.notifier.withdraw(conversation);
    }
}

/// English when the user switched the UI to English; Chinese otherwise.
pub fn lang_from_code(code: &str) -> Lang {
    if code.starts_with("en") {
        Lang::En
    } else {
        Lang::ZhCn
    }
}
