//! Real-window test of 设置 → 团队模式: the agent saves a team server URL carrying a password
//! and a credentials file by path; the page then shows only that they are stored, the URL with
//! its password masked, and the secrets are in the keyring (the debug build's file stand-in,
//! `IMDESK_KEYRING_FILE`, since the test's private D-Bus session has no Secret Service), never
//! in the config file. 清除团队设置 forgets them again.
#![cfg(target_os = "linux")]

use anyhow::ensure;
use imdesk_tests::window::{run, Launch};

const PASSWORD: &str = "pa55-w0rd-never-shown";
const SEED: &str = "SUAMSEEDNEVERSHOWN";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_settings_store_the_url_in_the_keyring_and_show_it_masked() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let keyring = dir.path().join("keyring.json");
    let creds = dir.path().join("alice.creds");
    std::fs::write(
        &creds,
        format!(
            "-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QifQ\n------END NATS USER JWT------\n\n\
             -----BEGIN USER NKEY SEED-----\n{SEED}\n------END USER NKEY SEED------\n"
        ),
    )?;
    let launch = Launch::default().env("IMDESK_KEYRING_FILE", keyring.display().to_string());
    let creds_path = creds.display().to_string();
    let keyring_file = keyring.clone();
    run("settings_team", launch, move |w| async move {
        w.wait_text("demo-badge", |t| !t.trim().is_empty()).await?;
        // A solo desk's status bar is unchanged: no team line.
        ensure!(
            w.find_all("team-status").await?.is_empty(),
            "a solo desk shows a team line"
        );
        w.click("settings-button").await?;
        w.wait_text("team-settings", |t| t.contains("团队模式"))
            .await?;
        w.wait_text("team-stored-url", |t| t.contains("尚未保存团队服务器"))
            .await?;
        w.eval("document.querySelector('[data-testid=team-settings]').scrollIntoView()")
            .await?;

        w.type_into(
            "team-url",
            &format!("nats://alice:{PASSWORD}@127.0.0.1:4222"),
        )
        .await?;
        w.type_into("team-creds-path", &creds_path).await?;
        w.type_into("team-agent", "小王").await?;
        w.click("team-save").await?;
        w.wait_text("team-saved", |t| t.contains("重启 imdesk 后生效"))
            .await?;
        let url = w
            .wait_text("team-stored-url", |t| t.contains("127.0.0.1"))
            .await?;
        ensure!(
            url.contains("nats://alice:****@127.0.0.1:4222"),
            "stored URL shown as {url:?}"
        );
        let stored_creds = w.text("team-stored-creds").await?;
        ensure!(
            stored_creds.contains("已保存"),
            "credentials: {stored_creds}"
        );
        let page = w.eval("return document.body.innerText").await?;
        let page = page.as_str().unwrap_or_default();
        ensure!(
            !page.contains(PASSWORD) && !page.contains(SEED),
            "a secret is on the page"
        );
        let url_field = w
            .eval("return document.querySelector('[data-testid=team-url]').value")
            .await?;
        ensure!(url_field == "", "the URL field still holds {url_field}");
        w.document("settings-team").await?;

        // The secrets are in the keyring; the config file has the agent and no secret.
        let entries = std::fs::read_to_string(&keyring_file)?;
        ensure!(entries.contains(PASSWORD), "URL not in the keyring");
        ensure!(entries.contains(SEED), "credentials not in the keyring");
        let config = w.data_dir().join("xdg-config/imdesk/config.toml");
        let text = std::fs::read_to_string(&config)?;
        ensure!(
            text.contains("小王"),
            "agent not in {}: {text}",
            config.display()
        );
        ensure!(
            !text.contains(PASSWORD) && !text.contains(SEED),
            "a secret is in the config file"
        );
        for log in std::fs::read_dir(w.data_dir().join("logs"))?.filter_map(Result::ok) {
            let log = std::fs::read_to_string(log.path())?;
            ensure!(
                !log.contains(PASSWORD) && !log.contains(SEED),
                "a secret is in the log"
            );
        }

        // Leave team mode.
        w.click("team-clear").await?;
        w.click("team-clear-yes").await?;
        w.wait_text("team-cleared", |t| t.contains("单机模式"))
            .await?;
        w.wait_text("team-stored-url", |t| t.contains("尚未保存团队服务器"))
            .await?;
        let entries = std::fs::read_to_string(&keyring_file)?;
        ensure!(
            !entries.contains(PASSWORD) && !entries.contains(SEED),
            "the keyring still holds the team: {entries}"
        );
        ensure!(!std::fs::read_to_string(&config)?.contains("小王"));
        Ok(())
    })
    .await
}
