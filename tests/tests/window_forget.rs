//! Real-window test of 忘记此顾客 (issue 25, item 5): the agent forgets a customer from the
//! chat's customer card, confirms, and the customer's messages are gone from the desk: the
//! history, the full-text search and the inbox no longer have them, while another customer's
//! conversation stays.
#![cfg(target_os = "linux")]

use std::time::Duration;

use anyhow::ensure;
use imdesk_tests::sandbox_app::{launch_against, quiet_sandbox, until};
use imdesk_tests::window::run;
use meituan_sandbox::{ChatKind, CustomerMessage};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_a_customer_in_the_window_removes_their_messages() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(1).await?;
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("forget", launch, move |w| async move {
        let store = sb.stores()[0].epoi_id.clone();
        until("a push connection", Duration::from_secs(20), || {
            sb.open_connections() > 0
        })
        .await?;
        let customers = sb.customers(&store)?;
        ensure!(customers.len() >= 2, "the sandbox store has two customers");
        let gone = sb.customer_says(
            CustomerMessage::text(
                store.clone(),
                ChatKind::InProgress,
                "请忘记我：门牌号八四七二",
            )
            .from_customer(customers[0]),
        )?;
        let kept = sb.customer_says(
            CustomerMessage::text(
                store.clone(),
                ChatKind::InProgress,
                "我还在：门牌号一二三四",
            )
            .from_customer(customers[1]),
        )?;
        let gone_id = format!("{store}|1|{}", gone.open_user_id.unwrap_or_default());
        let kept_id = format!("{store}|1|{}", kept.open_user_id.unwrap_or_default());
        ensure!(gone_id != kept_id, "two customers");
        w.open_conversation(&gone_id).await?;
        w.wait_text("chat-pane", |t| t.contains("八四七二")).await?;
        let search = |text: &str| {
            json!({ "query": { "text": text, "store": null, "since": null, "until": null,
                               "kind": null, "limit": 20 } })
        };
        let hits = w.invoke("search_messages", search("门牌")).await?;
        ensure!(
            hits.as_array().map_or(0, Vec::len) == 2,
            "both found first: {hits}"
        );

        w.click("forget-button").await?;
        w.wait_text("forget-confirm-text", |t| !t.trim().is_empty())
            .await?;
        w.click("forget-confirm").await?;

        // Gone from search, history and the inbox; the other customer stays.
        let mut left = serde_json::Value::Null;
        for _ in 0..100 {
            left = w.invoke("search_messages", search("门牌")).await?;
            if left.as_array().map_or(0, Vec::len) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let texts = left.to_string();
        ensure!(
            !texts.contains("八四七二") && texts.contains("一二三四"),
            "search after forgetting: {texts}"
        );
        let history = w
            .invoke(
                "conversation_history",
                json!({ "conversationId": gone_id, "before": null, "limit": 50 }),
            )
            .await;
        ensure!(
            history
                .as_ref()
                .map_or(true, |h| !h.to_string().contains("八四七二")),
            "history after forgetting: {history:?}"
        );
        let kept_history = w
            .invoke(
                "conversation_history",
                json!({ "conversationId": kept_id, "before": null, "limit": 50 }),
            )
            .await?;
        ensure!(
            kept_history.to_string().contains("一二三四"),
            "the other customer stays"
        );
        Ok(())
    })
    .await
}
