//! Reply-rate projection (issue 7 §5): the brand's and each store's 5-minute and urgent
//! 1-minute reply rates computed from the local event log, so a supervisor sees them during
//! the shift. Pure: the caller passes the events, the range and `now`.
//!
//! One [`ReplyEvent`] is one reply clock: the customer message that started it and the first
//! merchant reply after it. A clock counts in the range when it started inside `[from, to)`.
//! It is *on time* when the reply came within the window, a *miss* when the reply came later
//! or has not come and the window has closed at `now`, and *pending* (left out of the ratio)
//! while unanswered with its window still open. Every clock counts toward the 5-minute rate
//! (against `normal_ms`); urgent ones also count toward the 1-minute rate (against `urgent_ms`).

use std::collections::BTreeMap;

use meituan_wire::{StoreId, TimeMs};
use serde::Serialize;
use ts_rs::TS;

use super::settings::ClockPolicy;

/// One reply clock from the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyEvent {
    /// The store.
    pub store: StoreId,
    /// When the customer message that started the clock was sent.
    pub customer_at: TimeMs,
    /// Whether it was urgent.
    pub urgent: bool,
    /// When the first merchant reply after it was sent, if yet.
    pub replied_at: Option<TimeMs>,
}

/// Counts behind one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RateCounts {
    /// Replied within the window.
    pub on_time: u32,
    /// Replied late, or unanswered after the window closed.
    pub missed: u32,
    /// Unanswered with the window still open; not in the ratio.
    pub pending: u32,
}

impl RateCounts {
    /// `on_time / (on_time + missed)`, or `None` when nothing has been decided yet.
    pub fn ratio(&self) -> Option<f64> {
        let decided = self.on_time + self.missed;
        (decided > 0).then(|| f64::from(self.on_time) / f64::from(decided))
    }

    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::OnTime => self.on_time += 1,
            Outcome::Missed => self.missed += 1,
            Outcome::Pending => self.pending += 1,
        }
    }
}

/// The two rates of one scope.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReplyRates {
    /// The 5-minute reply rate, over all clocks.
    pub five_min: RateCounts,
    /// The urgent 1-minute reply rate, over urgent clocks.
    pub urgent_one_min: RateCounts,
}

/// The projection for the brand and each store that had clocks in the range.
#[derive(Debug, Clone, PartialEq, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReplyRateReport {
    /// All stores together.
    pub brand: ReplyRates,
    /// Per store.
    #[ts(as = "BTreeMap<String, ReplyRates>")]
    pub stores: BTreeMap<StoreId, ReplyRates>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    OnTime,
    Missed,
    Pending,
}

fn outcome(e: &ReplyEvent, window_ms: u32, now: TimeMs) -> Outcome {
    let deadline = e.customer_at.0.saturating_add(i64::from(window_ms));
    match e.replied_at {
        Some(r) if r.0 <= deadline => Outcome::OnTime,
        Some(_) => Outcome::Missed,
        None if now.0 >= deadline => Outcome::Missed,
        None => Outcome::Pending,
    }
}

/// Projects reply rates over the clocks that started in `[from, to)`, as seen at `now`.
pub fn project_reply_rates(
    events: &[ReplyEvent],
    from: TimeMs,
    to: TimeMs,
    now: TimeMs,
    policy: &ClockPolicy,
) -> ReplyRateReport {
    let mut report = ReplyRateReport::default();
    for e in events
        .iter()
        .filter(|e| e.customer_at >= from && e.customer_at < to)
    {
        let five = outcome(e, policy.normal_ms, now);
        let one = e.urgent.then(|| outcome(e, policy.urgent_ms, now));
        let store = report.stores.entry(e.store.clone()).or_default();
        for rates in [&mut report.brand, store] {
            rates.five_min.add(five);
            if let Some(one) = one {
                rates.urgent_one_min.add(one);
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn ev(store: &str, at: i64, urgent: bool, replied: Option<i64>) -> ReplyEvent {
        ReplyEvent {
            store: StoreId::new(store),
            customer_at: TimeMs(at),
            urgent,
            replied_at: replied.map(TimeMs),
        }
    }

    #[test]
    fn five_minute_rate_counts_on_time_late_and_expired() {
        let events = [
            ev("a", 0, false, Some(5 * MIN)), // exactly at the deadline: on time
            ev("a", 0, false, Some(5 * MIN + 1)), // one ms late
            ev("a", MIN, false, None),        // window closed at 6 min: missed
            ev("b", 8 * MIN, false, None),    // window open at now: pending
            ev("b", 2 * MIN, false, Some(3 * MIN)),
        ];
        let r = project_reply_rates(
            &events,
            TimeMs(0),
            TimeMs(60 * MIN),
            TimeMs(10 * MIN),
            &ClockPolicy::default(),
        );
        assert_eq!(
            r.brand.five_min,
            RateCounts {
                on_time: 2,
                missed: 2,
                pending: 1
            }
        );
        assert_eq!(r.brand.five_min.ratio(), Some(0.5));
        assert_eq!(
            r.stores[&StoreId::new("a")].five_min,
            RateCounts {
                on_time: 1,
                missed: 2,
                pending: 0
            }
        );
        assert_eq!(
            r.stores[&StoreId::new("b")].five_min,
            RateCounts {
                on_time: 1,
                missed: 0,
                pending: 1
            }
        );
        assert_eq!(r.brand.urgent_one_min, RateCounts::default());
        assert_eq!(r.brand.urgent_one_min.ratio(), None);
    }

    #[test]
    fn urgent_clocks_count_in_both_rates_with_their_own_window() {
        let events = [
            ev("a", 0, true, Some(50_000)),  // on time for both
            ev("a", 0, true, Some(2 * MIN)), // late for 1 min, on time for 5 min
            ev("a", 9 * MIN, true, None),    // 1-min window closed at 10 min; 5-min still open
        ];
        let r = project_reply_rates(
            &events,
            TimeMs(0),
            TimeMs(60 * MIN),
            TimeMs(10 * MIN),
            &ClockPolicy::default(),
        );
        assert_eq!(
            r.brand.urgent_one_min,
            RateCounts {
                on_time: 1,
                missed: 2,
                pending: 0
            }
        );
        assert_eq!(
            r.brand.five_min,
            RateCounts {
                on_time: 2,
                missed: 0,
                pending: 1
            }
        );
        let third = r.brand.urgent_one_min.ratio().unwrap();
        assert!((third - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn only_clocks_started_in_the_range_count() {
        let events = [
            ev("a", -1, false, Some(0)),
            ev("a", 0, false, Some(1)),
            ev("a", 10 * MIN - 1, false, Some(10 * MIN)),
            ev("a", 10 * MIN, false, Some(10 * MIN)),
        ];
        let r = project_reply_rates(
            &events,
            TimeMs(0),
            TimeMs(10 * MIN),
            TimeMs(20 * MIN),
            &ClockPolicy::default(),
        );
        assert_eq!(r.brand.five_min.on_time, 2);
        assert_eq!(r.stores.len(), 1);
    }

    #[test]
    fn report_serialises_in_camel_case() {
        let r = project_reply_rates(
            &[ev("s1", 0, true, Some(1))],
            TimeMs(0),
            TimeMs(1),
            TimeMs(1),
            &ClockPolicy::default(),
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["brand"]["urgentOneMin"]["onTime"], 1);
        assert_eq!(json["stores"]["s1"]["fiveMin"]["onTime"], 1);
    }
}
