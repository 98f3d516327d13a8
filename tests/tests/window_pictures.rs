//! Pictures and blocking in the real window against the sandbox: the agent picks a picture,
//! the sandbox customer receives the uploaded picture and the chat shows it; the agent blocks
//! an abusive customer with an evidence screenshot, the composer closes with the reason, and
//! unblocking reopens it; in a businessId-2 store both are disabled with the reason (no image
//! upload there).
#![cfg(target_os = "linux")]

use std::time::Duration;

use imdesk_tests::sandbox_app::{launch_against, quiet_sandbox, until};
use imdesk_tests::window::{run, AppWindow};
use meituan_sandbox::{ChatKind, CustomerMessage, ImageRef};

/// Puts a PNG drawn on a canvas (160×120, a "photo" with a label) into a file input as if the
/// agent had picked it, and fires `change` (the handler may clear the input afterwards, so the
/// count is read before).
async fn pick_png(w: &AppWindow, testid: &str, name: &str) -> anyhow::Result<()> {
    let js = format!(
        "const c = document.createElement('canvas'); c.width = 160; c.height = 120;\
         const g = c.getContext('2d'); g.fillStyle = '#d9824b'; g.fillRect(0, 0, 160, 120);\
         g.fillStyle = '#fff3e0'; g.fillRect(20, 30, 120, 60);\
         g.fillStyle = '#5d4037'; g.font = '16px sans-serif'; g.fillText('{name}', 28, 66);\
         const bin = atob(c.toDataURL('image/png').split(',')[1]);\
         const bytes = new Uint8Array(bin.length);\
         for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);\
         const input = document.querySelector('[data-testid={testid}]');\
         const dt = new DataTransfer();\
         dt.items.add(new File([bytes], '{name}', {{ type: 'image/png' }}));\
         input.files = dt.files; const took = input.files.length;\
         input.dispatchEvent(new Event('change', {{ bubbles: true }}));\
         return took;"
    );
    let n = w.eval(&js).await?;
    anyhow::ensure!(n == 1, "the file input took the picture: {n}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_and_blocking_in_the_real_window() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(2).await?;
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("workstation_pictures", launch, move |w| async move {
        let stores = sb.stores();
        let (a, b) = (&stores[0], &stores[1]);
        assert_eq!((a.business_id, b.business_id), (16, 2));
        until("a push connection", Duration::from_secs(20), || sb.open_connections() > 0).await?;

        // 1. A picture picked in the composer reaches the customer as an upload of this store,
        //    and the chat shows it from its URL once sent.
        let asked = sb.customer_says(CustomerMessage::text(
            a.epoi_id.clone(),
            ChatKind::InProgress,
            "汤洒了，你们看怎么处理",
        ))?;
        let user = asked.open_user_id.unwrap_or_default();
        let conv_a = format!("{}|1|{}", a.epoi_id, user);
        w.open_conversation(&conv_a).await?;
        w.wait_text("chat-pane", |t| t.contains("汤洒了")).await?;
        pick_png(&w, "image-input", "photo.png").await?;
        until("the customer to receive the picture", Duration::from_secs(15), || {
            sb.merchant_messages(&a.epoi_id).is_ok_and(|m| {
                m.iter().any(|m| {
                    m.msg_type == 2
                        && matches!(&m.image, Some(ImageRef::Upload { epoi_id, .. }) if *epoi_id == a.epoi_id)
                })
            })
        })
        .await?;
        let url = sb.uploads(&a.epoi_id)?.first().map(|u| u.pic_url.clone()).unwrap_or_default();
        w.eventually_js("the sent picture from its URL",
            &format!("return [...document.querySelectorAll('[data-testid=chat-pane] img')].some(i => i.src === '{url}');"),
        )
        .await?;

        // 2. Blocking: reason, one evidence screenshot, submit. The platform has the block with
        //    our upload as evidence, and the composer says why it is closed.
        w.click("block-button").await?;
        w.find("block-dialog").await?;
        w.client()
            .find(fantoccini::Locator::Css("[data-testid=block-reason][value=wechatFraud]"))
            .await?
            .click()
            .await?;
        pick_png(&w, "block-evidence-input", "evidence.png").await?;
        w.find("block-evidence-item").await?;
        w.click("block-submit").await?;
        until("the platform to block the customer", Duration::from_secs(15), || {
            sb.blocked(&a.epoi_id).is_ok_and(|b| b.iter().any(|r| r.open_user_id == user))
        })
        .await?;
        let record = sb.blocked(&a.epoi_id)?.remove(0);
        assert_eq!(record.block_code, 2);
        let codes: Vec<String> = sb.uploads(&a.epoi_id)?.into_iter().map(|u| u.pic_code).collect();
        assert!(record.voucher_pic_ids.iter().all(|id| codes.contains(id)), "{record:?}");
        w.wait_text("composer-block-reason", |t| t.contains("已被屏蔽")).await?;
        w.document("workstation-blocked").await?;

        // 3. Unblocking (with its confirmation) reopens the composer.
        w.click("unblock-button").await?;
        w.click("unblock-confirm").await?;
        until("the platform to lift the block", Duration::from_secs(15), || {
            sb.blocked(&a.epoi_id).is_ok_and(|b| b.is_empty())
        })
        .await?;
        w.eventually_js("the composer open again",
            "return !document.querySelector('[data-testid=composer-input]').disabled;",
        )
        .await?;

        // 4. A businessId-2 store has no image upload: the picture and block buttons are
        //    disabled and say why.
        let other = sb.customer_says(CustomerMessage::text(b.epoi_id.clone(), ChatKind::PreOrder, "有优惠吗"))?;
        w.open_conversation(&format!("{}|1|{}", b.epoi_id, other.open_user_id.unwrap_or_default())).await?;
        w.wait_text("chat-pane", |t| t.contains("有优惠吗")).await?;
        w.eventually_js("a disabled picture button with the reason",
            "const b = document.querySelector('[data-testid=image-button]');\
             return !!b && b.disabled && b.title.includes('不支持');",
        )
        .await?;
        w.eventually_js("a disabled block button with the reason",
            "const b = document.querySelector('[data-testid=block-button]');\
             return !!b && b.disabled && b.title.includes('不支持');",
        )
        .await?;
        assert!(sb.uploads(&b.epoi_id)?.is_empty());
        Ok(())
    })
    .await
}
