//! Reply clocks and the notification policy (issue 7), as pure logic: no I/O, no threads, no
//! clock reads. Every call takes `now` (UTC milliseconds); local time comes from a UTC offset
//! the driver passes. The driver (the engine) reads [`meituan_wire::Clock`], feeds inputs,
//! shows the returned [`Alert`]s through notify-rust and sleeps until [`AlertScheduler::next_wakeup`]:
//!
//! ```text
//! let mut s = AlertScheduler::<ConvKey>::new(settings, utc_offset_secs);
//! s.restore(rows_from_cache, clock.now());              // clocks survive restarts
//! loop {
//!     let now = clock.now();
//!     show(s.tick(now));                                 // due stages, re-alerts, summaries
//!     let wake = s.next_wakeup(now);                     // None: wait for input only
//!     select! {
//!         input = inputs.recv() => show(s.handle(clock.now(), input)),
//!         _ = sleep_until(wake) => {}
//!     }
//! }
//! ```
//!
//! # The rules
//!
//! * **Clocks.** The store decides each conversation's reply clock at ingest (5 min, or 1 min
//!   for an urgent scene tag, tightened by urgent messages: its policy, not a preference). A
//!   customer message sets its conversation's clock to what the store decided; a merchant
//!   reply stops it. Each clock alerts once per stage: at each pre-alert fraction (60 %, 85 %)
//!   of its window and at the deadline.
//! * **Urgent** messages (those of a conversation whose clock is urgent) and urgent clocks
//!   always notify, with the urgent sound, whatever the peak, do-not-disturb, mute or pause
//!   say. They re-alert (`UrgentRepeat`) every `urgent_realert_secs` after the last urgent
//!   alert while any urgent customer is unanswered; one re-alert covers them all with their
//!   count.
//! * **Non-urgent** alerts are silenced by the pause (tray), the do-not-disturb schedule and
//!   the store's mute; what arrives meanwhile is not announced later (the inbox shows it).
//! * **New messages, during a peak** (the store's own windows, else the brand's): each
//!   message notifies with sound, but a store shows at most one new-message notification per
//!   `store_min_gap_secs` (5 s); messages in between are announced together when the gap
//!   ends. **Outside peaks** the gap is `coalesce_window_secs` (30 s): the first message
//!   notifies at once, the rest of the window comes as one summary with its count.
//! * **Storm control.** At most `brand_max_per_window` (4) new-message notifications in any
//!   `window_secs` (30 s) brand-wide. When more stores are due than may still be shown, one
//!   brand summary ("N messages in K stores, W customers waiting") replaces them. Urgent
//!   notifications of every kind share their own cap, `urgent_max_per_window` (3) per window;
//!   an urgent message that does not fit waits (in a backlog that is shown first when the
//!   window frees, within `window_secs`), so 50 urgent messages give 3 popups and one
//!   "47 urgent customers waiting". Pre-alert and overdue reminders of normal clocks come at
//!   most once per `reminder_min_gap_secs` (15 s), as at most two alerts (pre-alert,
//!   overdue), each with its count. So a burst of 500 messages in a second across 10 stores
//!   gives 4 popups and one brand summary 30 s later; every alert says how many wait.
//! * **Privacy** (`hide_preview`) leaves message text out of every alert.
//!
//! Times before the latest one seen are taken as it, so a late input cannot move time back.

mod alert;
mod pending;
mod rate_window;
mod render;
mod reply_clock;
mod scheduler;
mod settings;

#[cfg(test)]
mod scheduler_tests;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod storm_tests;

pub use alert::{Alert, AlertKind, Sound};
pub use render::{render, AlertText, Lang, PREVIEW_CHARS};
pub use reply_clock::{
    AwaitingRow, ClockRef, ClockStage, ReplyClocks, ReplyDeadline, RunningClock, StageCrossing,
};
pub use scheduler::{AlertInput, AlertScheduler, IncomingMessage};
pub use settings::{
    local_second_of_day, AlertSettings, SettingsError, StormLimits, TimeOfDay, TimeRange,
};
