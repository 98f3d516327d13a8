//! Real-window test of 设置 → 连接诊断 in demo mode: the report comes from the core's doctor
//! (the in-process sandbox answers every store's token check), and one click writes the
//! diagnostic bundle into the data directory.
#![cfg(target_os = "linux")]

use anyhow::ensure;
use imdesk_tests::window::{run, Launch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_doctor_shows_the_report_and_makes_a_bundle() -> anyhow::Result<()> {
    run("settings_doctor", Launch::default(), |w| async move {
        w.wait_text("demo-badge", |t| !t.trim().is_empty()).await?;
        w.click("settings-button").await?;
        let section = w.wait_text("doctor", |t| t.contains("连接诊断")).await?;
        ensure!(section.contains("开始诊断"), "doctor section: {section}");

        w.click("doctor-run").await?;
        let summary = w
            .wait_text("doctor-stores-summary", |t| t.contains("门店令牌可用"))
            .await?;
        let stores = w.find_all("doctor-store").await?;
        ensure!(!stores.is_empty(), "no store checked");
        for store in &stores {
            let ok = store.attr("data-ok").await?;
            ensure!(
                ok.as_deref() == Some("true"),
                "demo store failed: {}",
                store.text().await?
            );
        }
        ensure!(
            summary.contains(&format!("{n}/{n}", n = stores.len())),
            "summary: {summary}"
        );
        let report = w.text("doctor-report").await?;
        for part in ["推送连接", "时钟偏差", "平台错误回复", "无法识别的推送帧"]
        {
            ensure!(
                report.contains(part),
                "{part} missing from the report: {report}"
            );
        }
        ensure!(
            !w.find_all("doctor-socket").await?.is_empty(),
            "no socket listed"
        );
        w.eval("document.querySelector('[data-testid=doctor]').scrollIntoView()")
            .await?;
        w.document("settings-doctor").await?;

        w.click("doctor-bundle").await?;
        let saved = w
            .wait_text("doctor-bundle-path", |t| t.contains(".zip"))
            .await?;
        let dir = w.data_dir().join("diagnostics");
        let zips: Vec<_> = std::fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "zip"))
            .collect();
        ensure!(zips.len() == 1, "bundles in {}: {zips:?}", dir.display());
        let bytes = std::fs::read(&zips[0])?;
        ensure!(bytes.starts_with(b"PK"), "not a zip: {}", zips[0].display());
        let name = zips[0]
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        ensure!(
            name.is_some_and(|n| saved.contains(&n)),
            "the page names the bundle: {saved}"
        );
        Ok(())
    })
    .await
}
