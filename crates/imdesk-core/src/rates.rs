//! Reply rates for the supervisor panel: today's local figures from the store's reply-event log,
//! beside Meituan's own figures (fetched periodically).

use std::collections::BTreeMap;

use meituan_wire::TimeMs;

use crate::alerts::local_second_of_day;
use crate::desk::Desk;
use crate::error::DeskResult;
use crate::view::{Rate, ReplyRates};

/// A rate with nothing counted yet.
const EMPTY: Rate = Rate {
    on_time: 0,
    counted: 0,
    ratio: None,
};

/// Rates per store (`None`: the brand) over the events `pick` selects: on time when replied
/// within `window_ms` of the customer message, counted once replied or once the window closed.
// TODO(lead): store aggregate (`Store::reply_rates`) replaces this tally.
fn tally(
    rows: &[Row],
    pick: fn(&Row) -> bool,
    window_ms: i64,
    now: i64,
) -> BTreeMap<Option<String>, Rate> {
    let mut out = BTreeMap::new();
    for r in rows.iter().filter(|r| pick(r) && r.1 <= now) {
        let deadline = r.1.saturating_add(window_ms);
        let on_time = match r.4 {
            Some(at) => at <= deadline,
            None if now >= deadline => false,
            None => continue,
        };
        for key in [None, Some(r.0.clone())] {
            let rate = out.entry(key).or_insert(EMPTY);
            rate.on_time += u32::from(on_time);
            rate.counted += 1;
            rate.ratio = Some(f64::from(rate.on_time) / f64::from(rate.counted));
        }
    }
    out
}

/// One logged clock event: (store, customer_at, urgent, started_clock, replied_at).
type Row = (String, i64, bool, bool, Option<i64>);

impl Desk {
    /// Today's (local day) reply rates: the brand first, then each store.
    pub async fn reply_rates(&self) -> DeskResult<Vec<ReplyRates>> {
        let now = self.now();
        let day_start =
            now - i64::from(local_second_of_day(TimeMs(now), self.opts.utc_offset_secs)) * 1000;
        let rows: Vec<Row> = self
            .store
            .read_async(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT store, customer_at_ms, urgent, started_clock, replied_at_ms
                     FROM reply_events WHERE customer_at_ms >= ?1",
                )?;
                let rows = stmt
                    .query_map([day_start], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })?
                    .collect::<rusqlite::Result<Vec<Row>>>()?;
                Ok(rows)
            })
            .await?;
        let clock = &self.opts.store.clock;
        // Every clock counts toward the 5-minute rate once (the event that started it); every
        // urgent message counts toward the 1-minute rate (also one that tightened a clock).
        let five = tally(&rows, |r| r.3, clock.normal_window_ms, now);
        let one = tally(&rows, |r| r.2, clock.urgent_window_ms, now);
        let of =
            |rates: &BTreeMap<Option<String>, Rate>, key| rates.get(&key).cloned().unwrap_or(EMPTY);
        let platform = self.platform_rates.borrow().clone();
        let mut out = vec![ReplyRates {
            store: None,
            five_min: of(&five, None),
            urgent_one_min: of(&one, None),
            platform_five_min: None,
            platform_urgent: None,
            target_five_min: None,
            target_urgent: None,
        }];
        for key in self.stores.keys() {
            let id = key.store.clone();
            let p = platform.get(id.as_str());
            out.push(ReplyRates {
                store: Some(id.as_str().to_owned()),
                five_min: of(&five, Some(id.as_str().to_owned())),
                urgent_one_min: of(&one, Some(id.as_str().to_owned())),
                platform_five_min: p.and_then(|p| p.reversion_rate.clone()),
                platform_urgent: p.and_then(|p| p.urgent_reversion_rate.clone()),
                target_five_min: p.and_then(|p| p.target_reversion_rate.clone()),
                target_urgent: p.and_then(|p| p.urgent_target_reversion_rate.clone()),
            });
        }
        Ok(out)
    }
}
