//! Notifications on macOS and Windows. notify-rust 4.19 returns no handle there that can
//! close or replace a notification, so each alert is shown as it comes and withdrawing does
//! nothing: the system's notification centre groups them by app and lets the agent clear them.

use imdesk_core::view::ConversationId;
use tauri::AppHandle;

use super::Notice;

/// Shows each notice on its own thread (the call blocks until the system took it).
pub struct Desktop;

impl Desktop {
    pub fn start(_app: AppHandle) -> Self {
        Self
    }

    pub fn show(&self, notice: Notice) {
        std::thread::spawn(move || {
            let mut n = notify_rust::Notification::new();
            n.appname("imdesk").summary(&notice.title);
            if let Some(body) = &notice.body {
                n.body(body);
            }
            if let Err(e) = n.show() {
                tracing::warn!(error = %e, "desktop notification failed");
            }
        });
    }

    pub fn withdraw(&self, _conversation: &ConversationId) {}
}
