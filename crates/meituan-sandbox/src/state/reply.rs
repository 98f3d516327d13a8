//! Reply clocks the sandbox observes, and the reply rates and rights computed from them.
//!
//! A two-party customer message that needs a reply starts the customer's 5-minute clock unless
//! one is already running; an urgent one (scene tag 9003) also starts the 1-minute urgent clock.
//! The merchant's next message to that customer stops both. A clock counts once it is decided:
//! answered, or past its window unanswered. The sandbox's own rule, written from §4.12.

use std::collections::HashMap;

use crate::model::ReplyTiming;

/// The 5-minute reply window.
pub(crate) const NORMAL_WINDOW_MS: i64 = 5 * 60 * 1000;
/// The 1-minute window for urgent messages.
pub(crate) const URGENT_WINDOW_MS: i64 = 60 * 1000;
/// Target for the 5-minute rate, percent.
pub(crate) const TARGET_PERCENT: i64 = 95;
/// Target for the urgent 1-minute rate, percent.
pub(crate) const URGENT_TARGET_PERCENT: i64 = 90;
/// Scene tags that are urgent.
pub(crate) const URGENT_TAGS: &[i32] = &[9003];

/// Open and finished clocks of one store.
#[derive(Debug, Default)]
pub(crate) struct ReplyBook {
    pub timings: Vec<ReplyTiming>,
    /// open_user_id → indexes of the running (normal, urgent) clocks.
    open: HashMap<i64, (Option<usize>, Option<usize>)>,
    /// Percents a test scripted (5-minute, urgent): reported instead of the observed ones, so
    /// a store can be put just above or below its targets without weeks of traffic.
    pub scripted: Option<(f64, f64)>,
}

/// Hits and decided clocks for both rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Rates {
    pub normal_hit: u64,
    pub normal_decided: u64,
    pub urgent_hit: u64,
    pub urgent_decided: u64,
}

impl Rates {
    /// Percent, 100 when nothing is decided yet.
    pub fn normal_percent(&self) -> f64 {
        percent(self.normal_hit, self.normal_decided)
    }
    /// Percent, 100 when nothing is decided yet.
    pub fn urgent_percent(&self) -> f64 {
        percent(self.urgent_hit, self.urgent_decided)
    }
}

fn percent(hit: u64, decided: u64) -> f64 {
    if decided == 0 {
        100.0
    } else {
        hit as f64 * 100.0 / decided as f64
    }
}

impl ReplyBook {
    /// A customer message needing a reply arrived.
    pub fn on_customer(
        &mut self,
        epoi_id: &str,
        open_user_id: i64,
        msg_id: i64,
        at_ms: i64,
        urgent: bool,
    ) {
        let next = self.timings.len();
        let entry = self.open.entry(open_user_id).or_default();
        let mut pushed = Vec::new();
        if entry.0.is_none() {
            entry.0 = Some(next);
            pushed.push(false);
        }
        if urgent && entry.1.is_none() {
            entry.1 = Some(next + pushed.len());
            pushed.push(true);
        }
        for urgent in pushed {
            self.timings.push(ReplyTiming {
                epoi_id: epoi_id.to_string(),
                open_user_id,
                msg_id,
                urgent,
                asked_at_ms: at_ms,
                replied_at_ms: None,
            });
        }
    }

    /// The merchant answered the customer.
    pub fn on_merchant(&mut self, open_user_id: i64, at_ms: i64) {
        if let Some((a, b)) = self.open.remove(&open_user_id) {
            for i in [a, b].into_iter().flatten() {
                if let Some(t) = self.timings.get_mut(i) {
                    t.replied_at_ms = Some(at_ms);
                }
            }
        }
    }

    /// Rates over the clocks decided at `now_ms`.
    pub fn rates(&self, now_ms: i64) -> Rates {
        let mut r = Rates::default();
        for t in &self.timings {
            let window = if t.urgent {
                URGENT_WINDOW_MS
            } else {
                NORMAL_WINDOW_MS
            };
            let decided = t.replied_at_ms.is_some() || now_ms - t.asked_at_ms > window;
            if !decided {
                continue;
            }
            let hit = matches!(t.replied_at_ms, Some(at) if at - t.asked_at_ms <= window);
            let (h, d) = if t.urgent {
                (&mut r.urgent_hit, &mut r.urgent_decided)
            } else {
                (&mut r.normal_hit, &mut r.normal_decided)
            };
            *d += 1;
            *h += u64::from(hit);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_start_once_and_stop_on_reply() {
        let mut b = ReplyBook::default();
        b.on_customer("s", 1, 10, 0, false);
        b.on_customer("s", 1, 11, 1_000, true);
        b.on_customer("s", 1, 12, 2_000, true);
        assert_eq!(b.timings.len(), 2);
        b.on_merchant(1, 30_000);
        let r = b.rates(30_000);
        assert_eq!(
            r,
            Rates {
                normal_hit: 1,
                normal_decided: 1,
                urgent_hit: 1,
                urgent_decided: 1
            }
        );
        // a late answer and an unanswered clock past its window both miss
        b.on_customer("s", 2, 13, 0, false);
        b.on_merchant(2, NORMAL_WINDOW_MS + 1);
        b.on_customer("s", 3, 14, 0, true);
        let r = b.rates(NORMAL_WINDOW_MS + 2);
        assert_eq!(
            (
                r.normal_hit,
                r.normal_decided,
                r.urgent_hit,
                r.urgent_decided
            ),
            (1, 3, 1, 2)
        );
        assert_eq!(r.urgent_percent(), 50.0);
    }

    #[test]
    fn nothing_decided_is_full_marks() {
        let mut b = ReplyBook::default();
        b.on_customer("s", 1, 10, 0, false);
        assert_eq!(b.rates(1).normal_percent(), 100.0);
        assert_eq!(b.rates(1).normal_decided, 0);
    }
}
