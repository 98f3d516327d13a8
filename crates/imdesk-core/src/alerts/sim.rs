//! Test driver: runs an [`AlertScheduler`] over a simulated clock the way the engine will over
//! the real one, ticking at every `next_wakeup` and logging what it shows.

use meituan_wire::{Clock, FixedClock, StoreId, TimeMs};

use super::{Alert, AlertInput, AlertScheduler, AlertSettings, IncomingMessage, ReplyDeadline};

pub(super) type Conv = String;

/// China's offset; the simulated desk is in Beijing time.
pub(super) const UTC8: i32 = 8 * 3600;
pub(super) const SEC: i64 = 1000;
pub(super) const MIN: i64 = 60 * SEC;

/// The UTC instant that is `h:m:s` local (UTC+8) on 2024-06-03.
pub(super) fn local(h: i64, m: i64, s: i64) -> TimeMs {
    TimeMs((1_717_344_000 + h * 3600 + m * 60 + s) * 1000)
}

pub(super) fn store(i: usize) -> StoreId {
    StoreId::new(format!("s{i}"))
}

/// The clock the store's default policy gives a conversation after a customer message sent
/// at `at` (urgent: scene tag 9003): 5 minutes, or 1 minute when urgent; a message due
/// earlier than the running clock tightens it, keeping when the wait began.
pub(super) fn store_clock(
    running: Option<ReplyDeadline>,
    at: TimeMs,
    urgent: bool,
) -> ReplyDeadline {
    let deadline = TimeMs(at.0 + if urgent { MIN } else { 5 * MIN });
    match running {
        None => ReplyDeadline {
            awaiting_since: at,
            deadline,
            urgent,
        },
        // Tightened: the urgent message's own window, as the driver hands it over.
        Some(c) if deadline < c.deadline => ReplyDeadline {
            awaiting_since: at,
            deadline,
            urgent: c.urgent || urgent,
        },
        Some(c) => ReplyDeadline {
            awaiting_since: c.awaiting_since.min(at),
            ..c
        },
    }
}

#[derive(Debug)]
pub(super) struct Sim {
    pub(super) clock: FixedClock,
    pub(super) s: AlertScheduler<Conv>,
    pub(super) log: Vec<Alert<Conv>>,
}

impl Sim {
    pub(super) fn new(settings: AlertSettings, start: TimeMs) -> Self {
        Self {
            clock: FixedClock::new(start),
            s: AlertScheduler::new(settings, UTC8),
            log: Vec::new(),
        }
    }

    pub(super) fn now(&self) -> TimeMs {
        self.clock.now()
    }

    /// Ticks at every wakeup up to and including `until`, then leaves the clock there.
    pub(super) fn run_until(&mut self, until: TimeMs) {
        while let Some(w) = self.s.next_wakeup(self.clock.now()) {
            if w > until {
                break;
            }
            self.clock.set(w);
            let shown = self.s.tick(w);
            self.log.extend(shown);
            let next = self.s.next_wakeup(w);
            assert!(
                next.is_none_or(|n| n > w),
                "no progress at {w:?}: next {next:?}"
            );
        }
        self.clock.set(until.max(self.clock.now()));
    }

    pub(super) fn advance(&mut self, ms: i64) {
        self.run_until(TimeMs(self.now().0 + ms));
    }

    pub(super) fn send(&mut self, input: AlertInput<Conv>) {
        let now = self.now();
        let shown = self.s.handle(now, input);
        self.log.extend(shown);
    }

    /// A customer message sent at `at`, with the clock the store would give it.
    pub(super) fn message(
        &self,
        store_ix: usize,
        conv: &str,
        urgent: bool,
        at: TimeMs,
    ) -> AlertInput<Conv> {
        AlertInput::CustomerMessage(IncomingMessage {
            store: store(store_ix),
            conversation: conv.to_owned(),
            customer: format!("顾客 {conv}**"),
            preview: format!("在吗？我的餐到哪了 ({conv})"),
            clock: store_clock(
                self.s.clocks().get(&conv.to_owned()).map(|c| c.clock),
                at,
                urgent,
            ),
            urgent,
        })
    }

    pub(super) fn msg(&mut self, store_ix: usize, conv: &str, urgent: bool) {
        let now = self.now();
        self.send(self.message(store_ix, conv, urgent, now));
    }

    pub(super) fn reply(&mut self, conv: &str) {
        self.send(AlertInput::Replied {
            conversation: conv.to_owned(),
        });
    }

    /// Alerts shown since log index `from`, as (seconds after `t0`, alert).
    pub(super) fn since(&self, from: usize) -> &[Alert<Conv>] {
        &self.log[from..]
    }
}

/// Seconds of `a.at` after `t0`.
pub(super) fn secs_after(t0: TimeMs, a: &Alert<Conv>) -> i64 {
    (a.at.0 - t0.0) / SEC
}
