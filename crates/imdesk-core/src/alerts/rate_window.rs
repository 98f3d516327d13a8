//! A sliding-window counter: at most `max` events in any window of `window_ms`. An event at
//! `t` occupies the window until `t + window_ms` (exclusive), so the limit holds for every
//! half-open interval `(t - window_ms, t]`.

use std::collections::VecDeque;

/// Times of recent events, oldest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateWindow {
    log: VecDeque<i64>,
}

impl RateWindow {
    /// Events still inside the window ending at `now`.
    pub(crate) fn used(&self, now: i64, window_ms: i64) -> u32 {
        let n = self.log.iter().filter(|&&t| t > now - window_ms).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// How many more events fit at `now`.
    pub(crate) fn remaining(&self, now: i64, window_ms: i64, max: u32) -> u32 {
        max.saturating_sub(self.used(now, window_ms))
    }

    /// When the next event fits: `now` if one fits already.
    pub(crate) fn free_at(&self, now: i64, window_ms: i64, max: u32) -> i64 {
        let live: Vec<i64> = self
            .log
            .iter()
            .copied()
            .filter(|&t| t > now - window_ms)
            .collect();
        let max = usize::try_from(max.max(1)).unwrap_or(usize::MAX);
        if live.len() < max {
            return now;
        }
        // The oldest events must leave until only max - 1 remain.
        live[live.len() - max] + window_ms
    }

    /// Records an event at `now`, forgetting those older than `keep_ms`.
    pub(crate) fn record(&mut self, now: i64, keep_ms: i64) {
        while self.log.front().is_some_and(|&t| t <= now - keep_ms) {
            self.log.pop_front();
        }
        self.log.push_back(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_then_frees_when_the_oldest_leaves() {
        let mut w = RateWindow::default();
        for t in [0, 1_000, 2_000] {
            assert!(w.remaining(t, 30_000, 3) > 0);
            w.record(t, 30_000);
        }
        assert_eq!(w.remaining(2_500, 30_000, 3), 0);
        assert_eq!(w.free_at(2_500, 30_000, 3), 30_000);
        assert_eq!(w.remaining(29_999, 30_000, 3), 0);
        assert_eq!(w.remaining(30_000, 30_000, 3), 1);
        assert_eq!(w.free_at(30_000, 30_000, 3), 30_000);
    }

    #[test]
    fn record_forgets_old_events() {
        let mut w = RateWindow::default();
        w.record(0, 10);
        w.record(100, 10);
        assert_eq!(w.log.len(), 1);
    }
}
