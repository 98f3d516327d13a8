//! The one window-manager duty the tray test needs: minimising. Xvfb runs no window manager,
//! so a window asked to minimise stays on screen and "show it again" cannot be observed.
//! [`Iconifier`] answers the ICCCM request a toolkit sends to minimise (a `WM_CHANGE_STATE`
//! client message with `IconicState`, sent to the root window) by unmapping the window, as a
//! window manager would; GTK then reports the window as iconified, and un-minimising maps it
//! again. Nothing else is managed: windows still map, move and focus without a manager.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ChangeWindowAttributesAux, ConnectionExt, EventMask};
use x11rb::protocol::Event;

/// ICCCM `IconicState`, the first datum of a `WM_CHANGE_STATE` request to minimise.
const ICONIC_STATE: u32 = 3;

/// Minimises windows on one X display while it lives; stops on drop.
#[derive(Debug)]
pub struct Iconifier {
    stop: Arc<AtomicBool>,
    iconified: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Iconifier {
    /// Starts answering minimise requests on `display` (for example `:90`).
    pub fn start(display: &str) -> anyhow::Result<Self> {
        let (conn, screen) = x11rb::connect(Some(display))
            .with_context(|| format!("cannot connect to X display {display}"))?;
        let root = conn
            .setup()
            .roots
            .get(screen)
            .context("X display without a screen")?
            .root;
        let change_state = conn.intern_atom(false, b"WM_CHANGE_STATE")?.reply()?.atom;
        // Requests sent to the root window reach every client selecting substructure events.
        conn.change_window_attributes(
            root,
            &ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_NOTIFY),
        )?
        .check()?;
        let stop = Arc::new(AtomicBool::new(false));
        let iconified = Arc::new(AtomicUsize::new(0));
        let (stop_flag, count) = (stop.clone(), iconified.clone());
        let thread = std::thread::Builder::new()
            .name("iconifier".into())
            .spawn(move || {
                while !stop_flag.load(Ordering::Relaxed) {
                    match conn.poll_for_event() {
                        Ok(Some(Event::ClientMessage(m)))
                            if m.type_ == change_state
                                && m.format == 32
                                && m.data.as_data32()[0] == ICONIC_STATE =>
                        {
                            if conn.unmap_window(m.window).is_ok() && conn.flush().is_ok() {
                                count.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Ok(Some(_)) => {}
                        Ok(None) => crate::process::pause(Duration::from_millis(20)),
                        Err(_) => return,
                    }
                }
            })?;
        Ok(Self {
            stop,
            iconified,
            thread: Some(thread),
        })
    }

    /// How many minimise requests were carried out so far.
    pub fn iconified(&self) -> usize {
        self.iconified.load(Ordering::Relaxed)
    }
}

impl Drop for Iconifier {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
