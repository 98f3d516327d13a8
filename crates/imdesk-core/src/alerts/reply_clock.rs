//! Reply clocks: one per conversation whose customer awaits a reply (issue 7 §1).
//!
//! The store decides each clock at ingest (when it started, when it is due, whether urgent)
//! under its one policy; this board only follows it: a customer message sets its
//! conversation's clock to what the store decided, a merchant reply stops it. Stage
//! boundaries sit at the pre-alert fractions of the window `deadline - awaiting_since` and at
//! the deadline. Clocks are restored from persisted rows on restart, so they survive it
//! without replaying alerts already given.

use std::collections::{BTreeMap, BTreeSet};

use meituan_wire::{StoreId, TimeMs};

/// Where a clock stands. Ordered: `Waiting < PreAlert(0) < PreAlert(1) < … < Overdue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClockStage {
    /// Before the first pre-alert fraction.
    Waiting,
    /// Past the pre-alert fraction with this index in [`super::AlertSettings::fractions`].
    PreAlert(u8),
    /// Past the deadline.
    Overdue,
}

/// A conversation's reply clock as the store decided it (`imdesk_store::ReplyClock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyDeadline {
    /// Start of the window the deadline closes: the earliest unanswered message's time, or
    /// that of the urgent message which tightened the clock (pre-alerts fall inside it).
    pub awaiting_since: TimeMs,
    /// When the reply is due.
    pub deadline: TimeMs,
    /// Whether an urgent message set or tightened the deadline; its customer's alerts are urgent.
    pub urgent: bool,
}

/// The running reply clock of one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningClock<C> {
    /// The conversation awaiting a reply.
    pub conversation: C,
    /// Its store.
    pub store: StoreId,
    /// When, until when, and whether urgent.
    pub clock: ReplyDeadline,
}

impl<C> RunningClock<C> {
    /// Milliseconds left until the deadline (negative once overdue).
    pub fn remaining_ms(&self, now: TimeMs) -> i64 {
        self.clock.remaining_ms(now)
    }

    /// The stage at `now`, for pre-alerts at `fractions` (sanitised, ascending).
    pub fn stage_at(&self, fractions: &[f64], now: TimeMs) -> ClockStage {
        self.clock.stage_at(fractions, now)
    }

    /// The next stage boundary strictly after `now`, or `None` once overdue. A driver sleeps
    /// until the earliest of these over all clocks.
    pub fn next_wakeup(&self, fractions: &[f64], now: TimeMs) -> Option<TimeMs> {
        self.clock.next_wakeup(fractions, now)
    }
}

/// A running clock as [`ReplyClocks`] holds it, borrowed: the board keeps each conversation
/// and store once, not in every clock (a 1M-message cache restores tens of thousands).
#[derive(Debug, PartialEq, Eq)]
pub struct ClockRef<'a, C> {
    /// The conversation awaiting a reply.
    pub conversation: &'a C,
    /// Its store.
    pub store: &'a StoreId,
    /// When, until when, and whether urgent.
    pub clock: ReplyDeadline,
}

// Copy whatever `C` is: the view holds references only.
impl<C> Clone for ClockRef<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for ClockRef<'_, C> {}

impl ReplyDeadline {
    /// Milliseconds left until the deadline (negative once overdue).
    pub fn remaining_ms(&self, now: TimeMs) -> i64 {
        self.deadline.0.saturating_sub(now.0)
    }

    /// The stage at `now`, for pre-alerts at `fractions` (sanitised, ascending).
    pub fn stage_at(&self, fractions: &[f64], now: TimeMs) -> ClockStage {
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

    /// The next stage boundary strictly after `now`, or `None` once overdue.
    pub fn next_wakeup(&self, fractions: &[f64], now: TimeMs) -> Option<TimeMs> {
        fractions
            .iter()
            .map(|&f| self.boundary(f))
            .chain(std::iter::once(self.deadline.0))
            .find(|&b| b > now.0)
            .map(TimeMs)
    }

    fn boundary(&self, fraction: f64) -> i64 {
        let since = self.awaiting_since.0;
        let window = self.deadline.0.saturating_sub(since);
        // Windows are minutes long, far below f64's exact-integer range.
        since + (window as f64 * fraction).round() as i64
    }
}

/// A persisted "awaiting reply" row, from which clocks are restored after a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitingRow<C> {
    /// The conversation.
    pub conversation: C,
    /// Its store.
    pub store: StoreId,
    /// The customer's masked label, for notification text.
    pub customer: String,
    /// The persisted clock.
    pub clock: ReplyDeadline,
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

/// One running clock, compact: its conversation is the map's key, its store an index into
/// [`ReplyClocks::stores`] (about 180 bytes a clock with its key, half of what an owned
/// [`RunningClock`] with its label took).
#[derive(Debug, Clone)]
struct Entry {
    /// Index of the store in [`ReplyClocks::stores`].
    store: u32,
    clock: ReplyDeadline,
    customer: Box<str>,
    /// The highest stage reported.
    fired: ClockStage,
    /// When the clock next needs looking at (it may reach a stage beyond `fired`); cached so
    /// that ticks over thousands of clocks only compare integers.
    due: Option<i64>,
}

impl Entry {
    /// `seen`: stages reached by then count as reported (a restored or moved clock); a new
    /// clock reports even the stages it starts past (a message that arrived late).
    fn new(
        store: u32,
        clock: ReplyDeadline,
        customer: &str,
        fractions: &[f64],
        seen: Option<TimeMs>,
    ) -> Self {
        let (fired, due) = match seen {
            Some(now) => (
                clock.stage_at(fractions, now),
                clock.next_wakeup(fractions, now).map(|t| t.0),
            ),
            None => (
                ClockStage::Waiting,
                Some(
                    fractions
                        .first()
                        .map_or(clock.deadline.0, |&f| clock.boundary(f)),
                ),
            ),
        };
        Self {
            store,
            clock,
            customer: customer.into(),
            fired,
            due,
        }
    }
}

/// All running reply clocks, keyed by conversation, with two orders kept beside them so that
/// a tick costs what is due, not what runs: a restored 1M-message cache has tens of thousands
/// of clocks, and the driver ticks at every burst of input.
#[derive(Debug, Clone)]
pub struct ReplyClocks<C> {
    entries: BTreeMap<C, Entry>,
    /// `(due, conversation)` of every entry with a `due`, earliest first.
    due: BTreeSet<(i64, C)>,
    /// `(deadline, conversation)` of every urgent clock, earliest deadline first.
    urgent: BTreeSet<(i64, C)>,
    /// Every store a clock has named, each once (a brand's stores: never many).
    stores: Vec<StoreId>,
    /// Where each store is in `stores`.
    store_index: BTreeMap<StoreId, u32>,
}

impl<C> Default for ReplyClocks<C> {
    fn default() -> Self {
        Self {
            entries: BTreeMap::new(),
            due: BTreeSet::new(),
            urgent: BTreeSet::new(),
            stores: Vec::new(),
            store_index: BTreeMap::new(),
        }
    }
}

impl<C: Ord + Clone> ReplyClocks<C> {
    /// The index of `store` in `stores`, added on first sight.
    fn intern(&mut self, store: &StoreId) -> u32 {
        if let Some(&i) = self.store_index.get(store) {
            return i;
        }
        let i = u32::try_from(self.stores.len()).unwrap_or(u32::MAX);
        self.stores.push(store.clone());
        self.store_index.insert(store.clone(), i);
        i
    }

    /// The store at `index` (an entry's `store`).
    fn store(&self, index: u32) -> Option<&StoreId> {
        self.stores.get(usize::try_from(index).ok()?)
    }

    fn view<'a>(&'a self, conversation: &'a C, e: &Entry) -> Option<ClockRef<'a, C>> {
        let store = self.store(e.store)?;
        Some(ClockRef {
            conversation,
            store,
            clock: e.clock,
        })
    }

    /// Puts `entry` in for `conversation` (replacing any), in both orders.
    fn put(&mut self, conversation: C, entry: Entry) {
        self.take(&conversation);
        if let Some(due) = entry.due {
            self.due.insert((due, conversation.clone()));
        }
        if entry.clock.urgent {
            self.urgent
                .insert((entry.clock.deadline.0, conversation.clone()));
        }
        self.entries.insert(conversation, entry);
    }

    /// Takes the entry of `conversation` out, and out of both orders.
    fn take(&mut self, conversation: &C) -> Option<Entry> {
        let entry = self.entries.remove(conversation)?;
        if let Some(due) = entry.due {
            self.due.remove(&(due, conversation.clone()));
        }
        if entry.clock.urgent {
            self.urgent
                .remove(&(entry.clock.deadline.0, conversation.clone()));
        }
        Some(entry)
    }

    /// A customer message observed at `now`: sets its conversation's clock to `clock`, as the
    /// store decided it. A clock the store moved (an urgent message tightened it) counts the
    /// stages it is already past as reported: the urgent message announces itself.
    pub fn on_customer_message(
        &mut self,
        fractions: &[f64],
        conversation: &C,
        store: &StoreId,
        customer: &str,
        clock: ReplyDeadline,
        now: TimeMs,
    ) {
        let index = self.intern(store);
        let seen = match self.entries.get_mut(conversation) {
            Some(e) if e.clock == clock && e.store == index => {
                if *e.customer != *customer {
                    e.customer = customer.into();
                }
                return;
            }
            Some(_) => Some(now),
            None => None,
        };
        let entry = Entry::new(index, clock, customer, fractions, seen);
        self.put(conversation.clone(), entry);
    }

    /// A merchant reply: stops the clock and returns it.
    pub fn on_reply(&mut self, conversation: &C) -> Option<RunningClock<C>> {
        let e = self.take(conversation)?;
        let store = self.store(e.store)?.clone();
        Some(RunningClock {
            conversation: conversation.clone(),
            store,
            clock: e.clock,
        })
    }

    /// Restores clocks from persisted rows (replacing any for the same conversations). Stages
    /// already reached at `now` count as alerted, so a restart does not replay them.
    pub fn restore(
        &mut self,
        fractions: &[f64],
        rows: impl IntoIterator<Item = AwaitingRow<C>>,
        now: TimeMs,
    ) {
        for row in rows {
            let index = self.intern(&row.store);
            let entry = Entry::new(index, row.clock, &row.customer, fractions, Some(now));
            self.put(row.conversation, entry);
        }
    }

    /// Moves every clock to its stage at `now` and returns those that crossed into a later
    /// stage since the last call, in conversation order. Looks only at the clocks due by
    /// `now`; each is due again at its next boundary after `now`, if any.
    pub fn advance(&mut self, fractions: &[f64], now: TimeMs) -> Vec<StageCrossing<C>> {
        let mut out = Vec::new();
        while self.due.first().is_some_and(|(due, _)| *due <= now.0) {
            let Some((_, conversation)) = self.due.pop_first() else {
                break;
            };
            let Some(e) = self.entries.get_mut(&conversation) else {
                continue;
            };
            let stage = e.clock.stage_at(fractions, now);
            e.due = e.clock.next_wakeup(fractions, now).map(|t| t.0);
            let crossed = (stage > e.fired).then(|| {
                e.fired = stage;
                (e.store, e.clock)
            });
            if let Some(due) = e.due {
                self.due.insert((due, conversation.clone()));
            }
            if let Some((store, clock)) = crossed {
                let Some(store) = self.store(store) else {
                    continue;
                };
                out.push(StageCrossing {
                    conversation,
                    store: store.clone(),
                    stage,
                    urgent: clock.urgent,
                    deadline: clock.deadline,
                });
            }
        }
        out.sort_by(|a, b| a.conversation.cmp(&b.conversation));
        out
    }

    /// When [`Self::advance`] next has something to report, at the earliest: a time in the
    /// past means a stage is due already (a message that arrived late, already overdue).
    pub fn next_due(&self) -> Option<TimeMs> {
        self.due.first().map(|(due, _)| TimeMs(*due))
    }

    /// Recomputes when each clock is due after the pre-alert fractions changed.
    pub fn reschedule(&mut self, fractions: &[f64], now: TimeMs) {
        self.due.clear();
        for (conversation, e) in &mut self.entries {
            e.due = if e.clock.stage_at(fractions, now) > e.fired {
                Some(now.0)
            } else {
                e.clock.next_wakeup(fractions, now).map(|t| t.0)
            };
            if let Some(due) = e.due {
                self.due.insert((due, conversation.clone()));
            }
        }
    }

    /// The running clock of `conversation`.
    pub fn get(&self, conversation: &C) -> Option<ClockRef<'_, C>> {
        let (key, e) = self.entries.get_key_value(conversation)?;
        self.view(key, e)
    }

    /// The masked customer label recorded for `conversation`.
    pub fn customer(&self, conversation: &C) -> Option<&str> {
        self.entries.get(conversation).map(|e| &*e.customer)
    }

    /// Running clocks, earliest deadline first.
    pub fn by_deadline(&self) -> Vec<ClockRef<'_, C>> {
        let mut v: Vec<ClockRef<'_, C>> = self.iter().collect();
        v.sort_by_key(|c| c.clock.deadline);
        v
    }

    /// Running clocks in conversation order.
    pub fn iter(&self) -> impl Iterator<Item = ClockRef<'_, C>> {
        self.entries.iter().filter_map(|(c, e)| self.view(c, e))
    }

    /// Customers awaiting a reply in `store`, or in the whole brand for `None`.
    pub fn waiting(&self, store: Option<&StoreId>) -> u32 {
        let n = match store {
            None => self.entries.len(),
            Some(s) => match self.store_index.get(s) {
                Some(&i) => self.entries.values().filter(|e| e.store == i).count(),
                None => 0,
            },
        };
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Urgent clocks, earliest deadline first (conversation order among equal deadlines).
    pub fn urgent_by_deadline(&self) -> Vec<ClockRef<'_, C>> {
        self.urgent
            .iter()
            .filter_map(|(_, c)| self.get(c))
            .collect()
    }

    /// Whether an urgent clock runs.
    pub fn any_urgent(&self) -> bool {
        !self.urgent.is_empty()
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
