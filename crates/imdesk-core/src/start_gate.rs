//! [`StartGate`]: holds the engine's start-up work that nobody waits for until the window has
//! drawn its first inbox page.
//!
//! Restoring the alert clocks of every waiting customer reads each of their conversations (on
//! the 1M-message demo cache: 30,000 rows, 115-137 ms of CPU). Nothing on screen needs it in the
//! first second, yet on a 2-core desk it ran beside the web process while that parsed the UI
//! and laid out the first page, and the page waited for the CPU. The app opens the gate when
//! the UI reports its first page painted; a window that never paints (started hidden) opens it
//! after a cap. Headless desks, relays and tests start with the gate open.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// Where deferred start-up work waits. Cloned into each task that waits on it.
#[derive(Clone, Debug)]
pub struct StartGate {
    opened: watch::Receiver<bool>,
    /// The longest wait, counted from when a task starts waiting.
    cap: Duration,
}

/// Opens a [`StartGate`] (and every clone of it). Dropping every opener opens it too.
#[derive(Clone, Debug)]
pub struct StartGateOpener(Arc<watch::Sender<bool>>);

impl StartGate {
    /// A gate that is already open: deferred work starts at once.
    pub fn open() -> Self {
        let (_opener, gate) = Self::until_opened(Duration::ZERO);
        gate
    }

    /// A closed gate that opens when the returned opener says so, or `cap` after a task began
    /// waiting on it, whichever comes first.
    pub fn until_opened(cap: Duration) -> (StartGateOpener, Self) {
        let (tx, rx) = watch::channel(cap.is_zero());
        (StartGateOpener(Arc::new(tx)), Self { opened: rx, cap })
    }

    /// Whether deferred work would start now.
    pub fn is_open(&self) -> bool {
        *self.opened.borrow()
    }

    /// Returns once the gate is open, its opener is gone, or the cap has passed.
    pub(crate) async fn wait(&self) {
        let mut opened = self.opened.clone();
        // Err: every opener was dropped, so nothing will open it: go on.
        let _ = tokio::time::timeout(self.cap, opened.wait_for(|open| *open)).await;
    }
}

impl StartGateOpener {
    /// Opens the gate; opening it again does nothing.
    pub fn open(&self) {
        self.0.send_replace(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_closed_gate_waits_for_its_opener() {
        let (opener, gate) = StartGate::until_opened(Duration::from_secs(60));
        assert!(!gate.is_open());
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.wait().await }
        });
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert!(!waiting.is_finished(), "still closed half way to the cap");
        opener.open();
        waiting.await.unwrap();
        assert!(gate.is_open());
        // Open stays open: a later wait (a desk restarted under the same window) returns at once.
        tokio::time::timeout(Duration::from_millis(1), gate.wait())
            .await
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_gate_nobody_opens_gives_way_at_its_cap() {
        let (_opener, gate) = StartGate::until_opened(Duration::from_secs(3));
        let started = tokio::time::Instant::now();
        gate.wait().await;
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        assert!(
            !gate.is_open(),
            "the cap lets one wait go, it does not open the gate"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_gate_whose_openers_are_gone_does_not_hold_anything() {
        let (opener, gate) = StartGate::until_opened(Duration::from_secs(3600));
        drop(opener);
        let started = tokio::time::Instant::now();
        gate.wait().await;
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_gate_holds_nothing() {
        let gate = StartGate::open();
        assert!(gate.is_open());
        let started = tokio::time::Instant::now();
        gate.wait().await;
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
