//! The platform's reply rates and rights per store and local day (`platform_rate_days`,
//! schema version 11): the latest poll of each day, with our own figures beside it.

use rusqlite::{named_params, Connection};

use crate::error::Result;
use crate::options::StoreOptions;

/// Days of history kept: a little over a year, so "the same month last year" stays
/// comparable; the table grows by one row per store per day at most.
pub const KEEP_DAYS: i64 = 400;

/// One store's figures on one local day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlatformRateDay {
    /// Store (`epoiId`).
    pub store: String,
    /// Local day, `YYYY-MM-DD`.
    pub day: String,
    /// When the figures were fetched (UTC ms).
    pub polled_at_ms: i64,
    /// The platform's 5-minute rate, percent.
    pub five_min: Option<f64>,
    /// The platform's urgent 1-minute rate, percent.
    pub urgent: Option<f64>,
    /// Target of the 5-minute rate, percent.
    pub target_five_min: Option<f64>,
    /// Target of the urgent rate, percent.
    pub target_urgent: Option<f64>,
    /// The platform's `benefitStatus`.
    pub five_min_reached: Option<bool>,
    /// The platform's `urgentBenefitStatus`.
    pub urgent_reached: Option<bool>,
    /// Our 5-minute rate for the day at the poll, percent.
    pub local_five_min: Option<f64>,
    /// Our urgent rate for the day at the poll, percent.
    pub local_urgent: Option<f64>,
    /// The rights as JSON (`[{"code","name","temp"}]`).
    pub rights_json: String,
}

/// Records (or overwrites) a store's day, and drops that store's days older than
/// [`KEEP_DAYS`] before `day`.
pub fn record_platform_rates(
    conn: &Connection,
    _opts: &StoreOptions,
    row: PlatformRateDay,
    oldest_day: String,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO platform_rate_days (store, day, polled_at_ms, five_min, urgent,
             target_five_min, target_urgent, five_min_reached, urgent_reached, local_five_min,
             local_urgent, rights)
         VALUES (:store, :day, :at, :five, :urgent, :t5, :tu, :r5, :ru, :l5, :lu, :rights)
         ON CONFLICT (store, day) DO UPDATE SET polled_at_ms = excluded.polled_at_ms,
             five_min = excluded.five_min, urgent = excluded.urgent,
             target_five_min = excluded.target_five_min, target_urgent = excluded.target_urgent,
             five_min_reached = excluded.five_min_reached,
             urgent_reached = excluded.urgent_reached, local_five_min = excluded.local_five_min,
             local_urgent = excluded.local_urgent, rights = excluded.rights",
    )?
    .execute(named_params! {
        ":store": row.store, ":day": row.day, ":at": row.polled_at_ms, ":five": row.five_min,
        ":urgent": row.urgent, ":t5": row.target_five_min, ":tu": row.target_urgent,
        ":r5": row.five_min_reached, ":ru": row.urgent_reached, ":l5": row.local_five_min,
        ":lu": row.local_urgent, ":rights": row.rights_json,
    })?;
    conn.prepare_cached("DELETE FROM platform_rate_days WHERE store = ?1 AND day < ?2")?
        .execute(rusqlite::params![row.store, oldest_day])?;
    Ok(())
}

/// Every store's days from `since_day` (inclusive), by store then day.
pub fn platform_rate_history(
    conn: &Connection,
    _opts: &StoreOptions,
    since_day: String,
) -> Result<Vec<PlatformRateDay>> {
    let mut stmt = conn.prepare_cached(
        "SELECT store, day, polled_at_ms, five_min, urgent, target_five_min, target_urgent,
             five_min_reached, urgent_reached, local_five_min, local_urgent, rights
         FROM platform_rate_days WHERE day >= ?1 ORDER BY store, day",
    )?;
    let rows = stmt
        .query_map([since_day], |r| {
            Ok(PlatformRateDay {
                store: r.get(0)?,
                day: r.get(1)?,
                polled_at_ms: r.get(2)?,
                five_min: r.get(3)?,
                urgent: r.get(4)?,
                target_five_min: r.get(5)?,
                target_urgent: r.get(6)?,
                five_min_reached: r.get(7)?,
                urgent_reached: r.get(8)?,
                local_five_min: r.get(9)?,
                local_urgent: r.get(10)?,
                rights_json: r.get(11)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
