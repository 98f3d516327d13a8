//! A stand-in for the desktop's notification daemon (`org.freedesktop.Notifications`), served
//! on a test's private D-Bus session: it records every `Notify` and `CloseNotification` call,
//! keeps the list of open notifications as a daemon does (`replaces_id` replaces in place) and
//! can emit the signal a daemon sends when the user clicks a notification.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use zbus::OwnedVariant;

/// The bus path and name a notification daemon serves at.
pub const PATH: &str = "/org/freedesktop/Notifications";
/// See [`PATH`].
pub const NAME: &str = "org.freedesktop.Notifications";

/// One notification the app asked to show.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The id the daemon answered with.
    pub id: u32,
    /// The `replaces_id` the app sent (0: a new notification).
    pub replaces: u32,
    /// The action labels (every other entry of the `actions` list).
    pub actions: Vec<String>,
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

#[derive(Debug, Default)]
struct Record {
    shown: Vec<Shown>,
    /// Open notifications by id: the latest `Notify` of each.
    open: BTreeMap<u32, Shown>,
    closed: Vec<u32>,
    last_id: u32,
}

/// The recording daemon. Clones share the record.
#[derive(Debug, Default, Clone)]
pub struct NotificationDaemon {
    record: Arc<Mutex<Record>>,
}

impl NotificationDaemon {
    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every `Notify` so far, in order (ids count from 1).
    pub fn shown(&self) -> Vec<Shown> {
        self.record().shown.clone()
    }

    /// The notifications open now, by id: neither closed by the app nor replaced.
    pub fn open(&self) -> Vec<Shown> {
        self.record().open.values().cloned().collect()
    }

    /// The ids the app closed, in order.
    pub fn closed(&self) -> Vec<u32> {
        self.record().closed.clone()
    }
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl NotificationDaemon {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        let mut record = self.record();
        // As the specification says: a `replaces_id` that is not open gets a new id.
        let id = if record.open.contains_key(&replaces_id) {
            replaces_id
        } else {
            record.last_id += 1;
            record.last_id
        };
        let shown = Shown {
            id,
            replaces: replaces_id,
            actions: actions.into_iter().skip(1).step_by(2).collect(),
            app: app_name,
            summary,
            body,
            urgency,
        };
        record.shown.push(shown.clone());
        record.open.insert(id, shown);
        id
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

    fn close_notification(&self, id: u32) {
        let mut record = self.record();
        record.open.remove(&id);
        record.closed.push(id);
    }

    /// What a daemon emits when the user clicks a notification (or one of its actions).
    #[zbus(signal)]
    pub async fn action_invoked(
        emitter: &zbus::object_server::SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;
}
