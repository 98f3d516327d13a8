//! Store administration in the real window against the sandbox: the IM switch (learned at
//! start and shown on the rail, switched from the store page after a confirmation, the
//! composer closed with the reason and opened again), and a robot edit copied to three
//! stores, with the result of each (a fourth store whose token has expired says why) and a
//! text over the limit refused before anything is sent.
#![cfg(target_os = "linux")]

use std::time::Duration;

use anyhow::{ensure, Context};
use imdesk_tests::sandbox_app::{launch_against, quiet_sandbox, until};
use imdesk_tests::window::{run, AppWindow};
use meituan_sandbox::{ChatKind, CustomerMessage, ROBOT_REPLY_MAX_CHARS};

/// Opens the store page of `epoi_id`, checks the switch reads `now`, and asks to switch it:
/// the confirmation must say `asks` (the caller confirms).
async fn ask_to_switch(w: &AppWindow, epoi_id: &str, now: &str, asks: &str) -> anyhow::Result<()> {
    w.click_css(&format!(
        "[data-testid=store-settings][data-store-id=\"{epoi_id}\"]"
    ))
    .await?;
    w.wait_text("store-im-state", |t| t.contains(now)).await?;
    w.click("store-im-toggle").await?;
    w.wait_text("store-im-confirm-box", |t| t.contains(asks))
        .await?;
    Ok(())
}

fn im_off_on_rail(epoi_id: &str) -> String {
    format!(
        "return !!document.querySelector('[data-testid=store-item][data-store-id=\"{epoi_id}\"] [data-testid=store-im-off]');"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_im_switch_from_the_store_page_closes_and_opens_the_composer() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(2).await?;
    let stores = sandbox.stores();
    // Switched off elsewhere before the app starts: the rail learns it at start.
    sandbox.set_im_status(&stores[1].epoi_id, false)?;
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("store_im_switch", launch, move |w| async move {
        let (a, b) = (&stores[0], &stores[1]);
        until("a push connection", Duration::from_secs(20), || {
            sb.open_connections() > 0
        })
        .await?;
        w.eventually_js(
            "the closed store marked on the rail",
            &im_off_on_rail(&b.epoi_id),
        )
        .await?;
        ensure!(
            w.eval(&im_off_on_rail(&a.epoi_id)).await? == false,
            "store a is open"
        );

        let asked = sb.customer_says(CustomerMessage::text(
            a.epoi_id.clone(),
            ChatKind::InProgress,
            "还要多久到",
        ))?;
        let conv = format!("{}|1|{}", a.epoi_id, asked.open_user_id.unwrap_or_default());
        w.open_conversation(&conv).await?;
        w.wait_text("chat-pane", |t| t.contains("还要多久到"))
            .await?;
        ensure!(
            w.find_all("composer-block-reason").await?.is_empty(),
            "composer open"
        );

        // The store page: the switch as the platform holds it; closing asks first.
        ask_to_switch(&w, &a.epoi_id, "已开启", "确定关闭").await?;
        ensure!(
            sb.im_status(&a.epoi_id)?,
            "nothing switched before the confirmation"
        );
        w.click("store-im-confirm").await?;
        until(
            "the platform to close a's IM",
            Duration::from_secs(15),
            || sb.im_status(&a.epoi_id).is_ok_and(|on| !on),
        )
        .await?;
        w.wait_text("store-im-state", |t| t.contains("已关闭"))
            .await?;
        w.eventually_js("a marked closed on the rail", &im_off_on_rail(&a.epoi_id))
            .await?;
        w.document("store-im-closed").await?;
        w.click("store-page-close").await?;

        // The composer says why before anything is typed.
        w.wait_text("composer-block-reason", |t| t.contains("IM 已关闭"))
            .await?;
        w.eventually_js(
            "a disabled composer",
            "return document.querySelector('[data-testid=composer-input]').disabled;",
        )
        .await?;

        // Opened again (with its confirmation): the composer opens.
        ask_to_switch(&w, &a.epoi_id, "已关闭", "确定开启").await?;
        w.click("store-im-confirm").await?;
        until(
            "the platform to open a's IM",
            Duration::from_secs(15),
            || sb.im_status(&a.epoi_id).unwrap_or(false),
        )
        .await?;
        w.click("store-page-close").await?;
        w.eventually_js(
            "the composer open again",
            "return !document.querySelector('[data-testid=composer-input]').disabled;",
        )
        .await?;
        ensure!(
            w.eval(&im_off_on_rail(&a.epoi_id)).await? == false,
            "a no longer marked"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_robot_edit_is_copied_to_three_stores_with_a_result_each() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(5).await?;
    let stores = sandbox.stores();
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("store_robot_copy", launch, move |w| async move {
        let source = &stores[0];
        let copies = &stores[1..4];
        let expired = &stores[4];
        let untouched = sb.auto_replies(&expired.epoi_id)?;
        w.click_css(&format!(
            "[data-testid=store-settings][data-store-id=\"{}\"]",
            source.epoi_id
        ))
        .await?;
        let text = w.find("robot-text").await?;

        // Over the limit: refused as it is typed, nothing sent.
        text.clear().await?;
        text.send_keys(&"好".repeat(ROBOT_REPLY_MAX_CHARS + 1))
            .await?;
        w.wait_text("robot-problem", |t| {
            t.contains(&format!("超过 {ROBOT_REPLY_MAX_CHARS} 字"))
        })
        .await?;
        ensure!(
            !w.find("robot-save").await?.is_enabled().await?,
            "save disabled"
        );

        // The edit: the invite-review text, and scene 9 switched.
        let new_text = "吃得满意的话，给我们一个五星好评吧";
        text.clear().await?;
        text.send_keys(new_text).await?;
        w.eventually_js(
            "no problem left",
            "return document.querySelectorAll('[data-testid=robot-problem]').length === 0;",
        )
        .await?;
        let nine_was = sb
            .auto_replies(&source.epoi_id)?
            .iter()
            .any(|s| s.scene == 9 && s.on);
        w.click_css("[data-testid=robot-switch][data-scene=\"9\"]")
            .await?;

        // Copied to three stores, and to a fourth whose token has expired.
        sb.expire_store_tokens(&expired.epoi_id)?;
        w.click_css("[data-testid=store-robot] details summary")
            .await?;
        for s in copies.iter().chain([expired]) {
            w.click_css(&format!(
                "[data-testid=robot-copy][data-store-id=\"{}\"]",
                s.epoi_id
            ))
            .await?;
        }
        w.wait_text("robot-save", |t| t.contains("复制到 4 家门店"))
            .await?;
        w.click("robot-save").await?;
        w.wait_text("robot-results", |t| {
            t.matches("已保存").count() == 4 && t.contains("未保存")
        })
        .await?;
        ensure!(
            w.find_all("robot-error").await?.is_empty(),
            "no error beside the results"
        );
        w.eval("document.querySelector('[data-testid=robot-results]').scrollIntoView()")
            .await?;
        w.document("store-robot-copied").await?;

        for s in std::iter::once(source).chain(copies) {
            let robot = sb.auto_replies(&s.epoi_id)?;
            let eighteen = robot.iter().find(|x| x.scene == 18).context("scene 18")?;
            ensure!(
                eighteen.content == new_text,
                "{}: {:?}",
                s.epoi_id,
                eighteen
            );
            let nine = robot.iter().find(|x| x.scene == 9).context("scene 9")?;
            ensure!(nine.on != nine_was, "{}: scene 9 switched", s.epoi_id);
        }
        let failed = w.find_all("robot-result").await?;
        let mut saw_failure = false;
        for r in failed {
            let id = r.attr("data-store-id").await?.unwrap_or_default();
            let saved = r.attr("data-saved").await?.unwrap_or_default();
            ensure!(
                (id == expired.epoi_id) == (saved == "false"),
                "{id}: saved={saved}"
            );
            if saved == "false" {
                let line = r.text().await?;
                ensure!(
                    line.contains(&expired.name) && line.contains("授权已失效"),
                    "{line}"
                );
                saw_failure = true;
            }
        }
        ensure!(saw_failure, "the expired store's result is shown");
        ensure!(
            sb.auto_replies(&expired.epoi_id)? == untouched,
            "nothing written to the expired store"
        );
        Ok(())
    })
    .await
}
