//! Real-window test of the demo as a team (`IMDESK_DEMO_TEAM`): with a nats-server running,
//! the demo starts the sandbox, an in-process relay and the window as a desk of that team; the
//! status bar shows the team line and the inbox fills from the stream. Without the variable the
//! demo stays solo (every other window test).
#![cfg(target_os = "linux")]

use anyhow::ensure;
use imdesk_tests::window::{run, Launch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_as_a_team_desk_beside_an_in_process_relay() -> anyhow::Result<()> {
    let nats = nats_harness::NatsServer::start()?;
    let launch = Launch::default()
        .env("IMDESK_DEMO_TEAM", nats.url())
        .env("IMDESK_AGENT", "小王");
    run("demo_team", launch, |w| async move {
        w.wait_text("demo-badge", |t| !t.trim().is_empty()).await?;
        let line = w
            .wait_text("team-status", |t| t.contains("中继 1 在线"))
            .await?;
        ensure!(line.starts_with("团队"), "team line: {line}");
        ensure!(
            w.find_all("connection-state").await?.is_empty(),
            "a team desk also shows the solo connection text"
        );
        let _ = w.wait_text("inbox-row", |t| !t.trim().is_empty()).await?;
        w.click("settings-button").await?;
        w.wait_text("team-running", |t| t.contains("127.0.0.1"))
            .await?;
        Ok(())
    })
    .await
}
