//! [`AlertScheduler`]: the notification policy as a pure state machine. It owns the reply
//! clocks, takes customer messages and replies, and on every tick returns the alerts to show.
//! It reads no clock: every call gets `now`. The rules are listed in the `alerts` module docs.

use std::collections::BTreeMap;
use std::fmt;

use meituan_wire::{StoreId, TimeMs};

use super::alert::Alert;
use super::pending::PendingMessages;
use super::rate_window::RateWindow;
use super::reply_clock::{AwaitingRow, ReplyClocks, ReplyDeadline, StageCrossing};
use super::settings::{local_second_of_day, AlertSettings};

/// A customer message as the policy needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct IncomingMessage<C> {
    /// The store it came to.
    pub store: StoreId,
    /// Its conversation.
    pub conversation: C,
    /// The customer's masked label (as the platform masks it).
    pub customer: String,
    /// The message text, or a short description of non-text content.
    pub preview: String,
    /// The conversation's clock after this message, as the store decided it in the same
    /// commit.
    pub clock: ReplyDeadline,
    /// The message itself is urgent (its scene tag is in the store's urgent set): it alerts as
    /// urgent even when an earlier deadline of the conversation stays in force.
    pub urgent: bool,
}

// Customer text must never reach logs.
impl<C: fmt::Debug> fmt::Debug for IncomingMessage<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncomingMessage")
            .field("store", &self.store)
            .field("conversation", &self.conversation)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// What the driver feeds the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertInput<C> {
    /// A customer message awaiting a reply (`has_reply` = 1), once it is durable.
    CustomerMessage(IncomingMessage<C>),
    /// A merchant reply was sent (or the conversation was otherwise handled): stops its clock.
    Replied {
        /// The conversation answered.
        conversation: C,
    },
}

/// An urgent message in the backlog (one per conversation, the latest).
#[derive(Debug, Clone)]
struct Pending<C> {
    conversation: C,
    store: StoreId,
    customer: String,
    preview: String,
}

#[derive(Debug, Clone)]
struct StoreState<C> {
    last_popup: Option<i64>,
    pending: PendingMessages<C>,
}

impl<C> Default for StoreState<C> {
    fn default() -> Self {
        Self {
            last_popup: None,
            pending: PendingMessages::default(),
        }
    }
}

/// The notification policy and the reply clocks it drives.
#[derive(Debug, Clone)]
pub struct AlertScheduler<C> {
    settings: AlertSettings,
    utc_offset_secs: i32,
    paused_until: Option<TimeMs>,
    clocks: ReplyClocks<C>,
    stores: BTreeMap<StoreId, StoreState<C>>,
    brand_window: RateWindow,
    urgent_window: RateWindow,
    urgent_backlog: Vec<Pending<C>>,
    last_urgent_alert: Option<i64>,
    reminders: BTreeMap<C, StageCrossing<C>>,
    last_reminder: Option<i64>,
    /// Since when a pause or do-not-disturb has silenced the desk (cleared by the catch-up).
    quiet_since: Option<i64>,
    last_now: i64,
}

/// How long the rate logs keep events (far beyond any sensible window).
const KEEP_LOG_MS: i64 = 3_600_000;

#[path = "scheduler_flush.rs"]
mod flush;

fn secs_ms(secs: u32) -> i64 {
    i64::from(secs.max(1)) * 1000
}

impl<C: Ord + Clone> AlertScheduler<C> {
    /// A scheduler with no clocks, for a desk whose local time is UTC + `utc_offset_secs`.
    pub fn new(settings: AlertSettings, utc_offset_secs: i32) -> Self {
        Self {
            settings,
            utc_offset_secs,
            paused_until: None,
            clocks: ReplyClocks::default(),
            stores: BTreeMap::new(),
            brand_window: RateWindow::default(),
            urgent_window: RateWindow::default(),
            urgent_backlog: Vec::new(),
            last_urgent_alert: None,
            reminders: BTreeMap::new(),
            last_reminder: None,
            quiet_since: None,
            last_now: i64::MIN,
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &AlertSettings {
        &self.settings
    }

    /// Replaces the settings. Running clocks keep their deadlines; new pre-alert fractions
    /// apply to them from now on.
    pub fn set_settings(&mut self, settings: AlertSettings) {
        self.settings = settings;
        let now = TimeMs(self.last_now.max(0));
        self.clocks.reschedule(&self.settings.fractions(), now);
    }

    /// The tray's "pause notifications until": non-urgent alerts stay silent until `until`.
    pub fn pause_until(&mut self, until: TimeMs) {
        self.paused_until = Some(until);
        if self.quiet_since.is_none() {
            self.quiet_since = Some(self.last_now);
        }
    }

    /// Ends a pause early.
    pub fn resume(&mut self) {
        self.paused_until = None;
    }

    /// The end of the pause in force at `now`, if any.
    pub fn paused_until(&self, now: TimeMs) -> Option<TimeMs> {
        self.paused_until.filter(|u| now < *u)
    }

    /// The running reply clocks, as the policy sees them.
    pub fn clocks(&self) -> &ReplyClocks<C> {
        &self.clocks
    }

    /// Derives clocks from persisted rows after a restart; see [`ReplyClocks::restore`].
    /// Unanswered urgent customers re-alert on the next tick.
    pub fn restore(&mut self, rows: impl IntoIterator<Item = AwaitingRow<C>>, now: TimeMs) {
        self.clocks.restore(&self.settings.fractions(), rows, now);
    }

    /// Feeds one input observed at `now` and returns the alerts to show, including any that
    /// fell due up to `now`.
    pub fn handle(&mut self, now: TimeMs, input: AlertInput<C>) -> Vec<Alert<C>> {
        let mut out = self.tick(now);
        out.extend(self.input(now, input));
        out
    }

    /// Feeds one input observed at `now` without looking at what fell due first: for a
    /// driver that feeds a burst of inputs and then calls [`Self::tick`] once (what `handle`
    /// does per input costs a pass over every clock).
    pub fn input(&mut self, now: TimeMs, input: AlertInput<C>) -> Vec<Alert<C>> {
        self.last_now = self.last_now.max(now.0);
        let now = self.last_now;
        let mut out = Vec::new();
        match input {
            AlertInput::CustomerMessage(m) => self.on_message(now, m, &mut out),
            AlertInput::Replied { conversation } => {
                self.clocks.on_reply(&conversation);
                self.forget(&conversation);
            }
        }
        out
    }

    /// Returns the alerts due at `now`: clock stages, urgent backlog and re-alerts, coalesced
    /// new-message summaries and reminders. Times before the latest seen are taken as it.
    pub fn tick(&mut self, now: TimeMs) -> Vec<Alert<C>> {
        self.last_now = self.last_now.max(now.0);
        let now = self.last_now;
        let mut out = Vec::new();
        let crossings = self.clocks.advance(&self.settings.fractions(), TimeMs(now));
        let (urgent, normal): (Vec<_>, Vec<_>) = crossings.into_iter().partition(|c| c.urgent);
        for c in normal {
            if !self.suppressed(now, &c.store) {
                self.reminders.insert(c.conversation.clone(), c);
            }
        }
        // Before the reminders: a catch-up covers the clocks that crossed at the same time.
        self.watch_quiet(now, &mut out);
        self.flush_urgent_backlog(now, &mut out);
        self.urgent_crossings(now, urgent, &mut out);
        self.urgent_repeat(now, &mut out);
        self.flush_new_messages(now, &mut out);
        self.flush_reminders(now, &mut out);
        out
    }

    /// Whether a pause or do-not-disturb (not a per-store mute) silences the desk at `now`.
    fn quiet(&self, now: i64) -> bool {
        self.paused_until(TimeMs(now)).is_some()
            || self.settings.in_do_not_disturb(self.local_second(now))
    }

    /// Notes when a quiet period starts, and raises the catch-up alert when it ends.
    fn watch_quiet(&mut self, now: i64, out: &mut Vec<Alert<C>>) {
        match (self.quiet(now), self.quiet_since) {
            (true, None) => self.quiet_since = Some(now),
            (false, Some(_)) => {
                self.quiet_since = None;
                self.catch_up(now, out);
            }
            _ => {}
        }
    }

    /// When the driver should call [`Self::tick`] next, at the latest; `None` when nothing is
    /// scheduled. New inputs may bring it forward, so recompute after every call.
    pub fn next_wakeup(&self, now: TimeMs) -> Option<TimeMs> {
        let now = now.0.max(self.last_now);
        let s = &self.settings.storm;
        let window = secs_ms(s.window_secs);
        let mut due: Vec<i64> = Vec::new();
        if let Some(t) = self.clocks.next_due() {
            due.push(t.0);
        }
        let brand_free = self
            .brand_window
            .free_at(now, window, s.brand_max_per_window);
        for (store, st) in &self.stores {
            if !st.pending.is_empty() {
                let gap_end = st
                    .last_popup
                    .map_or(now, |t| t + self.store_gap_ms(now, store));
                due.push(gap_end.max(brand_free));
            }
        }
        let urgent_free = self
            .urgent_window
            .free_at(now, window, s.urgent_max_per_window);
        if !self.urgent_backlog.is_empty() {
            due.push(urgent_free);
        }
        if self.clocks.any_urgent() {
            let repeat = self
                .last_urgent_alert
                .map_or(now, |t| t + secs_ms(self.settings.urgent_realert_secs));
            due.push(repeat.max(urgent_free));
        }
        if !self.reminders.is_empty() {
            due.push(
                self.last_reminder
                    .map_or(now, |t| t + secs_ms(s.reminder_min_gap_secs)),
            );
        }
        if self.quiet_since.is_some() || self.quiet(now) {
            // Wake when the quiet ends: at the pause's end, or at the next local minute
            // (do-not-disturb ranges have minute precision).
            let pause_end = self.paused_until(TimeMs(now)).map(|t| t.0);
            let in_dnd = self.settings.in_do_not_disturb(self.local_second(now));
            let next_minute = (now.div_euclid(60_000) + 1) * 60_000;
            match (pause_end, in_dnd) {
                (Some(end), false) => due.push(end),
                (_, true) => due.push(next_minute),
                (None, false) => due.push(now), // ended since the last tick: catch up now
            }
        }
        due.into_iter().min().map(|t| TimeMs(t.max(now)))
    }

    fn local_second(&self, now: i64) -> u32 {
        local_second_of_day(TimeMs(now), self.utc_offset_secs)
    }

    /// Whether non-urgent alerts for `store` are silenced at `now` (pause, DND or mute).
    fn suppressed(&self, now: i64, store: &StoreId) -> bool {
        self.quiet(now) || self.settings.is_muted(store)
    }

    fn store_gap_ms(&self, now: i64, store: &StoreId) -> i64 {
        if self.settings.is_peak(store, self.local_second(now)) {
            secs_ms(self.settings.storm.store_min_gap_secs)
        } else {
            secs_ms(self.settings.coalesce_window_secs)
        }
    }

    fn forget(&mut self, conversation: &C) {
        for st in self.stores.values_mut() {
            st.pending.forget(conversation);
        }
        self.urgent_backlog
            .retain(|p| &p.conversation != conversation);
        self.reminders.remove(conversation);
    }

    fn on_message(&mut self, now: i64, m: IncomingMessage<C>, out: &mut Vec<Alert<C>>) {
        self.clocks.on_customer_message(
            &self.settings.fractions(),
            &m.conversation,
            &m.store,
            &m.customer,
            m.clock,
            TimeMs(now),
        );
        if m.urgent {
            let pending = Pending {
                conversation: m.conversation,
                store: m.store,
                customer: m.customer,
                preview: m.preview,
            };
            self.urgent_backlog
                .retain(|p| p.conversation != pending.conversation);
            self.urgent_backlog.push(pending);
            self.flush_urgent_backlog(now, out);
        } else if !self.suppressed(now, &m.store) {
            let gap = self.store_gap_ms(now, &m.store);
            // A store is kept from its first pending message on (a store never notified yet
            // is due).
            let st = self.stores.entry(m.store).or_default();
            let due = st.last_popup.is_none_or(|t| now >= t + gap);
            st.pending.add(m.conversation, m.customer, m.preview);
            // Only this store's turn can have come with this message. If it has, every store
            // whose turn has come is shown with it, as at a tick (one brand-wide summary when
            // they exceed the brand's budget). If not, nothing is shown and no budget is
            // spent: other stores' turns come with time, at the tick after the burst. Looking
            // at every store for every message made a burst O(stores) per message.
            if due {
                self.flush_new_messages(now, out);
            }
        }
    }
}
