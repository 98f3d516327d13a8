//! Desktop notifications (notify-rust) and the two bundled alert sounds, played from Rust so
//! they fire on time while the webview is hidden or throttled. A conversation has at most one
//! notification on screen, withdrawn once it is answered or opened, and only a few are on
//! screen at once ([`screen`]).

#[cfg(all(unix, not(target_os = "macos")))]
#[path = "notifier/desktop.rs"]
mod desktop;
#[cfg(not(all(unix, not(target_os = "macos"))))]
#[path = "notifier/desktop_other.rs"]
mod desktop;
#[cfg_attr(not(all(unix, not(target_os = "macos"))), allow(dead_code))]
mod screen;
#[cfg_attr(not(all(unix, not(target_os = "macos"))), allow(dead_code))]
mod text;

use std::sync::mpsc;

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

/// Shows notifications and plays sounds.
pub struct Notifier {
    sounds: Option<mpsc::Sender<bool>>,
    desktop: desktop::Desktop,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notifier")
    }
}

impl Notifier {
    /// Starts the sound thread (which owns the audio device) and the owner of the desktop
    /// notifications, and returns the notifier.
    pub fn new(app: AppHandle) -> Self {
        Self {
            sounds: start_sound_thread(),
            desktop: desktop::Desktop::start(app),
        }
    }

    /// Plays the urgent or the normal sound; silently nothing when there is no audio device.
    pub fn play(&self, urgent: bool) {
        if let Some(tx) = &self.sounds {
            let _ = tx.send(urgent);
        }
    }

    /// Shows a desktop notification, in place of the conversation's earlier one.
    pub fn show(&self, notice: Notice) {
        self.desktop.show(notice);
    }

    /// Takes the conversation's notifications off the screen.
    pub fn withdraw(&self, conversation: &ConversationId) {
        self.desktop.withdraw(conversation);
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
