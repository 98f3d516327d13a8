//! Our notifications on a freedesktop desktop (Linux and the BSDs, over D-Bus): one task owns
//! the [`Screen`] and performs its ops in order, so a withdrawal never overtakes the alert it
//! withdraws. A re-alert is sent with the earlier notification's id as `replaces_id`;
//! withdrawing sends `CloseNotification`. One small task per notification on screen waits for
//! its click or its closing (the desktop's signals), and tells the owner.

use std::collections::HashMap;
use std::sync::Arc;

use imdesk_core::alerts::Lang;
use imdesk_core::view::ConversationId;
use notify_rust::{ActionResponse, NotificationHandle};
use tauri::async_runtime::{spawn, JoinHandle};
use tauri::AppHandle;
use tokio::sync::mpsc;

use super::screen::{Content, Op, Screen, Slot};
use super::Notice;

enum Command {
    Show(Notice),
    Withdraw(ConversationId),
    /// The desktop closed notification `id` (dismissed, expired, or clicked).
    Closed(u32),
    /// The user clicked notification `id`.
    Activated(u32),
}

/// The sending side; cheap to call from any thread.
pub struct Desktop(mpsc::UnboundedSender<Command>);

impl Desktop {
    /// Starts the task that owns the notifications.
    pub fn start(app: AppHandle) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        spawn(run(app, rx, tx.clone()));
        Self(tx)
    }

    pub fn show(&self, notice: Notice) {
        let _ = self.0.send(Command::Show(notice));
    }

    pub fn withdraw(&self, conversation: &ConversationId) {
        let _ = self.0.send(Command::Withdraw(conversation.clone()));
    }
}

/// A notification on screen: its handle (which keeps the D-Bus connection that sent it, on
/// which some desktops report clicks) and the task waiting for its click.
struct OnScreen {
    handle: Arc<NotificationHandle>,
    waiter: JoinHandle<()>,
}

struct Owner {
    app: AppHandle,
    screen: Screen,
    on_screen: HashMap<u32, OnScreen>,
    tx: mpsc::UnboundedSender<Command>,
}

async fn run(
    app: AppHandle,
    mut rx: mpsc::UnboundedReceiver<Command>,
    tx: mpsc::UnboundedSender<Command>,
) {
    let mut owner = Owner {
        app,
        screen: Screen::default(),
        on_screen: HashMap::new(),
        tx,
    };
    while let Some(command) = rx.recv().await {
        let ops = match command {
            Command::Show(notice) => {
                let (conversation, urgent) = (notice.conversation.clone(), notice.urgent);
                owner.screen.alert(conversation, urgent, notice)
            }
            Command::Withdraw(conversation) => owner.screen.withdraw(&conversation),
            Command::Closed(id) => {
                owner.screen.closed(id);
                owner.on_screen.remove(&id);
                continue;
            }
            Command::Activated(id) => {
                match owner.screen.slot_of(id) {
                    Some(Slot::Conversation(c)) => super::focus_conversation(&owner.app, c),
                    _ => super::show_window(&owner.app),
                }
                continue;
            }
        };
        for op in ops {
            owner.perform(op).await;
        }
    }
}

impl Owner {
    async fn perform(&mut self, op: Op<Notice>) {
        match op {
            Op::Close(id) => {
                if let Some(gone) = self.on_screen.remove(&id) {
                    gone.waiter.abort();
                    gone.handle.close_async().await;
                }
            }
            Op::Show {
                slot,
                replaces,
                content,
            } => {
                let lang = crate::settings::ui_lang(&self.app);
                let mut n = notification(&content, lang);
                if let Some(id) = replaces {
                    n.id(id);
                }
                match n.show_async().await {
                    Ok(handle) => {
                        let id = handle.id();
                        self.screen.shown(&slot, id);
                        // A replaced notification keeps its id; the desktop may give a new one
                        // when the old one was closed meanwhile.
                        for old in replaces.into_iter().chain([id]) {
                            if let Some(gone) = self.on_screen.remove(&old) {
                                gone.waiter.abort();
                            }
                        }
                        let handle = Arc::new(handle);
                        let waiter = spawn(wait_for_click(handle.clone(), self.tx.clone()));
                        self.on_screen.insert(id, OnScreen { handle, waiter });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "desktop notification failed");
                        self.screen.failed(&slot);
                    }
                }
            }
        }
    }
}

/// Waits for the notification's click or its closing, and reports it.
async fn wait_for_click(handle: Arc<NotificationHandle>, tx: mpsc::UnboundedSender<Command>) {
    let id = handle.id();
    let mut report = None;
    handle
        .wait_for_action_async(|response| {
            report = Some(match response {
                ActionResponse::Closed(_) => Command::Closed(id),
                _ => Command::Activated(id),
            });
        })
        .await;
    if let Some(command) = report {
        let _ = tx.send(command);
    }
}

fn notification(content: &Content<Notice>, lang: Lang) -> notify_rust::Notification {
    let mut n = notify_rust::Notification::new();
    n.appname("imdesk").icon("mail-message-new");
    let urgent = match content {
        Content::Alert(notice) => {
            n.summary(&notice.title);
            if let Some(body) = &notice.body {
                n.body(body);
            }
            notice.urgent
        }
        Content::Summary { waiting, urgent } => {
            n.summary(&super::text::more_waiting(*waiting, lang));
            *urgent
        }
    };
    if urgent {
        n.urgency(notify_rust::Urgency::Critical);
    }
    n.action("default", super::text::open_action(lang));
    n
}
