//! Reply rates for the supervisor panel: today's local figures from the store's reply-event log
//! through the alerts module's projection, beside Meituan's own figures (fetched periodically).

use meituan_wire::{StoreId, TimeMs};

use crate::alerts::{
    local_second_of_day, project_reply_rates, ClockPolicy, RateCounts, ReplyEvent,
};
use crate::desk::Desk;
use crate::error::DeskResult;
use crate::view::{Rate, ReplyRates};

fn rate(c: RateCounts) -> Rate {
    Rate {
        on_time: c.on_time,
        counted: c.on_time + c.missed,
        ratio: c.ratio(),
    }
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
        let policy = ClockPolicy {
            normal_ms: u32::try_from(clock.normal_window_ms).unwrap_or(u32::MAX),
            urgent_ms: u32::try_from(clock.urgent_window_ms).unwrap_or(u32::MAX),
            ..ClockPolicy::default()
        };
        // Every clock counts toward the 5-minute rate once (the event that started it); every
        // urgent message counts toward the 1-minute rate (also one that tightened a clock).
        let event = |r: &Row, urgent| ReplyEvent {
            store: StoreId::new(r.0.clone()),
            customer_at: TimeMs(r.1),
            urgent,
            replied_at: r.4.map(TimeMs),
        };
        let started: Vec<ReplyEvent> = rows
            .iter()
            .filter(|r| r.3)
            .map(|r| event(r, false))
            .collect();
        let urgent: Vec<ReplyEvent> = rows
            .iter()
            .filter(|r| r.2)
            .map(|r| event(r, true))
            .collect();
        let (from, to, at) = (TimeMs(day_start), TimeMs(now + 1), TimeMs(now));
        let five = project_reply_rates(&started, from, to, at, &policy);
        let one = project_reply_rates(&urgent, from, to, at, &policy);
        let platform = self.platform_rates.borrow().clone();
        let mut out = vec![ReplyRates {
            store: None,
            five_min: rate(five.brand.five_min),
            urgent_one_min: rate(one.brand.urgent_one_min),
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
                five_min: rate(five.stores.get(&id).map(|r| r.five_min).unwrap_or_default()),
                urgent_one_min: rate(
                    one.stores
                        .get(&id)
                        .map(|r| r.urgent_one_min)
                        .unwrap_or_default(),
                ),
                platform_five_min: p.and_then(|p| p.reversion_rate.clone()),
                platform_urgent: p.and_then(|p| p.urgent_reversion_rate.clone()),
                target_five_min: p.and_then(|p| p.target_reversion_rate.clone()),
                target_urgent: p.and_then(|p| p.urgent_target_reversion_rate.clone()),
            });
        }
        Ok(out)
    }
}
