//! The rates page (平台回复率与权益) in the real window against the sandbox, whose rates are
//! scripted per store: the platform's figures polled at start beside ours, the targets, the
//! rights with their state, the store at risk marked and first, 30-day charts per store and
//! for the brand (29 earlier days seeded into the database before the app opens it), the
//! status bar's platform figure from the real data, and a refresh that shows a right lost.
#![cfg(target_os = "linux")]

use std::time::Duration;

use anyhow::{ensure, Context};
use imdesk_store::{PlatformRateDay, Store, StoreOptions};
use imdesk_tests::sandbox_app::{launch_against, now_ms, quiet_sandbox, until};
use imdesk_tests::window::run;

/// The desk's local day (UTC+8, its default offset) `back` days before today.
fn local_day(back: i64) -> anyhow::Result<String> {
    Ok(
        chrono::DateTime::from_timestamp_millis(now_ms() + 8 * 3_600_000 - back * 86_400_000)
            .context("a time")?
            .format("%Y-%m-%d")
            .to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rates_page_shows_rates_rights_risk_and_charts() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(3).await?;
    let stores = sandbox.stores();
    let (a, b, c) = (stores[0].clone(), stores[1].clone(), stores[2].clone());
    sandbox.script_reply_rates(&a.epoi_id, Some((99.0, 98.0)))?;
    sandbox.script_reply_rates(&b.epoi_id, Some((96.0, 97.0)))?;
    sandbox.script_reply_rates(&c.epoi_id, Some((88.0, 60.0)))?;

    // 29 earlier days of history, as a month of scheduled polls would have left them.
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("imdesk.db");
    {
        let store = Store::open(&db, StoreOptions::default())?;
        for (i, s) in stores.iter().enumerate() {
            for back in 1..30 {
                let wave = ((back + i as i64 * 5) as f64 / 4.0).sin();
                let five = [98.6, 96.8, 90.0][i] + wave;
                store.record_platform_rates(
                    PlatformRateDay {
                        store: s.epoi_id.clone(),
                        day: local_day(back)?,
                        polled_at_ms: now_ms() - back * 86_400_000,
                        five_min: Some(five),
                        urgent: Some([97.0, 96.0, 70.0][i] + 2.0 * wave),
                        target_five_min: Some(95.0),
                        target_urgent: Some(90.0),
                        local_five_min: Some((five + 0.7).min(100.0)),
                        rights_json: "[]".into(),
                        ..PlatformRateDay::default()
                    },
                    "0000".into(),
                )?;
            }
        }
    }
    let launch = launch_against(&sandbox)?.env("IMDESK_DB", db.display().to_string());
    let sb = sandbox.clone();
    run("rates", launch, move |w| async move {
        until("a push connection", Duration::from_secs(20), || {
            sb.open_connections() > 0
        })
        .await?;
        // The status bar's platform figure: the mean of the three stores polled at start.
        w.click("reply-rates").await?;
        let mean = format!("{:.2}%", (99.0 + 96.0 + 88.0) / 3.0);
        let mut popover = String::new();
        for _ in 0..40 {
            popover = w.text("reply-rates-popover").await?;
            if popover.contains(&mean) {
                break;
            }
            // The bar refreshes its figures on its own schedule; reopening asks again.
            w.click("reply-rates").await?;
            tokio::time::sleep(Duration::from_millis(250)).await;
            w.click("reply-rates").await?;
        }
        ensure!(popover.contains(&mean), "the brand's platform figure {mean}: {popover}");
        w.click("open-rates-page").await?;

        let page = w
            .wait_text("rates-page", |t| t.contains("评价联系") && t.contains("99%"))
            .await?;
        ensure!(page.contains("1 个门店的权益有失去风险"), "risk banner: {page}");
        let cards = w.find_all("rates-store").await?;
        ensure!(cards.len() == 3, "three stores");
        ensure!(
            cards[0].attr("data-store-id").await?.as_deref() == Some(b.epoi_id.as_str())
                && cards[0].attr("data-at-risk").await?.as_deref() == Some("true"),
            "the store at risk first"
        );
        let first = cards[0].text().await?;
        ensure!(first.contains("权益有风险") && first.contains("96%"), "b: {first}");
        let right = |store: &str, code: i32| {
            format!(
                "return document.querySelector('[data-testid=rates-store][data-store-id=\"{store}\"] \
                 [data-testid=rates-right][data-code=\"{code}\"]')?.dataset.state ?? null;"
            )
        };
        ensure!(w.eval(&right(&b.epoi_id, 1)).await? == "atRisk", "b's review contact at risk");
        ensure!(w.eval(&right(&a.epoi_id, 1)).await? == "unlocked", "a's review contact");
        ensure!(w.eval(&right(&a.epoi_id, 6)).await? == "unlocked", "a's blocking");
        ensure!(w.eval(&right(&c.epoi_id, 1)).await? == "locked", "c has no review contact");
        ensure!(w.eval(&right(&a.epoi_id, 9)).await? == "locked", "no coupons");

        // Charts: the brand and each store over 30 days (29 seeded, today polled).
        let points: Vec<String> = {
            let mut out = Vec::new();
            for chart in w.find_all("rates-chart").await? {
                out.push(chart.attr("data-points").await?.unwrap_or_default());
            }
            out
        };
        ensure!(points == vec!["30"; 4], "chart points: {points:?}");
        let line = w
            .eval("return document.querySelector('[data-testid=rates-store] [data-testid=rates-chart-five]').getAttribute('points').split(' ').length;")
            .await?;
        ensure!(line == 30, "30 points on b's line: {line}");
        w.document("rates-page").await?;

        // b slips below its target on the platform: a refresh shows the right lost.
        sb.script_reply_rates(&b.epoi_id, Some((93.0, 97.0)))?;
        w.click("rates-refresh").await?;
        w.eventually_js("b's review contact lost", &format!("return ({}) === 'locked';", right(&b.epoi_id, 1).trim_start_matches("return ").trim_end_matches(';')))
            .await?;
        w.click("rates-close").await?;
        ensure!(w.find_all("rates-page").await?.is_empty(), "page closed");
        Ok(())
    })
    .await
}
