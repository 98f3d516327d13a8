//! Review contact (评价联系) in the real window against the sandbox: a store's reviews listed
//! from the comment list with its right unlocked, a contact started on one (the platform's
//! group created, the conversation in the inbox and open, the customer's answer arriving in
//! it and the agent's reply reaching the platform as a review-contact message), and a store
//! whose reply rate has cost it the right refused with the reason, nothing created.
#![cfg(target_os = "linux")]

use std::time::Duration;

use anyhow::{ensure, Context};
use imdesk_tests::sandbox_app::{launch_against, quiet_sandbox, until};
use imdesk_tests::window::{run, AppWindow};
use meituan_sandbox::{ChatKind, CustomerMessage};

/// Opens the review-contact page of `epoi_id` from its store page.
async fn open_reviews(w: &AppWindow, epoi_id: &str) -> anyhow::Result<()> {
    w.click_css(&format!(
        "[data-testid=store-settings][data-store-id=\"{epoi_id}\"]"
    ))
    .await?;
    w.click("store-reviews").await?;
    w.find("reviews-list").await?;
    Ok(())
}

/// A script returning how many review-contact rows of `epoi_id` the inbox lists.
fn review_rows_of(epoi_id: &str) -> String {
    format!(
        "return document.querySelectorAll('[data-testid=inbox-row][data-conversation-id^=\"{epoi_id}|4|\"]').length"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_contact_is_started_from_the_reviews_page() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(2).await?;
    let stores = sandbox.stores();
    // b's 5-minute reply rate is below target: no review-contact right.
    sandbox.script_reply_rates(&stores[1].epoi_id, Some((80.0, 99.0)))?;
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("review_contact", launch, move |w| async move {
        let (a, b) = (&stores[0], &stores[1]);
        until("a push connection", Duration::from_secs(20), || {
            sb.open_connections() > 0
        })
        .await?;

        // a's reviews, its right unlocked; no review contact in the inbox yet.
        open_reviews(&w, &a.epoi_id).await?;
        w.wait_text("reviews-right", |t| t.contains("已解锁"))
            .await?;
        let comments = sb.comment_ids(&a.epoi_id)?;
        let listed = w.find_all("review").await?;
        ensure!(
            listed.len() == comments.len(),
            "{} reviews listed, the platform has {}",
            listed.len(),
            comments.len()
        );
        let comment: i64 = listed[0]
            .attr("data-comment-id")
            .await?
            .context("a review's id")?
            .parse()?;
        ensure!(comments.contains(&comment), "a review of a");
        ensure!(
            w.eval(&review_rows_of(&a.epoi_id)).await? == 0,
            "no review contact yet"
        );

        // Started: the notice, the conversation in the inbox and open in the chat pane.
        w.click_css(&format!(
            "[data-testid=review][data-comment-id=\"{comment}\"] [data-testid=review-contact]"
        ))
        .await?;
        w.wait_text("reviews-notice", |t| t.contains("已发起评价联系"))
            .await?;
        w.eventually_js(
            "the contact in the inbox",
            &format!("{} === 1;", review_rows_of(&a.epoi_id)),
        )
        .await?;
        w.find("review-open-chat").await?;
        w.document("review-contact-started").await?;
        w.click("reviews-close").await?;
        w.wait_text("chat-pane", |t| t.contains(&format!("评价联系 #{comment}")))
            .await?;
        let conv: String = w
            .eval(
                "return document.querySelector('[data-testid=chat-pane]').dataset.conversationId;",
            )
            .await?
            .as_str()
            .context("the open conversation")?
            .to_owned();
        let group: i64 = conv
            .strip_prefix(&format!("{}|4|", a.epoi_id))
            .context("a review-contact conversation of a")?
            .parse()?;

        // The customer answers in the group: it arrives in that conversation.
        let mut answer = CustomerMessage::text(a.epoi_id.clone(), ChatKind::Review, "送到时汤洒了");
        answer.group_id = Some(group);
        sb.customer_says(answer)?;
        w.wait_text("chat-pane", |t| t.contains("送到时汤洒了"))
            .await?;

        // The agent replies: the platform receives a review-contact message in the group.
        w.type_into("composer-input", "非常抱歉，我们为您补偿一份")
            .await?;
        w.type_into("composer-input", "\u{E007}").await?; // Enter
        until("the reply on the platform", Duration::from_secs(20), || {
            sb.merchant_messages(&a.epoi_id).is_ok_and(|m| {
                m.iter().any(|m| {
                    m.biz_type == 4 && m.group_id == Some(group) && m.text.contains("补偿一份")
                })
            })
        })
        .await?;

        // b has lost the right: the page says so, and starting is refused with the reason.
        open_reviews(&w, &b.epoi_id).await?;
        w.wait_text("reviews-right", |t| t.contains("尚未解锁"))
            .await?;
        w.click_css("[data-testid=review] [data-testid=review-contact]")
            .await?;
        w.wait_text("reviews-error", |t| {
            t.contains(&b.name) && t.contains("尚未解锁")
        })
        .await?;
        w.click("reviews-close").await?;
        ensure!(
            w.eval(&review_rows_of(&b.epoi_id)).await? == 0,
            "nothing created for b"
        );
        Ok(())
    })
    .await
}
