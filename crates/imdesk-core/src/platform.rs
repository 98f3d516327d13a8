//! The platform's reply rates and rights (`getReversionRateAndRightsList`, protocol §4.12):
//! polled on a schedule and on demand, kept per store and local day in SQLite with our own
//! figures for the same day beside them, and shown as the rates page (30 days per store and
//! for the brand, the rights with their state, the stores at risk of losing one).
//!
//! Which rate keeps which right is not documented; the platform reports `benefitStatus` for the
//! 5-minute rate and `urgentBenefitStatus` for the urgent one. [`RIGHTS`] ties each right we
//! show to one of them (review contact, invite-review and coupons to the 5-minute rate;
//! blocking and live review updates to the urgent rate), the split the sandbox models.

use std::collections::BTreeMap;

use imdesk_store::{PlatformRateDay, Store};
use meituan_api::im::{GetReversionRateAndRightsList, ReversionRate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::export::day_start_ms;
use crate::options::DeskOptions;

/// Days the rates page charts.
pub const CHART_DAYS: i64 = 30;
/// A right is at risk when the rate that keeps it is less than this many points above its
/// target (or our own figure today is below the target).
pub const AT_RISK_MARGIN: f64 = 2.0;

/// Which rate keeps a right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum RightGate {
    /// The 5-minute reply rate.
    FiveMin,
    /// The urgent 1-minute reply rate.
    Urgent,
    /// Not known (a right this build does not list).
    Unknown,
}

/// The rights the page always lists (code, fallback name, the rate that keeps it).
pub const RIGHTS: [(i32, &str, RightGate); 5] = [
    (1, "评价联系", RightGate::FiveMin),
    (5, "邀请评价", RightGate::FiveMin),
    (9, "发券", RightGate::FiveMin),
    (6, "屏蔽恶意顾客", RightGate::Urgent),
    (3, "实时评价动态", RightGate::Urgent),
];

/// A right's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum RightState {
    /// Held, and the rate keeping it is safely above its target.
    Unlocked,
    /// Held, but the rate keeping it is near or below its target (or temporary).
    AtRisk,
    /// Not held.
    Locked,
}

/// One right of a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreRight {
    /// The platform's code (1 review contact, 6 blocking, 9 coupons, …).
    pub code: i32,
    /// The platform's name for it (or ours when the platform did not list it).
    pub name: String,
    /// Held, at risk, or not held.
    pub state: RightState,
    /// Listed among the temporary rights.
    pub temporary: bool,
    /// The rate that keeps it.
    pub gate: RightGate,
}

/// One day of a chart, percents 0–100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RatePoint {
    /// Local day, `YYYY-MM-DD`.
    pub day: String,
    /// The platform's 5-minute rate.
    pub five_min: Option<f64>,
    /// The platform's urgent rate.
    pub urgent: Option<f64>,
    /// Our 5-minute rate that day.
    pub local_five_min: Option<f64>,
    /// Our urgent rate that day.
    pub local_urgent: Option<f64>,
}

/// One store on the rates page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StorePlatformRates {
    /// The ePoiId.
    pub epoi_id: String,
    /// Display name.
    pub name: String,
    /// When the platform's figures were fetched (UTC ms); `None`: never yet.
    pub polled_at: Option<i64>,
    /// The platform's 5-minute rate, percent.
    pub five_min: Option<f64>,
    /// The platform's urgent 1-minute rate, percent.
    pub urgent: Option<f64>,
    /// Target of the 5-minute rate, percent.
    pub target_five_min: Option<f64>,
    /// Target of the urgent rate, percent.
    pub target_urgent: Option<f64>,
    /// Our 5-minute rate today so far, percent.
    pub local_five_min: Option<f64>,
    /// Our urgent rate today so far, percent.
    pub local_urgent: Option<f64>,
    /// The rights, the listed ones first.
    pub rights: Vec<StoreRight>,
    /// Some right is at risk.
    pub at_risk: bool,
    /// The last [`CHART_DAYS`] days that have figures, oldest first.
    pub history: Vec<RatePoint>,
}

/// The rates page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlatformRatesPage {
    /// Today (local), `YYYY-MM-DD`.
    pub today: String,
    /// The first day charted.
    pub since: String,
    /// The brand per day: the mean of its stores' figures.
    pub brand: Vec<RatePoint>,
    /// Each configured store.
    pub stores: Vec<StorePlatformRates>,
}

/// A platform percent: `"95.50%"`, `"95.5"` or `95`; a bare fraction (`"0.955"`) is scaled.
pub(crate) fn percent(text: Option<&str>) -> Option<f64> {
    let text = text?.trim();
    let (number, marked) = match text.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (text, false),
    };
    let v: f64 = number.parse().ok().filter(|v: &f64| v.is_finite())?;
    Some(if !marked && v > 0.0 && v < 1.0 {
        v * 100.0
    } else {
        v
    })
}

/// The local day `YYYY-MM-DD` of a UTC ms instant.
pub(crate) fn local_day(ms: i64, utc_offset_secs: i32) -> String {
    chrono::DateTime::from_timestamp_millis(ms + i64::from(utc_offset_secs) * 1000)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn day_before(day: &str, days: i64) -> String {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.checked_sub_signed(chrono::Duration::days(days)))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

#[derive(Serialize, Deserialize)]
struct StoredRight {
    code: Option<String>,
    name: Option<String>,
    temp: bool,
}

/// Our own rates (5-minute, urgent; percent) over the local day so far: the brand first,
/// then each store with events (only `epoi_id` when given), from one query.
async fn local_today(
    store: &Store,
    opts: &DeskOptions,
    epoi_id: Option<&str>,
    now: i64,
) -> DeskResult<Vec<(Option<String>, Option<f64>, Option<f64>)>> {
    let today = local_day(now, opts.utc_offset_secs);
    let start = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d")
        .map(|d| day_start_ms(d, opts.utc_offset_secs))
        .unwrap_or(now);
    let rates = store
        .reply_rates_async(epoi_id.map(str::to_owned), start, now + 1, now)
        .await?;
    let pct = |r: Option<f64>| r.map(|r| r * 100.0);
    Ok(rates
        .into_iter()
        .map(|r| {
            (
                r.store,
                pct(r.five_min.ratio()),
                pct(r.urgent_one_min.ratio()),
            )
        })
        .collect())
}

/// The figures of `epoi_id` among [`local_today`]'s.
fn local_of(
    all: &[(Option<String>, Option<f64>, Option<f64>)],
    epoi_id: &str,
) -> (Option<f64>, Option<f64>) {
    all.iter()
        .find(|(s, _, _)| s.as_deref() == Some(epoi_id))
        .map_or((None, None), |(_, f, u)| (*f, *u))
}

/// Records one poll of a store: today's row, our own figures of today beside it.
pub(crate) async fn record_poll(
    store: &Store,
    opts: &DeskOptions,
    epoi_id: &str,
    rate: &ReversionRate,
    now: i64,
) -> DeskResult<()> {
    let (local_five_min, local_urgent) = local_of(
        &local_today(store, opts, Some(epoi_id), now).await?,
        epoi_id,
    );
    let rights: Vec<StoredRight> = rate
        .rights_list
        .iter()
        .map(|r| (r, false))
        .chain(rate.temp_rights_list.iter().map(|r| (r, true)))
        .map(|(r, temp)| StoredRight {
            code: r.code.clone(),
            name: r.name.clone(),
            temp,
        })
        .collect();
    let day = local_day(now, opts.utc_offset_secs);
    let oldest = day_before(&day, imdesk_store::platform_rates::KEEP_DAYS);
    let row = PlatformRateDay {
        store: epoi_id.to_owned(),
        day,
        polled_at_ms: now,
        five_min: percent(rate.reversion_rate.as_deref()),
        urgent: percent(rate.urgent_reversion_rate.as_deref()),
        target_five_min: percent(rate.target_reversion_rate.as_deref()),
        target_urgent: percent(rate.urgent_target_reversion_rate.as_deref()),
        five_min_reached: rate.benefit_status.map(|s| s == 1),
        urgent_reached: rate.urgent_benefit_status.map(|s| s == 1),
        local_five_min,
        local_urgent,
        rights_json: serde_json::to_string(&rights).unwrap_or_else(|_| "[]".to_owned()),
    };
    store.record_platform_rates_async(row, oldest).await?;
    Ok(())
}

/// The state of each right from a store's latest day and our figure today.
fn rights_of(latest: &PlatformRateDay, local: (Option<f64>, Option<f64>)) -> Vec<StoreRight> {
    let held: Vec<StoredRight> = serde_json::from_str(&latest.rights_json).unwrap_or_default();
    let risky = |gate: RightGate| {
        let (rate, target, ours) = match gate {
            RightGate::FiveMin => (latest.five_min, latest.target_five_min, local.0),
            RightGate::Urgent => (latest.urgent, latest.target_urgent, local.1),
            RightGate::Unknown => return false,
        };
        let Some(target) = target else { return false };
        rate.is_some_and(|r| r < target + AT_RISK_MARGIN) || ours.is_some_and(|o| o < target)
    };
    let code_of = |r: &StoredRight| r.code.as_deref().and_then(|c| c.trim().parse::<i32>().ok());
    let mut out: Vec<StoreRight> = RIGHTS
        .iter()
        .map(|&(code, name, gate)| {
            let found = held.iter().find(|r| code_of(r) == Some(code));
            let state = match found {
                None => RightState::Locked,
                Some(r) if r.temp || risky(gate) => RightState::AtRisk,
                Some(_) => RightState::Unlocked,
            };
            StoreRight {
                code,
                name: found
                    .and_then(|r| r.name.clone())
                    .unwrap_or_else(|| name.to_owned()),
                state,
                temporary: found.is_some_and(|r| r.temp),
                gate,
            }
        })
        .collect();
    for r in &held {
        let Some(code) = code_of(r) else { continue };
        if out.iter().any(|o| o.code == code) {
            continue;
        }
        out.push(StoreRight {
            code,
            name: r.name.clone().unwrap_or_default(),
            state: if r.temp {
                RightState::AtRisk
            } else {
                RightState::Unlocked
            },
            temporary: r.temp,
            gate: RightGate::Unknown,
        });
    }
    // Held rights first, keeping the catalogue order within each group.
    out.sort_by_key(|r| r.state == RightState::Locked);
    out
}

fn point(d: &PlatformRateDay) -> RatePoint {
    RatePoint {
        day: d.day.clone(),
        five_min: d.five_min,
        urgent: d.urgent,
        local_five_min: d.local_five_min,
        local_urgent: d.local_urgent,
    }
}

fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let (sum, n) = values
        .flatten()
        .fold((0.0, 0_u32), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / f64::from(n))
}

/// The brand per day: the mean of the stores that have a figure that day.
fn brand_points(days: &[PlatformRateDay]) -> Vec<RatePoint> {
    let mut by_day: BTreeMap<&str, Vec<&PlatformRateDay>> = BTreeMap::new();
    for d in days {
        by_day.entry(d.day.as_str()).or_default().push(d);
    }
    by_day
        .into_iter()
        .map(|(day, ds)| RatePoint {
            day: day.to_owned(),
            five_min: mean(ds.iter().map(|d| d.five_min)),
            urgent: mean(ds.iter().map(|d| d.urgent)),
            local_five_min: mean(ds.iter().map(|d| d.local_five_min)),
            local_urgent: mean(ds.iter().map(|d| d.local_urgent)),
        })
        .collect()
}

impl Desk {
    /// Fetches every store's rates and rights now and records them; the page after it. A
    /// store whose fetch fails keeps its last figures (the failure is logged by store id).
    pub async fn refresh_platform_rates(&self) -> DeskResult<PlatformRatesPage> {
        let Some(meituan) = self.meituan.as_ref() else {
            return Err(DeskError::Invalid(
                "no platform link on this desk (a team agent reads its relay's figures)".into(),
            ));
        };
        for key in self.stores.keys() {
            match meituan
                .client
                .call(&key, &GetReversionRateAndRightsList)
                .await
            {
                Ok(rate) => {
                    record_poll(
                        &self.store,
                        &self.opts,
                        key.store.as_str(),
                        &rate,
                        self.now(),
                    )
                    .await?;
                }
                Err(e) => tracing::warn!(store = %key.store, "reply rates unavailable: {e}"),
            }
        }
        self.platform_rates_page().await
    }

    /// The rates page from what is recorded: the last [`CHART_DAYS`] days.
    pub async fn platform_rates_page(&self) -> DeskResult<PlatformRatesPage> {
        let now = self.now();
        let today = local_day(now, self.opts.utc_offset_secs);
        let since = day_before(&today, CHART_DAYS - 1);
        let days = self
            .store
            .platform_rate_history_async(since.clone())
            .await?;
        let ours = local_today(&self.store, &self.opts, None, now).await?;
        let mut stores = Vec::new();
        for (epoi_id, entry) in self.stores.entries() {
            let mine: Vec<&PlatformRateDay> = days.iter().filter(|d| d.store == epoi_id).collect();
            let local = local_of(&ours, &epoi_id);
            let latest = mine.last().copied();
            let rights = latest.map(|l| rights_of(l, local)).unwrap_or_default();
            stores.push(StorePlatformRates {
                at_risk: rights.iter().any(|r| r.state == RightState::AtRisk),
                name: entry.name,
                polled_at: latest.map(|l| l.polled_at_ms),
                five_min: latest.and_then(|l| l.five_min),
                urgent: latest.and_then(|l| l.urgent),
                target_five_min: latest.and_then(|l| l.target_five_min),
                target_urgent: latest.and_then(|l| l.target_urgent),
                local_five_min: local.0,
                local_urgent: local.1,
                rights,
                history: mine.iter().map(|d| point(d)).collect(),
                epoi_id,
            });
        }
        Ok(PlatformRatesPage {
            brand: brand_points(&days),
            today,
            since,
            stores,
        })
    }

    /// The latest recorded platform figures of each store (today's or yesterday's poll), as
    /// the status bar and the supervisor panel show them.
    pub(crate) async fn latest_platform_days(
        &self,
    ) -> DeskResult<BTreeMap<String, PlatformRateDay>> {
        let today = local_day(self.now(), self.opts.utc_offset_secs);
        let days = self
            .store
            .platform_rate_history_async(day_before(&today, 1))
            .await?;
        // By store then day: the last of each store wins.
        Ok(days.into_iter().map(|d| (d.store.clone(), d)).collect())
    }
}

/// A percent as the status bar shows it.
pub(crate) fn percent_text(v: Option<f64>) -> Option<String> {
    v.map(|v| format!("{v:.2}%"))
}

/// The mean of the stores' figures, for the brand line of the status bar.
pub(crate) fn brand_mean<'a>(
    days: impl Iterator<Item = &'a PlatformRateDay> + Clone,
) -> (Option<f64>, Option<f64>) {
    (
        mean(days.clone().map(|d| d.five_min)),
        mean(days.map(|d| d.urgent)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percents_read_every_shape_the_platform_sends() {
        assert_eq!(percent(Some("95.50%")), Some(95.5));
        assert_eq!(percent(Some("95")), Some(95.0));
        assert_eq!(percent(Some("0.9")), Some(90.0));
        assert_eq!(percent(Some("0%")), Some(0.0));
        assert_eq!(percent(Some("n/a")), None);
        assert_eq!(percent(None), None);
    }

    fn day(five: f64, urgent: f64, rights: &str) -> PlatformRateDay {
        PlatformRateDay {
            five_min: Some(five),
            urgent: Some(urgent),
            target_five_min: Some(95.0),
            target_urgent: Some(90.0),
            rights_json: rights.to_owned(),
            ..PlatformRateDay::default()
        }
    }

    #[test]
    fn a_right_is_at_risk_near_its_target_and_locked_when_not_held() {
        let held = r#"[{"code":"1","name":"评价联系","temp":false},
                       {"code":"6","name":"屏蔽恶意顾客","temp":false}]"#;
        let state = |rs: &[StoreRight], code| rs.iter().find(|r| r.code == code).unwrap().state;
        let safe = rights_of(&day(99.0, 99.0, held), (None, None));
        assert_eq!(state(&safe, 1), RightState::Unlocked);
        assert_eq!(state(&safe, 6), RightState::Unlocked);
        assert_eq!(state(&safe, 9), RightState::Locked);
        assert_eq!(safe[0].code, 1, "held rights first");
        let near = rights_of(&day(96.0, 99.0, held), (None, None));
        assert_eq!(state(&near, 1), RightState::AtRisk);
        assert_eq!(state(&near, 6), RightState::Unlocked);
        // Our own figure today below target puts it at risk before the platform notices.
        let slipping = rights_of(&day(99.0, 99.0, held), (Some(99.0), Some(50.0)));
        assert_eq!(state(&slipping, 6), RightState::AtRisk);
    }
}
