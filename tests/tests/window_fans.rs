//! Fans groups (粉丝群) in the real window against the sandbox: a group created with its
//! join-group coupon only after the confirmation says what it costs, a coupon whose activity
//! would end in the past refused at its field with nothing sent, then a coupon sent after its
//! confirmation, the platform's quota counting it.
#![cfg(target_os = "linux")]

use std::time::Duration;

use anyhow::ensure;
use imdesk_tests::sandbox_app::{launch_against, quiet_sandbox, until};
use imdesk_tests::window::{run, AppWindow};

/// Sets the activity's end `hours` from now (negative: in the past), as a person picking a
/// local date and time would.
async fn set_ends_in(w: &AppWindow, hours: i64) -> anyhow::Result<()> {
    w.eval(&format!(
        "const d = new Date(Date.now() + {hours} * 3600000);\
         const p = (n) => String(n).padStart(2, '0');\
         const v = `${{d.getFullYear()}}-${{p(d.getMonth() + 1)}}-${{p(d.getDate())}}T${{p(d.getHours())}}:${{p(d.getMinutes())}}`;\
         const el = document.querySelector('[data-testid=fans-ends-at]');\
         el.value = v; el.dispatchEvent(new Event('input', {{ bubbles: true }}));"
    ))
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fans_group_is_created_and_a_coupon_sent_after_confirming() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(1).await?;
    let stores = sandbox.stores();
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("fans_group", launch, move |w| async move {
        let a = &stores[0];
        w.click_css(&format!(
            "[data-testid=store-settings][data-store-id=\"{}\"]",
            a.epoi_id
        ))
        .await?;
        w.click("store-fans").await?;
        w.wait_text("fans-groups", |t| t.contains("还没有粉丝群"))
            .await?;

        // The group, with a join-group coupon: nothing is created before the confirmation.
        w.type_into("fans-intro", "进群领券，新品抢先尝").await?;
        w.type_into("fans-welcome", "欢迎进群，每周三会员日")
            .await?;
        w.click("fans-join-coupon").await?;
        w.click("fans-group-create").await?;
        w.wait_text("fans-group-confirm-box", |t| {
            t.contains("满 20 减 3 元") && t.contains("门店承担")
        })
        .await?;
        ensure!(
            sb.fans(&a.epoi_id)?.groups.is_empty(),
            "nothing created before the confirmation"
        );
        w.click("fans-group-confirm").await?;
        until("the group on the platform", Duration::from_secs(15), || {
            sb.fans(&a.epoi_id).is_ok_and(|f| f.groups.len() == 1)
        })
        .await?;
        w.wait_text("fans-groups", |t| t.contains("本月还可发券 30 次"))
            .await?;
        ensure!(
            sb.fans(&a.epoi_id)?.activities == 1,
            "the join-group coupon runs"
        );

        // A coupon whose activity ends in the past: refused at its field, nothing sent.
        set_ends_in(&w, -3).await?;
        w.wait_text("fans-send", |t| t.contains("活动结束时间已经过去"))
            .await?;
        ensure!(
            !w.find("fans-coupon-send").await?.is_enabled().await?,
            "send disabled"
        );

        // Two days ahead: the confirmation says what it may cost, then the platform has it.
        set_ends_in(&w, 48).await?;
        w.eventually_js(
            "no problem left",
            "return document.querySelectorAll('[data-testid=fans-coupon-problem]').length === 0;",
        )
        .await?;
        w.click("fans-coupon-send").await?;
        w.wait_text("fans-coupon-confirm-box", |t| t.contains("最多承担 500 元"))
            .await?;
        ensure!(
            sb.fans(&a.epoi_id)?.coupons.is_empty(),
            "nothing sent before the confirmation"
        );
        w.click("fans-coupon-confirm").await?;
        w.wait_text("fans-notice", |t| t.contains("本月还可发 29 次"))
            .await?;
        let after = sb.fans(&a.epoi_id)?;
        ensure!(
            after.coupons.len() == 1 && after.remain == 29,
            "one coupon sent: {after:?}"
        );
        w.wait_text("fans-coupons", |t| t.contains("剩余 100 张"))
            .await?;
        w.document("fans-coupon-sent").await?;
        Ok(())
    })
    .await
}
