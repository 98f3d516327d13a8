//! Reply rates from the `reply_events` log, the one implementation the product shows: the
//! 5-minute rate over every clock started and the 1-minute rate over urgent messages (those
//! that tightened a running clock included), per store and time range, judged by the windows
//! of the clock policy in force.
//!
//! An event is *on time* when the reply came within its window, *missed* when it came later
//! or has not come and the window closed at `now`, and *pending* (out of the ratio) while
//! unanswered with its window still open. An urgent clock is judged against 5 minutes for the
//! 5-minute rate and against 1 minute for the urgent rate.

use rusqlite::{named_params, Connection};

use crate::error::Result;
use crate::options::StoreOptions;

/// The counts behind one rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateCounts {
    /// Replied within the window.
    pub on_time: i64,
    /// Replied late, or unanswered after the window closed.
    pub missed: i64,
    /// Unanswered with the window still open; not in the ratio.
    pub pending: i64,
}

impl RateCounts {
    /// `on_time / (on_time + missed)` in 0..=1, or `None` when nothing is decided yet.
    pub fn ratio(&self) -> Option<f64> {
        let decided = self.on_time + self.missed;
        (decided > 0).then(|| self.on_time as f64 / decided as f64)
    }

    fn add(&mut self, other: Self) {
        self.on_time += other.on_time;
        self.missed += other.missed;
        self.pending += other.pending;
    }
}

/// The two rates of one store, or of the brand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyRates {
    /// The store (`epoiId`); `None` for the brand, all stores together.
    pub store: Option<String>,
    /// The 5-minute rate, over every clock started.
    pub five_min: RateCounts,
    /// The urgent 1-minute rate, over urgent messages.
    pub urgent_one_min: RateCounts,
}

/// The counts of one rate, as SQL aggregates over the events that `$base` selects, judged
/// against the window `$window` (a named parameter).
macro_rules! rate_columns {
    ($base:literal, $window:literal) => {
        concat!(
            "count(*) FILTER (WHERE ",
            $base,
            " AND replied_at_ms - customer_at_ms <= ",
            $window,
            "),
             count(*) FILTER (WHERE ",
            $base,
            " AND (replied_at_ms - customer_at_ms > ",
            $window,
            "
                 OR (replied_at_ms IS NULL AND customer_at_ms + ",
            $window,
            " <= :now))),
             count(*) FILTER (WHERE ",
            $base,
            " AND replied_at_ms IS NULL
                 AND customer_at_ms + ",
            $window,
            " > :now)"
        )
    };
}

/// Reply rates for customer messages sent in `[since_ms, until_ms)` as seen at `now_ms`: the
/// brand first (the sum of the stores: each event belongs to one store), then each store
/// that has events, by id; only `store` when given (the brand row then equals it).
pub fn reply_rates(
    conn: &Connection,
    opts: &StoreOptions,
    store: Option<String>,
    since_ms: i64,
    until_ms: i64,
    now_ms: i64,
) -> Result<Vec<ReplyRates>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT store, ",
        rate_columns!("started_clock", ":normal"),
        ", ",
        rate_columns!("urgent", ":urgent"),
        " FROM reply_events
         WHERE (:store IS NULL OR store = :store) AND customer_at_ms >= :since
             AND customer_at_ms < :until
         GROUP BY store ORDER BY store"
    ))?;
    let params = named_params! {
        ":store": store, ":since": since_ms, ":until": until_ms, ":now": now_ms,
        ":normal": opts.clock.normal_window_ms, ":urgent": opts.clock.urgent_window_ms,
    };
    let counts = |r: &rusqlite::Row<'_>, at: usize| -> rusqlite::Result<RateCounts> {
        Ok(RateCounts {
            on_time: r.get(at)?,
            missed: r.get(at + 1)?,
            pending: r.get(at + 2)?,
        })
    };
    let stores = stmt
        .query_map(params, |r| {
            Ok(ReplyRates {
                store: Some(r.get(0)?),
                five_min: counts(r, 1)?,
                urgent_one_min: counts(r, 4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut brand = ReplyRates::default();
    for s in &stores {
        brand.five_min.add(s.five_min);
        brand.urgent_one_min.add(s.urgent_one_min);
    }
    Ok(std::iter::once(brand).chain(stores).collect())
}
