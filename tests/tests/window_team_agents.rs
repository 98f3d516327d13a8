//! Real-window test of team mode II: the demo as a team (`IMDESK_DEMO_TEAM`, the window's
//! agent a supervisor) beside a second agent's desk in this process (小李, on the same
//! `nats-server`). In the window: claim a conversation from the queue (认领), see the owner
//! on the row and in the header, hand it to 小李 (转交), see 小李 typing in it, and open the
//! supervisor's wall with its agents, queue and chart, and switch the brand to balanced
//! assignment. Screenshots for the README (`IMDESK_UPDATE_SCREENSHOTS=1`).
#![cfg(target_os = "linux")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure};
use imdesk_core::team::TeamConfig;
use imdesk_core::view::{InboxFilter, InboxQuery};
use imdesk_core::{Desk, DeskConfig, DeskOptions, NullSink};
use imdesk_tests::window::{run, AppWindow, Launch};

const ME: &str = "主管小王";
const COLLEAGUE: &str = "小李";

async fn until<F, Fut>(what: &str, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if check().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("timed out waiting for {what}")
}

/// The `data-owner` of the chat header now.
async fn owner_in_header(w: &AppWindow) -> anyhow::Result<String> {
    Ok(w.find("chat-owner")
        .await?
        .attr("data-owner")
        .await?
        .unwrap_or_default())
}

/// Chooses `value` in the `<select>` with this test id, as a person would.
async fn choose(w: &AppWindow, testid: &str, value: &str) -> anyhow::Result<()> {
    w.find(testid).await?;
    w.eval(&format!(
        "const s = document.querySelector('[data-testid={testid}]');\
         s.value = {value:?}; s.dispatchEvent(new Event('change', {{ bubbles: true }}));"
    ))
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_transfer_typing_and_the_supervisors_wall() -> anyhow::Result<()> {
    let nats = nats_harness::NatsServer::start()?;
    let dir = tempfile::tempdir()?;
    let launch = Launch::default()
        .env("IMDESK_DEMO_TEAM", nats.url())
        .env("IMDESK_AGENT", ME);
    let url = nats.url().to_owned();
    run("team_agents", launch, move |w| async move {
        // The window's demo relay makes the stream; 小李's desk mirrors it like the window.
        w.wait_text("team-status", |t| t.contains("中继 1 在线"))
            .await?;
        let li = Arc::new(
            Desk::start_with(
                DeskConfig {
                    db_path: dir.path().join("li.sqlite3"),
                    team: Some(TeamConfig::new(url, COLLEAGUE)),
                    ..DeskConfig::default()
                },
                DeskOptions::default(),
                Arc::new(NullSink),
            )
            .await?,
        );
        let li_desk = li.clone();
        let result = async move {
            li.team_loaded(Duration::from_secs(20)).await?;
            // A waiting conversation both desks have.
            let deadline = Instant::now() + Duration::from_secs(30);
            let conv = loop {
                let page = li
                    .inbox(InboxQuery {
                        store: None,
                        filter: InboxFilter::All,
                        offset: 0,
                        limit: 20,
                    })
                    .await?;
                if let Some(r) = page
                    .rows
                    .iter()
                    .find(|r| r.deadline_at.is_some() && r.owner.is_none())
                {
                    break r.id.clone();
                }
                if Instant::now() > deadline {
                    bail!("no waiting conversation on 小李's desk");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            };

            // 认领 in the window.
            w.open_conversation(&conv).await?;
            w.wait_text("chat-owner", |t| t.contains("待认领")).await?;
            w.click("claim-button").await?;
            w.wait_text("chat-owner", |t| t.contains("由我接待"))
                .await?;
            ensure!(owner_in_header(&w).await? == ME);
            until("the owner badge on the row", || async {
                let badges = w.find_all("owner-badge").await.unwrap_or_default();
                for b in badges {
                    if b.text().await.unwrap_or_default() == ME {
                        return true;
                    }
                }
                false
            })
            .await?;
            until("小李's desk sees the claim", || async {
                li.detail(&conv)
                    .await
                    .ok()
                    .and_then(|d| d.team)
                    .is_some_and(|t| t.owner.as_deref() == Some(ME) && !t.can_reply)
            })
            .await?;
            w.document("team-claimed").await?;

            // 转交 to 小李.
            w.click("transfer-button").await?;
            choose(&w, "transfer-target", COLLEAGUE).await?;
            w.click("transfer-confirm").await?;
            until("the header names 小李", || async {
                owner_in_header(&w).await.is_ok_and(|o| o == COLLEAGUE)
            })
            .await?;
            until("小李 owns it on 小李's desk", || async {
                li.detail(&conv)
                    .await
                    .ok()
                    .and_then(|d| d.team)
                    .is_some_and(|t| t.mine)
            })
            .await?;
            // The supervisor may still answer, and is told it will be marked.
            w.wait_text("composer-supervisor", |t| t.contains("以主管身份"))
                .await?;

            // 小李 opens it and types: the window shows it.
            li.set_viewing(Some(&conv))?;
            li.set_typing(Some(&conv))?;
            w.wait_text("chat-typing", |t| {
                t.contains(COLLEAGUE) && t.contains("正在输入")
            })
            .await?;
            w.document("team-typing").await?;

            // The supervisor's wall.
            w.click("wall-button").await?;
            w.find("supervisor-wall").await?;
            until("小李 on the wall", || async {
                let rows = w.find_all("wall-agent").await.unwrap_or_default();
                for r in rows {
                    if r.attr("data-agent").await.ok().flatten().as_deref() == Some(COLLEAGUE) {
                        return true;
                    }
                }
                false
            })
            .await?;
            let points = w
                .find("wall-chart-waiting")
                .await?
                .attr("data-points")
                .await?
                .unwrap_or_default();
            ensure!(
                points.parse::<u32>().unwrap_or(0) >= 1,
                "chart points: {points}"
            );
            ensure!(
                !w.find_all("wall-queue-item").await?.is_empty(),
                "an empty queue"
            );
            choose(&w, "wall-mode", "balanced").await?;
            w.click("wall-save").await?;
            w.find("wall-saved").await?;
            until("the brand is balanced on 小李's desk too", || async {
                li.assignment()
                    .is_ok_and(|a| a.mode == imdesk_core::view::AssignmentMode::Balanced)
            })
            .await?;
            w.document("team-wall").await?;
            Ok::<_, anyhow::Error>(())
        }
        .await;
        li_desk.shutdown().await;
        result
    })
    .await
}
