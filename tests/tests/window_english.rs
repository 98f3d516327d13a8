//! The core sends codes and the UI words them (issue 20, item 7): in demo mode, switched to
//! English, the window shows no Chinese except what customers wrote and the stores' own names
//! and goods, which the UI marks `data-verbatim` (and the language switch's 中文, which declares
//! its `lang`): the inbox, a chat with its order card, a review-contact chat with its review and
//! a rider group.
#![cfg(target_os = "linux")]

use std::time::Duration;

use anyhow::{bail, ensure};
use fantoccini::Locator;
use imdesk_tests::window::{run, AppWindow, Launch};
use serde_json::{json, Value};

/// Rendered text nodes and placeholders with Han characters outside `[data-verbatim]` and
/// elements that declare another language, each with the element it sits in.
const CHINESE_OUTSIDE_DATA: &str = r"
    const han = /\p{Script=Han}/u;
    const shown = (el) => el.getClientRects().length > 0 && !el.closest('[data-verbatim], body [lang]');
    const where = (el) => `${el.tagName.toLowerCase()}.${el.className} in ${el.closest('[data-testid]')?.dataset.testid}`;
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (el && han.test(n.data) && shown(el)) found.push(`${where(el)}: ${n.data.trim()}`);
    }
    for (const el of document.querySelectorAll('[placeholder]')) {
      if (han.test(el.placeholder) && shown(el)) found.push(`${where(el)} placeholder: ${el.placeholder}`);
    }
    return found;";

async fn chinese_outside_data(w: &AppWindow) -> anyhow::Result<Vec<Value>> {
    Ok(w.eval(CHINESE_OUTSIDE_DATA)
        .await?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

async fn assert_english(w: &AppWindow, place: &str) -> anyhow::Result<()> {
    let found = chinese_outside_data(w).await?;
    ensure!(
        found.is_empty(),
        "Chinese outside customer and store text ({place}): {found:#?}"
    );
    Ok(())
}

/// Shows the inbox under `filter` and opens its first conversation (as the core lists it).
async fn open_first(w: &AppWindow, filter: &str) -> anyhow::Result<()> {
    let query = json!({ "query": { "store": null, "filter": filter, "offset": 0, "limit": 1 } });
    let mut id = None;
    for _ in 0..150 {
        let page = w.invoke("inbox_page", query.clone()).await?;
        id = page["rows"][0]["id"].as_str().map(str::to_owned);
        if id.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(id) = id else {
        bail!("the demo has no {filter} conversation");
    };
    let chip = format!("[data-testid=filter-chip][data-filter={filter}]");
    w.client().find(Locator::Css(&chip)).await?.click().await?;
    w.open_conversation(&id).await?;
    let pane = format!(
        "[data-testid=chat-pane][data-conversation-id=\"{id}\"] [data-testid=chat-message]"
    );
    w.client()
        .wait()
        .at_most(imdesk_tests::window::WAIT)
        .for_element(Locator::Css(&pane))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_window_shows_chinese_only_in_customer_and_store_text() -> anyhow::Result<()> {
    run("english_window", Launch::default(), |w| async move {
        w.find("inbox-row").await?;
        // The check sees the window's words: in Chinese it finds them.
        let zh = chinese_outside_data(&w).await?;
        ensure!(!zh.is_empty(), "the Chinese window shows Chinese");

        w.click("lang-switch").await?;
        w.wait_text("demo-badge", |t| t.to_lowercase().contains("demo"))
            .await?;
        assert_english(&w, "inbox").await?;

        open_first(&w, "inProgress").await?;
        w.find("order-card").await?;
        assert_english(&w, "a chat with its order card").await?;

        open_first(&w, "reviewContact").await?;
        w.find("review-card").await?;
        assert_english(&w, "a review-contact chat").await?;

        open_first(&w, "riderGroup").await?;
        w.find("rider-card").await?;
        assert_english(&w, "a rider group").await?;
        w.screenshot(&imdesk_tests::output_dir("english_window").join("english.png"))
            .await?;
        Ok(())
    })
    .await
}
