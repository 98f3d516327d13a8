//! A stand-in for the desktop's notification daemon (`org.freedesktop.Notifications`), served
//! on a test's private D-Bus session: it records every `Notify` call and can emit the signal a
//! daemon sends when the user clicks a notification.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use zbus::OwnedVariant;

/// The bus path and name a notification daemon serves at.
pub const PATH: &str = "/org/freedesktop/Notifications";
/// See [`PATH`].
pub const NAME: &str = "org.freedesktop.Notifications";

/// One notification the app asked to show.
#[derive(Debug, Clone)]
pub struct Shown {
    /// `app_name`.
    pub app: String,
    /// The title.
    pub summary: String,
    /// The body.
    pub body: String,
    /// The `urgency` hint (2 is critical).
    pub urgency: Option<u8>,
}

impl Shown {
    /// Sent with the critical urgency hint (imdesk's urgent alerts).
    pub fn is_urgent(&self) -> bool {
        self.urgency == Some(2)
    }
}

/// The recording daemon. Clones share the record.
#[derive(Debug, Default, Clone)]
pub struct NotificationDaemon {
    shown: Arc<Mutex<Vec<Shown>>>,
}

impl NotificationDaemon {
    /// Everything shown so far, in order (notification id = index + 1).
    pub fn shown(&self) -> Vec<Shown> {
        self.shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl NotificationDaemon {
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
        let mut shown = self.shown.lock().unwrap_or_else(PoisonError::into_inner);
        shown.push(Shown {
            app: app_name,
            summary,
            body,
            urgency,
        });
        u32::try_from(shown.len()).unwrap_or(u32::MAX)
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
    pub async fn action_invoked(
        emitter: &zbus::object_server::SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;
}
