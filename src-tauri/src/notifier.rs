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
use std::time::{Duration, Instant};

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
    /// Starts the sound thread (which opens the audio device while sounds play) and the owner
    /// of the desktop notifications, and returns the notifier.
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

/// How long the audio output stays open after the last alert sound: a burst of alerts plays
/// on one stream, and an idle desk holds none (an open rodio stream mixes silence into the
/// device all the time, waking the desk's CPU and the sound server every period, all day).
const AUDIO_IDLE: Duration = Duration::from_secs(60);
/// After the output failed to open (no device, the sound server gone), alerts stay silent
/// this long before the next try: a headset plugged in later is found, and a desk without
/// audio does not reread the sound configuration at every alert.
const AUDIO_RETRY: Duration = Duration::from_secs(300);

fn start_sound_thread() -> Option<mpsc::Sender<bool>> {
    let (tx, rx) = mpsc::channel::<bool>();
    let spawned = std::thread::Builder::new()
        .name("imdesk-sound".into())
        .spawn(move || {
            // The output stream is not Send: it lives and dies on this thread.
            let open = || match rodio::OutputStream::try_default() {
                Ok(pair) => Some(pair),
                Err(e) => {
                    tracing::info!(error = %e, "no audio output; alert sounds are off for now");
                    None
                }
            };
            let play = |(_, handle): &(rodio::OutputStream, rodio::OutputStreamHandle),
                        urgent: bool| {
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
            };
            play_sounds(&rx, SoundTimes::default(), open, play);
        });
    spawned.ok().map(|_| tx)
}

/// The sound thread's two delays ([`AUDIO_IDLE`], [`AUDIO_RETRY`]; shorter in tests).
#[derive(Debug, Clone, Copy)]
struct SoundTimes {
    idle: Duration,
    retry: Duration,
}

impl Default for SoundTimes {
    fn default() -> Self {
        Self {
            idle: AUDIO_IDLE,
            retry: AUDIO_RETRY,
        }
    }
}

/// Plays each requested sound (`true`: urgent) on an output `open`ed when the first request
/// comes and dropped after `times.idle` without one. While the output cannot be opened,
/// requests are skipped until `times.retry` has passed. Returns when every sender is gone.
fn play_sounds<O>(
    rx: &mpsc::Receiver<bool>,
    times: SoundTimes,
    mut open: impl FnMut() -> Option<O>,
    mut play: impl FnMut(&O, bool),
) {
    let mut output: Option<O> = None;
    let mut failed_at: Option<Instant> = None;
    loop {
        let urgent = if output.is_some() {
            match rx.recv_timeout(times.idle) {
                Ok(urgent) => urgent,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    output = None;
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match rx.recv() {
                Ok(urgent) => urgent,
                Err(mpsc::RecvError) => return,
            }
        };
        if output.is_none() && failed_at.is_none_or(|at| at.elapsed() >= times.retry) {
            output = open();
            failed_at = output.is_none().then(Instant::now);
        }
        if let Some(output) = &output {
            play(output, urgent);
        }
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // the senders are plain threads that wait between sounds
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;

    /// An output that counts how many are open.
    struct Output(Rc<RefCell<i32>>);

    impl Drop for Output {
        fn drop(&mut self) {
            *self.0.borrow_mut() -= 1;
        }
    }

    const TIMES: SoundTimes = SoundTimes {
        idle: Duration::from_millis(200),
        retry: Duration::from_millis(300),
    };

    #[test]
    fn the_output_opens_on_the_first_sound_serves_a_burst_and_closes_when_quiet() {
        let (tx, rx) = mpsc::channel();
        let sender = std::thread::spawn(move || {
            for urgent in [false, true, false] {
                tx.send(urgent).ok();
            }
            std::thread::sleep(Duration::from_millis(600));
            tx.send(true).ok();
        });
        let open_now = Rc::new(RefCell::new(0));
        let opened = RefCell::new(Vec::new());
        let played = RefCell::new(Vec::new());
        play_sounds(
            &rx,
            TIMES,
            || {
                *open_now.borrow_mut() += 1;
                opened.borrow_mut().push(Instant::now());
                Some(Output(open_now.clone()))
            },
            |_, urgent| played.borrow_mut().push((urgent, *open_now.borrow())),
        );
        sender.join().ok();
        // Every sound played, each on one open output; the burst shared the first one and the
        // late sound opened a second after the first had closed.
        assert_eq!(
            played.into_inner(),
            vec![(false, 1), (true, 1), (false, 1), (true, 1)]
        );
        let opened = opened.into_inner();
        assert_eq!(opened.len(), 2, "one output per burst");
        assert!(opened[1] - opened[0] >= Duration::from_millis(400));
        assert_eq!(
            *open_now.borrow(),
            0,
            "nothing open once the senders are gone"
        );
    }

    #[test]
    fn without_an_output_sounds_are_skipped_and_the_output_is_tried_again_later() {
        let (tx, rx) = mpsc::channel();
        let sender = std::thread::spawn(move || {
            for _ in 0..5 {
                tx.send(true).ok();
            }
            std::thread::sleep(Duration::from_millis(450));
            tx.send(false).ok();
        });
        let tries = RefCell::new(0);
        let played = RefCell::new(Vec::new());
        let open_now = Rc::new(RefCell::new(0));
        play_sounds(
            &rx,
            TIMES,
            || {
                *tries.borrow_mut() += 1;
                // The device appears for the second try.
                (*tries.borrow() > 1).then(|| {
                    *open_now.borrow_mut() += 1;
                    Output(open_now.clone())
                })
            },
            |_, urgent| played.borrow_mut().push(urgent),
        );
        sender.join().ok();
        assert_eq!(
            *tries.borrow(),
            2,
            "one failed try for the burst, one after the retry delay"
        );
        assert_eq!(played.into_inner(), vec![false]);
    }
}
