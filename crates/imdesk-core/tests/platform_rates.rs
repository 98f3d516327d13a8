//! The platform's reply rates and rights through the engine against the sandbox (rates
//! scripted per store): recorded per store and day beside our own figures, the rights' state
//! (unlocked, at risk near a target, locked), 30 days of history per store and for the
//! brand, old days pruned, the status bar's figures, and the scheduled poll recording alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use imdesk_core::platform::{RightGate, RightState, StorePlatformRates};
use imdesk_core::DeskOptions;
use imdesk_store::PlatformRateDay;
use meituan_sandbox::{ChatKind, CustomerMessage, Faults};

fn day_before(day: &str, n: i64) -> String {
    (chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap() - chrono::Duration::days(n))
        .to_string()
}

fn right(s: &StorePlatformRates, code: i32) -> RightState {
    s.rights.iter().find(|r| r.code == code).unwrap().state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rates_and_rights_are_recorded_judged_and_charted() {
    let sb = sandbox(Faults::default()).await;
    let stores = sb.stores();
    let (a, b, c) = (
        stores[0].epoi_id.clone(),
        stores[1].epoi_id.clone(),
        stores[2].epoi_id.clone(),
    );
    sb.script_reply_rates(&a, Some((99.0, 98.0))).unwrap();
    // Holds its 5-minute rights, one point above the 95% target: at risk.
    sb.script_reply_rates(&b, Some((96.0, 99.0))).unwrap();
    // Below both targets: no rights.
    sb.script_reply_rates(&c, Some((80.0, 50.0))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let desk = quiet_desk(&sb, &dir).await;

    // Nothing polled yet: stores listed without figures, the status bar has no platform figure.
    let empty = desk.platform_rates_page().await.unwrap();
    assert_eq!(empty.stores.len(), stores.len());
    assert!(empty
        .stores
        .iter()
        .all(|s| s.polled_at.is_none() && s.rights.is_empty()));
    assert!(empty.brand.is_empty());
    let today = empty.today.clone();
    assert_eq!(empty.since, day_before(&today, 29));
    assert_eq!(desk.reply_rates().await.unwrap()[0].platform_five_min, None);

    // History from earlier polls: three days ago (charted) and 450 days ago (pruned).
    let seed = |day: String, five: f64| PlatformRateDay {
        store: a.clone(),
        day,
        polled_at_ms: 1,
        five_min: Some(five),
        urgent: Some(97.0),
        target_five_min: Some(95.0),
        target_urgent: Some(90.0),
        rights_json: "[]".into(),
        ..PlatformRateDay::default()
    };
    let store = desk.store().clone();
    store
        .record_platform_rates_async(seed(day_before(&today, 450), 90.0), "0000".into())
        .await
        .unwrap();
    store
        .record_platform_rates_async(seed(day_before(&today, 3), 97.0), "0000".into())
        .await
        .unwrap();

    // Our own figure today: a's customer answered at once.
    let p = sb
        .customer_says(CustomerMessage::text(a.clone(), ChatKind::PreOrder, "在吗"))
        .unwrap();
    let conv = format!("{a}|1|{}", p.open_user_id.unwrap());
    eventually(10, "the conversation stored", || async {
        desk.detail(&conv).await.is_ok()
    })
    .await;
    desk.send_text(&conv, "在的").await.unwrap();
    eventually(10, "the reply recorded", || async {
        desk.reply_rates()
            .await
            .unwrap()
            .iter()
            .any(|r| r.store.as_deref() == Some(a.as_str()) && r.five_min.counted == 1)
    })
    .await;

    let page = desk.refresh_platform_rates().await.unwrap();
    let of = |id: &str| page.stores.iter().find(|s| s.epoi_id == id).unwrap();
    let (sa, sb_, sc) = (of(&a), of(&b), of(&c));
    assert_eq!((sa.five_min, sa.urgent), (Some(99.0), Some(98.0)));
    assert_eq!(
        (sa.target_five_min, sa.target_urgent),
        (Some(95.0), Some(90.0))
    );
    assert!(sa.polled_at.is_some());
    assert_eq!(
        sa.local_five_min,
        Some(100.0),
        "our own figure beside theirs"
    );
    assert_eq!(right(sa, 1), RightState::Unlocked, "review contact");
    assert_eq!(right(sa, 6), RightState::Unlocked, "blocking");
    assert_eq!(
        right(sa, 9),
        RightState::Locked,
        "coupons: not returned today"
    );
    assert!(!sa.at_risk);
    assert_eq!(
        sa.rights.iter().find(|r| r.code == 6).unwrap().gate,
        RightGate::Urgent
    );

    assert_eq!(right(sb_, 1), RightState::AtRisk);
    assert_eq!(right(sb_, 6), RightState::Unlocked);
    assert!(sb_.at_risk);
    assert!(sc.rights.iter().all(|r| r.state == RightState::Locked));
    assert!(!sc.at_risk, "nothing left to lose");

    // History: a's day three days ago and today; the day 450 days ago is gone.
    let days: Vec<&str> = sa.history.iter().map(|p| p.day.as_str()).collect();
    assert_eq!(days, vec![day_before(&today, 3).as_str(), today.as_str()]);
    assert_eq!(sa.history[0].five_min, Some(97.0));
    let all = store
        .platform_rate_history_async("0000".into())
        .await
        .unwrap();
    assert!(
        all.iter().all(|d| d.day >= day_before(&today, 400)),
        "pruned past the kept days"
    );
    // The brand: the mean of its stores each day.
    let brand_today = page.brand.iter().find(|p| p.day == today).unwrap();
    let mean = (99.0 + 96.0 + 80.0) / 3.0;
    assert!((brand_today.five_min.unwrap() - mean).abs() < 1e-9);
    assert_eq!(page.brand.first().unwrap().five_min, Some(97.0));

    // A second poll the same day overwrites the day; the rights follow the platform.
    sb.script_reply_rates(&b, Some((90.0, 99.0))).unwrap();
    let again = desk.refresh_platform_rates().await.unwrap();
    let sb2 = again.stores.iter().find(|s| s.epoi_id == b).unwrap();
    assert_eq!(sb2.history.len(), 1);
    assert_eq!(right(sb2, 1), RightState::Locked, "review contact lost");
    assert_eq!(right(sb2, 6), RightState::Unlocked);

    // The status bar: the brand's platform figure is its stores' mean, each store its own.
    let rates = desk.reply_rates().await.unwrap();
    let brand = rates.iter().find(|r| r.store.is_none()).unwrap();
    assert_eq!(
        brand.platform_five_min.as_deref(),
        Some(format!("{:.2}%", (99.0 + 90.0 + 80.0) / 3.0).as_str())
    );
    let ra = rates
        .iter()
        .find(|r| r.store.as_deref() == Some(a.as_str()))
        .unwrap();
    assert_eq!(ra.platform_five_min.as_deref(), Some("99.00%"));
    assert_eq!(ra.target_urgent.as_deref(), Some("90.00%"));
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_poll_records_every_store() {
    let sb = sandbox(Faults::default()).await;
    let stores = sb.stores();
    sb.script_reply_rates(&stores[0].epoi_id, Some((95.5, 91.0)))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = DeskOptions {
        platform_rates_interval: Duration::from_millis(200),
        ..DeskOptions::fast()
    };
    let desk = desk_with(
        &sb,
        &db_path(&dir),
        Arc::new(RecordingSink::default()),
        opts,
    )
    .await;
    eventually(15, "every store polled", || async {
        desk.platform_rates_page()
            .await
            .unwrap()
            .stores
            .iter()
            .all(|s| s.polled_at.is_some())
    })
    .await;
    let page = desk.platform_rates_page().await.unwrap();
    let first = &page
        .stores
        .iter()
        .find(|s| s.epoi_id == stores[0].epoi_id)
        .unwrap();
    assert_eq!(first.five_min, Some(95.5));
    assert!(first.at_risk, "half a point above target");
    desk.shutdown().await;
}
