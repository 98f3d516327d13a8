//! Issue 6 flows in the real window against the sandbox: a customer message arrives with its
//! countdown, the agent answers with a quick reply and the sandbox customer receives it, the
//! read receipt appears, an urgent complaint jumps ahead, search opens an old message in
//! context, and a send after the 48-hour window is refused with the reason shown.
#![cfg(target_os = "linux")]

use std::time::Duration;

use imdesk_tests::sandbox_app::{launch_against, now_ms, quiet_sandbox, until};
use imdesk_tests::window::{run, AppWindow};
use meituan_sandbox::{ChatKind, CustomerMessage};
use serde_json::Value;

/// The inbox rows as the agent sees them, top first.
async fn rows(w: &AppWindow) -> anyhow::Result<Vec<Value>> {
    let v = w
        .eval(
            "return [...document.querySelectorAll('[data-testid=inbox-row]')]\
               .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)\
               .map(r => ({ id: r.dataset.conversationId, urgent: r.dataset.urgent,\
                            text: r.innerText }));",
        )
        .await?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

async fn wait_rows(
    w: &AppWindow,
    what: &str,
    ok: impl Fn(&[Value]) -> bool,
) -> anyhow::Result<Vec<Value>> {
    for _ in 0..150 {
        let current = rows(w).await?;
        if ok(&current) {
            return Ok(current);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("inbox never showed {what}; rows: {:#?}", rows(w).await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_flows_in_the_real_window() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(3).await?;
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("workstation_flows", launch, move |w| async move {
        let stores = sb.stores();
        let (a, b, c) = (&stores[0], &stores[1], &stores[2]);
        until("a push connection", Duration::from_secs(20), || sb.open_connections() > 0).await?;

        // 1. A customer message arrives and rises to the top with its 5-minute countdown.
        let asked = sb.customer_says(CustomerMessage::text(
            a.epoi_id.clone(),
            ChatKind::InProgress,
            "请问我的外卖还要多久送到？",
        ))?;
        let user = asked.open_user_id.expect("two-party chat has a customer");
        let conv_a = format!("{}|1|{}", a.epoi_id, user);
        let top = wait_rows(&w, "the new conversation on top", |r| {
            r.first().is_some_and(|row| row["id"] == conv_a.as_str())
        })
        .await?;
        assert!(top[0]["text"].as_str().unwrap_or("").contains(&a.name), "{top:#?}");
        let countdown = w.wait_text("row-countdown", |t| t.contains(':')).await?;
        assert!(countdown.starts_with('4') || countdown.starts_with("5:"), "countdown {countdown}");
        w.document("workstation-inbox").await?;

        // 2. The agent answers with a quick reply (`/` trigger, {门店} filled in), Enter sends,
        //    and the sandbox customer receives exactly that text.
        w.open_conversation(&conv_a).await?;
        w.wait_text("chat-pane", |t| t.contains("还要多久")).await?;
        w.click("composer-input").await?;
        w.type_into("composer-input", "/问候").await?;
        w.find("quick-reply-picker").await?;
        w.click("quick-reply-item").await?;
        let filled: String = w
            .eval("return document.querySelector('[data-testid=composer-input]').value;")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(filled.contains(&a.name), "quick reply filled {{门店}}: {filled}");
        w.type_into("composer-input", "\u{E007}").await?; // Enter
        until("the customer to receive the reply", Duration::from_secs(15), || {
            sb.merchant_messages(&a.epoi_id)
                .map(|m| m.iter().any(|m| m.text.contains(&a.name) && m.text.contains("欢迎")))
                .unwrap_or(false)
        })
        .await?;
        w.wait_text("send-state", |t| t.contains("已发送")).await?;

        // 3. The customer reads it; the read receipt appears.
        sb.customer_reads(&a.epoi_id, user)?;
        w.wait_text("message-read", |t| t.contains("已读")).await?;
        w.document("workstation-chat").await?;

        // 4. A normal question at B, then an urgent complaint at C: the complaint jumps ahead.
        sb.customer_says(CustomerMessage::text(b.epoi_id.clone(), ChatKind::PreOrder, "能开发票吗？"))?;
        let complaint = sb.customer_says(
            CustomerMessage::text(c.epoi_id.clone(), ChatKind::Completed, "菜里有异物，我要投诉")
                .scene(9003),
        )?;
        let conv_c = format!("{}|1|{}", c.epoi_id, complaint.open_user_id.unwrap_or_default());
        let ordered = wait_rows(&w, "the urgent complaint first", |r| {
            r.len() >= 2 && r[0]["id"] == conv_c.as_str() && r[0]["urgent"] == "true"
        })
        .await?;
        assert!(ordered.iter().any(|r| r["text"].as_str().unwrap_or("").contains("发票")));

        // 5. Search finds the first question and opens it in its conversation.
        w.click("search-input").await?;
        w.type_into("search-input", "多久\u{E007}").await?;
        // textContent: WebKit's WebDriver text of a button holds only its first line.
        let mut hits = Vec::new();
        for _ in 0..150 {
            let v = w
                .eval("return [...document.querySelectorAll('[data-testid=search-hit]')].map(e => e.textContent);")
                .await?;
            hits = v.as_array().cloned().unwrap_or_default();
            if hits.iter().any(|h| h.as_str().unwrap_or("").contains("还要多久")) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(hits.len(), 1, "exactly the one message with 多久: {hits:#?}");
        assert!(hits[0].as_str().unwrap_or("").contains(&a.name), "{hits:#?}");
        w.click("search-hit").await?;
        w.wait_text("chat-pane", |t| t.contains("请问我的外卖还要多久送到")).await?;

        // Escape closes the search and brings the inbox back.
        w.type_into("search-input", "\u{E00C}").await?;

        // 6. An order completed 49 hours ago: the composer is disabled and says why.
        let late = sb.customer_says(CustomerMessage::text(
            b.epoi_id.clone(),
            ChatKind::Completed,
            "上次的订单有问题",
        ))?;
        let order = late.order_id.expect("after-sale chat refers to an order");
        sb.complete_order(&b.epoi_id, order, now_ms() - 49 * 3_600_000)?;
        let conv_late = format!("{}|1|{}", b.epoi_id, late.open_user_id.unwrap_or_default());
        wait_rows(&w, "the late conversation", |r| r.iter().any(|x| x["id"] == conv_late.as_str()))
            .await?;
        w.open_conversation(&conv_late).await?;
        let reason = w.wait_text("composer-block-reason", |t| t.contains("48")).await?;
        assert!(reason.contains("售后"), "reason shown in Chinese: {reason}");
        Ok(())
    })
    .await
}

/// Issue 7: an urgent complaint's 1-minute clock turns the row's countdown to overdue at the
/// breach, driven by the core's clock (the row's `data-overdue` and its text both change).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urgent_countdown_turns_overdue_at_breach() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(1).await?;
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("countdown_overdue", launch, move |w| async move {
        let store = sb.stores()[0].epoi_id.clone();
        until("a push connection", Duration::from_secs(20), || {
            sb.open_connections() > 0
        })
        .await?;
        sb.customer_says(
            CustomerMessage::text(store, ChatKind::Completed, "少送了一份饮料，投诉！").scene(9003),
        )?;
        let before = w
            .wait_text("row-countdown", |t| t.starts_with("0:"))
            .await?;
        assert!(
            !before.contains("超时"),
            "still within the minute: {before}"
        );
        let overdue = "return document.querySelector('[data-testid=inbox-row]')?.dataset.overdue;";
        assert_eq!(w.eval(overdue).await?, "false");
        // The deadline is 60 s after the message; allow the breach plus a little.
        let deadline = std::time::Instant::now() + Duration::from_secs(80);
        loop {
            if w.eval(overdue).await? == "true" {
                break;
            }
            anyhow::ensure!(std::time::Instant::now() < deadline, "never turned overdue");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let after = w.text("row-countdown").await?;
        assert!(after.contains("超时"), "countdown says overdue: {after}");
        w.document("countdown-overdue").await?;
        Ok(())
    })
    .await
}
