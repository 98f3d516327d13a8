//! Reply rates for the supervisor panel: today's local figures from the store's reply-event log,
//! beside Meituan's own figures (fetched periodically).

use meituan_wire::TimeMs;

use crate::alerts::local_second_of_day;
use crate::desk::Desk;
use crate::error::DeskResult;
use crate::platform::{brand_mean, percent_text};
use crate::view::{Rate, ReplyRates};

fn rate(c: imdesk_store::RateCounts) -> Rate {
    let n = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    Rate {
        on_time: n(c.on_time),
        counted: n(c.on_time + c.missed),
        ratio: c.ratio(),
    }
}

impl Desk {
    /// Today's (local day) reply rates: the brand first, then each store. The store's one
    /// aggregate decides them with the one clock policy.
    pub async fn reply_rates(&self) -> DeskResult<Vec<ReplyRates>> {
        let now = self.now();
        let day_start =
            now - i64::from(local_second_of_day(TimeMs(now), self.opts.utc_offset_secs)) * 1000;
        let local = self
            .store
            .reply_rates_async(None, day_start, now + 1, now)
            .await?;
        let of = |store: Option<&str>| {
            local
                .iter()
                .find(|r| r.store.as_deref() == store)
                .map(|r| (rate(r.five_min), rate(r.urgent_one_min)))
                .unwrap_or_else(|| (rate(Default::default()), rate(Default::default())))
        };
        let platform = self.latest_platform_days().await?;
        // The platform reports stores, not brands: the brand's figure is its stores' mean.
        let (brand_five, brand_urgent) = brand_mean(platform.values());
        let mut out = vec![ReplyRates {
            store: None,
            five_min: of(None).0,
            urgent_one_min: of(None).1,
            platform_five_min: percent_text(brand_five),
            platform_urgent: percent_text(brand_urgent),
            target_five_min: None,
            target_urgent: None,
        }];
        for key in self.stores.keys() {
            let id = key.store.clone();
            let p = platform.get(id.as_str());
            out.push(ReplyRates {
                store: Some(id.as_str().to_owned()),
                five_min: of(Some(id.as_str())).0,
                urgent_one_min: of(Some(id.as_str())).1,
                platform_five_min: percent_text(p.and_then(|p| p.five_min)),
                platform_urgent: percent_text(p.and_then(|p| p.urgent)),
                target_five_min: percent_text(p.and_then(|p| p.target_five_min)),
                target_urgent: percent_text(p.and_then(|p| p.target_urgent)),
            });
        }
        Ok(out)
    }
}
