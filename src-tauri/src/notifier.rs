//! Desktop notifications (notify-rust) and the two bundled alert sounds, played from Rust so
//! they fire on time while the webview is hidden or throttled.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use imdesk_core::view::{ConversationId, DeskEvent};
use tauri::{AppHandle, Emitter, Manager};

/// A notification ready to show: text is already rendered (or hidden by the privacy setting).
#[derive(Debug, Clone)]
pub struct Notice {
    /// Store and customer.
    pub title: String,
    /// A short preview, or `None` when privacy hides message text.
    pub body: Option<String>,
    /// Urgent notices ask the desktop for critical urgency.
    pub urgent: bool,
    /// The conversation to open when the notice is activated.
    pub conversation: Option<ConversationId>,
}

const NORMAL_WAV: &[u8] = include_bytes!("../sounds/normal.wav");
const URGENT_WAV: &[u8] = include_bytes!("../sounds/urgent.wav");

/// At most this many notifications wait for a click at once (one thread each on Linux).
const MAX_WAITING: usize = 8;

/// Shows notifications and plays sounds.
pub struct Notifier {
    app: AppHandle,
    sounds: Option<mpsc::Sender<bool>>,
    waiting: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notifier")
    }
}

impl Notifier {
    /// Starts the sound thread (which owns the audio device) and returns the notifier.
    pub fn new(app: AppHandle) -> Self {
        Self {
            app,
            sounds: start_sound_thread(),
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Plays the urgent or the normal sound; silently nothing when there is no audio device.
    pub fn play(&self, urgent: bool) {
        if let Some(tx) = &self.sounds {
            let _ = tx.send(urgent);
        }
    }

    /// Shows a desktop notification off the caller's thread.
    pub fn show(&self, notice: Notice) {
        let app = self.app.clone();
        let waiting = self.waiting.clone();
        std::thread::spawn(move || show_blocking(app, notice, waiting));
    }
}

fn show_blocking(app: AppHandle, notice: Notice, waiting: Arc<AtomicUsize>) {
    let mut n = notify_rust::Notification::new();
    n.appname("imdesk")
        .summary(&notice.title)
        .icon("mail-message-new");
    if let Some(body) = &notice.body {
        n.body(body);
    }
    if notice.urgent {
        #[cfg(all(unix, not(target_os = "macos")))]
        n.urgency(notify_rust::Urgency::Critical);
    }
    if notice.conversation.is_some() {
        n.action("default", "打开会话");
    }
    let handle = match n.show() {
        Ok(handle) => handle,
        Err(e) => {
            tracing::warn!(error = %e, "desktop notification failed");
            return;
        }
    };
    tracing::debug!(urgent = notice.urgent, "notification shown");
    // Activation is reported over D-Bus on Linux/BSD only; elsewhere the click just shows
    // the app, which the platform does by itself.
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let Some(conversation) = notice.conversation else {
            return;
        };
        if waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            waiting.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        handle.wait_for_action(|action| {
            if action == "default" {
                focus_conversation(&app, conversation.clone());
            }
        });
        waiting.fetch_sub(1, Ordering::SeqCst);
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        let _ = (handle, app, waiting);
    }
}

/// Brings the window forward and asks the UI to open the conversation.
pub fn focus_conversation(app: &AppHandle, conversation_id: ConversationId) {
    show_window(app);
    let _ = app.emit(
        crate::sink::DESK_EVENT,
        DeskEvent::Focus { conversation_id },
    );
}

/// Un-minimises, shows and focuses the main window.
pub fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

fn start_sound_thread() -> Option<mpsc::Sender<bool>> {
    let (tx, rx) = mpsc::channel::<bool>();
    let spawned = std::thread::Builder::new()
        .name("imdesk-sound".into())
        .spawn(move || {
            // The output stream is not Send: it lives and dies on this thread.
            let (_stream, handle) = match rodio::OutputStream::try_default() {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::info!(error = %e, "no audio output; alert sounds are off");
                    // Drain requests so senders never block or error.
                    for _ in rx {}
                    return;
                }
            };
            for urgent in rx {
                let bytes = if urgent { URGENT_WAV } else { NORMAL_WAV };
                match rodio::Decoder::new(std::io::Cursor::new(bytes)) {
                    Ok(source) => {
                        use rodio::Source;
                        if let Err(e) = handle.play_raw(source.convert_samples()) {
                            tracing::warn!(error = %e, "could not play an alert sound");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "bundled alert sound unreadable"),
                }
            }
        });
    spawned.ok().map(|_| tx)
}
