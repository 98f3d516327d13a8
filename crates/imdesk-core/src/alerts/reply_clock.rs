//! Reply clocks: one per conversation whose customer awaits a reply (issue 7 §1).
//!
//! A customer message starts the clock if none runs (5 minutes, or 1 minute when urgent); an
//! urgent message tightens a running one; a merchant reply stops it. Stage boundaries sit at
//! the policy's pre-alert fractions of the window and at the deadline. Clocks are derived from
//! persisted rows on restart, so they survive it without replaying alerts already given.

use std::collections::BTreeMap;

use meituan_wire::{StoreId, TimeMs};

use super::settings::ClockPolicy;

/// Where a clock stands. Ordered: `Waiting < PreAlert(0) < PreAlert(1) < … < Overdue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClockStage {
    /// Before the first pre-alert fraction.
    Waiting,
    /// Past the pre-alert fraction with this index in [`ClockPolicy::fractions`].
    PreAlert(u8),
    /// Past the deadline.
    Overdue,
}

/// The reply deadline of one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyClock<C> {
    /// The conversation awaiting a reply.
    pub conversation: C,
    /// Its store.
    pub store: StoreId,
    /// When the current window began (the first unanswered message, or the urgent one that
    /// tightened it).
    pub started_at: TimeMs,
    /// When the reply is due.
    pub deadline: TimeMs,
    /// Whether an urgent message is among the unanswered ones.
    pub urgent: bool,
}

impl<C> ReplyClock<C> {
    /// A clock started by a customer message sent at `at`.
    pub fn start(
        policy: &ClockPolicy,
        conversation: C,
        store: StoreId,
        at: TimeMs,
        urgent: bool,
    ) -> Self {
        let window = if urgent {
            policy.urgent_ms
        } else {
            policy.normal_ms
        };
        Self {
            conversation,
            store,
            started_at: at,
            deadline: TimeMs(at.0.saturating_add(i64::from(window))),
            urgent,
        }
    }

    /// Another customer message sent at `at` while the clock runs. A normal one changes
    /// nothing (the clock runs from the first unanswered message); an urgent one marks the
    /// clock urgent and moves the deadline to `at + urgent_ms` when that is earlier. Returns
    /// whether the window moved.
    pub fn tighten(&mut self, policy: &ClockPolicy, at: TimeMs, urgent: bool) -> bool {
        if !urgent {
            return false;
        }
        self.urgent = true;
        let urgent_deadline = at.0.saturating_add(i64::from(policy.urgent_ms));
        if urgent_deadline < self.deadline.0 {
            self.started_at = at;
            self.deadline = TimeMs(urgent_deadline);
            return true;
        }
        false
    }

    /// Milliseconds left until the deadline (negative once overdue).
    pub fn remaining_ms(&self, now: TimeMs) -> i64 {
        self.deadline.0.saturating_sub(now.0)
    }

    /// The stage at `now`.
    pub fn stage_at(&self, policy: &ClockPolicy, now: TimeMs) -> ClockStage {
        self.stage_with(&policy.fractions(), now)
    }

    /// The next stage boundary strictly after `now`, or `None` once overdue. A driver sleeps
    /// until the earliest of these over all clocks.
    pub fn next_wakeup(&self, policy: &ClockPolicy, now: TimeMs) -> Option<TimeMs> {
        self.next_wakeup_with(&policy.fractions(), now)
    }

    /// [`Self::stage_at`] with the policy's fractions already sanitised.
    fn stage_with(&self, fractions: &[f64], now: TimeMs) -> ClockStage {
        if now >= self.deadline {
            return ClockStage::Overdue;
        }
        let mut stage = ClockStage::Waiting;
        for (i, &f) in fractions.iter().enumerate() {
            if now.0 >= self.boundary(f) {
                stage = ClockStage::PreAlert(u8::try_from(i).unwrap_or(u8::MAX));
            }
        }
        stage
    }

    fn first_boundary(&self, fractions: &[f64]) -> i64 {
        fractions
            .first()
            .map_or(self.deadline.0, |&f| self.boundary(f))
    }

    fn next_wakeup_with(&self, fractions: &[f64], now: TimeMs) -> Option<TimeMs> {
        fractions
            .iter()
            .map(|&f| self.boundary(f))
            .chain(std::iter::once(self.deadline.0))
            .find(|&b| b > now.0)
            .map(TimeMs)
    }

    fn boundary(&self, fraction: f64) -> i64 {
        let window = self.deadline.0.saturating_sub(self.started_at.0);
        // Windows are minutes long, far below f64's exact-integer range.
        self.started_at.0 + (window as f64 * fraction).round() as i64
    }
}

/// A persisted "awaiting reply" row, from which clocks are derived after a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitingRow<C> {
    /// The conversation.
    pub conversation: C,
    /// Its store.
    pub store: StoreId,
    /// The customer's masked label, for notification text.
    pub customer: String,
    /// Sent time of the first customer message not yet replied to.
    pub awaiting_since: TimeMs,
    /// The persisted deadline (`imdesk_store::ReplyClock::deadline_ms`).
    pub deadline: TimeMs,
    /// Whether an urgent message set or tightened it.
    pub urgent: bool,
}

impl<C> AwaitingRow<C> {
    /// The clock this row describes. The deadline is kept as persisted; the window it ends
    /// is the normal one from `awaiting_since` when it is that long, else the urgent window
    /// (an urgent message tightened it), which places the pre-alerts as before the restart.
    pub fn into_clock(self, policy: &ClockPolicy) -> (ReplyClock<C>, String) {
        let since = self.awaiting_since.0;
        let span = self.deadline.0.saturating_sub(since);
        let started_at = if span >= i64::from(policy.normal_ms) {
            since
        } else {
            self.deadline
                .0
                .saturating_sub(i64::from(policy.urgent_ms))
                .max(since)
        };
        let clock = ReplyClock {
            conversation: self.conversation,
            store: self.store,
            started_at: TimeMs(started_at),
            deadline: self.deadline,
            urgent: self.urgent,
        };
        (clock, self.customer)
    }
}

/// A clock that crossed into a later stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageCrossing<C> {
    /// The conversation.
    pub conversation: C,
    /// Its store.
    pub store: StoreId,
    /// The stage reached (the highest one, when several were crossed at once).
    pub stage: ClockStage,
    /// Whether the clock is urgent.
    pub urgent: bool,
    /// The deadline.
    pub deadline: TimeMs,
}

#[derive(Debug, Clone)]
struct Entry<C> {
    clock: ReplyClock<C>,
    customer: String,
    /// The highest stage reported.
    fired: ClockStage,
    /// When the clock next needs looking at (it may reach a stage beyond `fired`); cached so
    /// that ticks over thousands of clocks only compare integers.
    due: Option<i64>,
}

impl<C> Entry<C> {
    fn new(
        clock: ReplyClock<C>,
        customer: String,
        policy: &ClockPolicy,
        now: Option<TimeMs>,
    ) -> Self {
        let fractions = policy.fractions();
        let (fired, due) = match now {
            // Restored: stages reached before `now` count as reported.
            Some(now) => (
                clock.stage_with(&fractions, now),
                clock.next_wakeup_with(&fractions, now).map(|t| t.0),
            ),
            None => (ClockStage::Waiting, Some(clock.first_boundary(&fractions))),
        };
        Self {
            clock,
            customer,
            fired,
            due,
        }
    }
}

/// All running reply clocks, keyed by conversation.
#[derive(Debug, Clone)]
pub struct ReplyClocks<C> {
    entries: BTreeMap<C, Entry<C>>,
}

impl<C> Default for ReplyClocks<C> {
    fn default() -> Self {
        Self {
            entries: BTreeMap::new(),
        }
    }
}

impl<C: Ord + Clone> ReplyClocks<C> {
    /// A customer message sent at `at`: starts the conversation's clock, or tightens it.
    pub fn on_customer_message(
        &mut self,
        policy: &ClockPolicy,
        conversation: &C,
        store: &StoreId,
        customer: &str,
        at: TimeMs,
        urgent: bool,
    ) {
        if let Some(e) = self.entries.get_mut(conversation) {
            if e.clock.tighten(policy, at, urgent) {
                e.fired = ClockStage::Waiting;
                e.due = Some(e.clock.first_boundary(&policy.fractions()));
            }
            customer.clone_into(&mut e.customer);
            return;
        }
        let clock = ReplyClock::start(policy, conversation.clone(), store.clone(), at, urgent);
        let entry = Entry::new(clock, customer.to_owned(), policy, None);
        self.entries.insert(conversation.clone(), entry);
    }

    /// A merchant reply: stops the clock and returns it.
    pub fn on_reply(&mut self, conversation: &C) -> Option<ReplyClock<C>> {
        self.entries.remove(conversation).map(|e| e.clock)
    }

    /// Derives clocks from persisted rows (replacing any for the same conversations). Stages
    /// already reached at `now` count as alerted, so a restart does not replay them.
    pub fn restore(
        &mut self,
        policy: &ClockPolicy,
        rows: impl IntoIterator<Item = AwaitingRow<C>>,
        now: TimeMs,
    ) {
        for row in rows {
            let (clock, customer) = row.into_clock(policy);
            let key = clock.conversation.clone();
            self.entries
                .insert(key, Entry::new(clock, customer, policy, Some(now)));
        }
    }

    /// Moves every clock to its stage at `now` and returns those that crossed into a later
    /// stage since the last call.
    pub fn advance(&mut self, policy: &ClockPolicy, now: TimeMs) -> Vec<StageCrossing<C>> {
        let fractions = policy.fractions();
        let mut out = Vec::new();
        for e in self.entries.values_mut() {
            if e.due.is_none_or(|d| d > now.0) {
                continue;
            }
            let stage = e.clock.stage_with(&fractions, now);
            e.due = e.clock.next_wakeup_with(&fractions, now).map(|t| t.0);
            if stage > e.fired {
                e.fired = stage;
                out.push(StageCrossing {
                    conversation: e.clock.conversation.clone(),
                    store: e.clock.store.clone(),
                    stage,
                    urgent: e.clock.urgent,
                    deadline: e.clock.deadline,
                });
            }
        }
        out
    }

    /// When [`Self::advance`] next has something to report, at the earliest: a time in the
    /// past means a stage is due already (a message that arrived late, already overdue).
    pub fn next_due(&self) -> Option<TimeMs> {
        self.entries
            .values()
            .filter_map(|e| e.due)
            .min()
            .map(TimeMs)
    }

    /// Recomputes when each clock is due after the pre-alert fractions changed.
    pub fn reschedule(&mut self, policy: &ClockPolicy, now: TimeMs) {
        let fractions = policy.fractions();
        for e in self.entries.values_mut() {
            e.due = if e.clock.stage_with(&fractions, now) > e.fired {
                Some(now.0)
            } else {
                e.clock.next_wakeup_with(&fractions, now).map(|t| t.0)
            };
        }
    }

    /// The running clock of `conversation`.
    pub fn get(&self, conversation: &C) -> Option<&ReplyClock<C>> {
        self.entries.get(conversation).map(|e| &e.clock)
    }

    /// The masked customer label recorded for `conversation`.
    pub fn customer(&self, conversation: &C) -> Option<&str> {
        self.entries.get(conversation).map(|e| e.customer.as_str())
    }

    /// Running clocks, earliest deadline first (the inbox order).
    pub fn by_deadline(&self) -> Vec<&ReplyClock<C>> {
        let mut v: Vec<&ReplyClock<C>> = self.entries.values().map(|e| &e.clock).collect();
        v.sort_by_key(|c| c.deadline);
        v
    }

    /// Running clocks in conversation order.
    pub fn iter(&self) -> impl Iterator<Item = &ReplyClock<C>> {
        self.entries.values().map(|e| &e.clock)
    }

    /// Customers awaiting a reply in `store`, or in the whole brand for `None`.
    pub fn waiting(&self, store: Option<&StoreId>) -> u32 {
        let n = self
            .iter()
            .filter(|c| store.is_none_or(|s| &c.store == s))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Urgent clocks, earliest deadline first.
    pub fn urgent_by_deadline(&self) -> Vec<&ReplyClock<C>> {
        let mut v: Vec<&ReplyClock<C>> = self.iter().filter(|c| c.urgent).collect();
        v.sort_by_key(|c| c.deadline);
        v
    }

    /// Number of running clocks.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no clock runs.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
#[path = "reply_clock_tests.rs"]
mod tests;
