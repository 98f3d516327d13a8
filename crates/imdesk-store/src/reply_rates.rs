//! Reply rates from the `reply_events` log: the 5-minute rate over every clock started and
//! the 1-minute rate over urgent messages, per store and time range.

use rusqlite::{params, Connection};

use crate::error::Result;
use crate::options::StoreOptions;

/// Reply figures of one store over a range of customer-message times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyRates {
    /// Store (`epoiId`).
    pub store: String,
    /// Customer messages that started a reply clock (the 5-minute rate's base).
    pub total: i64,
    /// Of those, answered within the normal window (5 minutes).
    pub within_normal: i64,
    /// Urgent messages that started or tightened a clock (the 1-minute rate's base).
    pub urgent_total: i64,
    /// Of those, answered within the urgent window (1 minute).
    pub urgent_within: i64,
    /// Events still unanswered whose window has not yet passed at `now_ms`; they count
    /// neither as met nor as missed, so they are excluded from `total` and `urgent_total`.
    pub pending: i64,
}

impl ReplyRates {
    /// The 5-minute rate in 0..=1, or `None` when nothing is counted.
    pub fn normal_rate(&self) -> Option<f64> {
        (self.total > 0).then(|| self.within_normal as f64 / self.total as f64)
    }

    /// The urgent 1-minute rate in 0..=1, or `None` when there were no urgent messages.
    pub fn urgent_rate(&self) -> Option<f64> {
        (self.urgent_total > 0).then(|| self.urgent_within as f64 / self.urgent_total as f64)
    }
}

/// Reply rates per store for customer messages sent in `[since_ms, until_ms)`; one store when
/// `store` is given. Windows come from the store's [`crate::ClockPolicy`].
pub fn reply_rates(
    conn: &Connection,
    opts: &StoreOptions,
    store: Option<String>,
    since_ms: i64,
    until_ms: i64,
    now_ms: i64,
) -> Result<Vec<ReplyRates>> {
    let normal = opts.clock.normal_window_ms;
    let urgent = opts.clock.urgent_window_ms;
    // An event is pending when unanswered and its own window (normal, or urgent for urgent
    // events) has not passed yet.
    let mut stmt = conn.prepare_cached(
        "WITH e AS (
             SELECT store, urgent, started_clock, replied_at_ms - customer_at_ms AS took,
                 (replied_at_ms IS NULL
                  AND customer_at_ms + CASE WHEN urgent THEN ?5 ELSE ?4 END > ?6) AS pending
             FROM reply_events
             WHERE (?1 IS NULL OR store = ?1) AND customer_at_ms >= ?2 AND customer_at_ms < ?3)
         SELECT store,
             sum(started_clock AND NOT pending),
             sum(started_clock AND NOT pending AND took IS NOT NULL AND took <= ?4),
             sum(urgent AND NOT pending),
             sum(urgent AND NOT pending AND took IS NOT NULL AND took <= ?5),
             sum(pending)
         FROM e GROUP BY store ORDER BY store",
    )?;
    let rows = stmt
        .query_map(
            params![store, since_ms, until_ms, normal, urgent, now_ms],
            |r| {
                Ok(ReplyRates {
                    store: r.get(0)?,
                    total: r.get(1)?,
                    within_normal: r.get(2)?,
                    urgent_total: r.get(3)?,
                    urgent_within: r.get(4)?,
                    pending: r.get(5)?,
                })
            },
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
