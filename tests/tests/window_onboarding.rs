//! Onboarding in the real window: a desk in demo mode takes its first real stores from
//! 设置 → 接入真实门店 without a restart. A token that does not work is refused naming its
//! store, and nothing is saved; a store is then added by an OAuth authorisation code, the
//! other by its token; the engine reloads on the sandbox's platform (the demo badge goes, the
//! rail lists the stores), a customer's message arrives and the reply reaches the platform.
//! Wiping the desk then removes those stores' secrets from the keyring as well.
#![cfg(target_os = "linux")]

use std::time::Duration;

use anyhow::{ensure, Context};
use imdesk_tests::sandbox_app::{quiet_sandbox, until};
use imdesk_tests::window::{run, AppWindow, Launch};
use meituan_sandbox::{ChatKind, CustomerMessage};

/// Types into the `at`-th element with this `data-testid`.
async fn type_at(w: &AppWindow, id: &str, at: usize, text: &str) -> anyhow::Result<()> {
    let all = w.find_all(id).await?;
    let el = all.get(at).with_context(|| format!("no {id} #{at}"))?;
    el.clear().await?;
    el.send_keys(text).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_desk_takes_its_first_stores_by_code_and_token_without_a_restart(
) -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(2).await?;
    let stores = sandbox.stores();
    let dir = tempfile::tempdir()?;
    let keyring = dir.path().join("keyring.json");
    // The platform's addresses only: no developer, no store, so the window starts in demo mode.
    let launch = Launch::default()
        .env("IMDESK_GATEWAY_URL", sandbox.gateway_url())
        .env("IMDESK_PUSH_URL", sandbox.push_url())
        .env("IMDESK_KEYRING_FILE", keyring.display().to_string());
    let sb = sandbox.clone();
    let keyring_file = keyring.clone();
    run("onboarding", launch, move |w| async move {
        let (a, b) = (&stores[0], &stores[1]);
        w.wait_text("demo-badge", |t| !t.trim().is_empty()).await?;
        w.click("settings-button").await?;
        w.find("credentials-form").await?;
        w.eval("document.querySelector('[data-testid=credentials-form]').scrollIntoView()")
            .await?;
        w.type_into("cred-developer-id", &sb.developer_id().to_string())
            .await?;
        w.type_into("cred-sign-key", &sb.sign_key()).await?;
        type_at(&w, "cred-epoi-id", 0, &a.epoi_id).await?;
        type_at(&w, "cred-store-name", 0, &a.name).await?;
        if a.business_id == 2 {
            w.eval("const s = document.querySelector('[data-testid=cred-business-id]'); s.value = '2'; s.dispatchEvent(new Event('change'));")
                .await?;
        }
        type_at(&w, "cred-token", 0, "not-the-token").await?;
        w.click("cred-add-store").await?;
        type_at(&w, "cred-epoi-id", 1, &b.epoi_id).await?;
        type_at(&w, "cred-store-name", 1, &b.name).await?;
        if b.business_id == 2 {
            w.eval("const s = document.querySelectorAll('[data-testid=cred-business-id]')[1]; s.value = '2'; s.dispatchEvent(new Event('change'));")
                .await?;
        }
        let code = sb.mint_auth_code(&b.epoi_id)?;
        type_at(&w, "cred-auth-code", 1, &code).await?;

        // A token that does not work: refused naming the store; nothing saved.
        w.click("cred-save").await?;
        w.wait_text("cred-error", |t| {
            t.contains(&format!("门店 {} 的 token 无法使用", a.epoi_id))
        })
        .await?;
        ensure!(
            !keyring_file.exists()
                || !std::fs::read_to_string(&keyring_file)?.contains(&sb.sign_key()),
            "a refused form reached the keyring"
        );
        ensure!(
            w.find_all("demo-badge").await?.len() == 1,
            "still the demo"
        );

        // The right token: both stores checked, saved and live at once.
        type_at(&w, "cred-token", 0, &a.app_auth_token).await?;
        w.click("cred-save").await?;
        w.wait_text("cred-saved", |t| t.contains("门店已生效")).await?;
        w.document("settings-onboarding").await?;
        let entries = std::fs::read_to_string(&keyring_file)?;
        ensure!(
            entries.contains(&sb.sign_key()) && entries.contains("store-token-pair"),
            "the signKey and the code's token pair are in the keyring"
        );
        ensure!(!entries.contains(&code), "the code itself is never kept");
        w.click("settings-close").await?;
        w.eventually_js(
            "the demo badge gone",
            "return !document.querySelector('[data-testid=demo-badge]');",
        )
        .await?;
        for s in [a, b] {
            w.eventually_js(
                "the store on the rail",
                &format!(
                    "return !!document.querySelector('[data-testid=store-item][data-store-id=\"{}\"]');",
                    s.epoi_id
                ),
            )
            .await?;
        }
        until("a push connection", Duration::from_secs(20), || {
            sb.open_connections() > 0
        })
        .await?;

        // The code's store works end to end.
        let asked = sb.customer_says(CustomerMessage::text(
            b.epoi_id.clone(),
            ChatKind::PreOrder,
            "刚开通的店能下单吗",
        ))?;
        let conv = format!("{}|1|{}", b.epoi_id, asked.open_user_id.unwrap_or_default());
        w.open_conversation(&conv).await?;
        w.wait_text("chat-pane", |t| t.contains("刚开通的店能下单吗"))
            .await?;
        w.type_into("composer-input", "可以的，欢迎下单").await?;
        w.click("send-button").await?;
        until("the reply on the platform", Duration::from_secs(20), || {
            sb.merchant_messages(&b.epoi_id)
                .is_ok_and(|m| m.iter().any(|m| m.text == "可以的，欢迎下单"))
        })
        .await?;

        // Wiping the desk takes the stores added since the start out of the keyring too.
        w.click("settings-button").await?;
        w.find("retention-settings").await?;
        w.click("wipe").await?;
        w.type_into("wipe-phrase", "清除本机数据").await?;
        // The app quits as it wipes: the click may lose its WebDriver answer.
        let _ = w.click("wipe-yes").await;
        until("the keyring emptied", Duration::from_secs(20), || {
            std::fs::read_to_string(&keyring_file).is_ok_and(|e| {
                !e.contains(&sb.sign_key())
                    && !e.contains("store-token-pair")
                    && !e.contains(&a.app_auth_token)
            })
        })
        .await?;
        Ok(())
    })
    .await
}
