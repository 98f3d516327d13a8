//! Real-window test of 设置 → 数据保留 → 清除本机数据 (issue 25, item 5): the webview's own
//! storage lives inside the data directory (not in `~/.local/share/com.imdesk.desk`), and after
//! the wipe nothing of the desk is left on disk: the data directory is gone and the keyring
//! entries (the debug build's file stand-in, `IMDESK_KEYRING_FILE`) are deleted.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, ensure};
use imdesk_tests::window::{run, Launch};

/// Every file below `dir`, relative.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.display().to_string());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wiping_the_desk_leaves_nothing_of_it_on_disk() -> anyhow::Result<()> {
    let outside = tempfile::tempdir()?;
    let keyring = outside.path().join("keyring.json");
    // Team credentials left in the keyring (no URL, so the desk stays a solo demo): one of
    // the entries the wipe must delete.
    std::fs::write(
        &keyring,
        r#"{"nats:creds":"-----BEGIN NATS USER JWT-----"}"#,
    )?;
    let desk_dir = outside.path().join("desk");
    let launch = Launch::default()
        .env("IMDESK_KEYRING_FILE", keyring.display().to_string())
        // Not the harness's temporary directory, which also holds the XDG directories: the
        // webview must put its storage inside this one by itself.
        .env("IMDESK_DATA_DIR", desk_dir.display().to_string());
    let (desk, keyring_file) = (desk_dir.clone(), keyring.clone());
    run("wipe", launch, move |w| async move {
        w.wait_text("demo-badge", |t| !t.trim().is_empty()).await?;
        // Something the webview must keep, and a moment for WebKit to write it.
        w.eval("localStorage.setItem('imdesk.wipe-probe', 'x'); return true;")
            .await?;
        let xdg = w.data_dir().join("xdg-data");
        let mut inside = Vec::new();
        for _ in 0..100 {
            inside = files(&desk.join("webview"));
            if !inside.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        ensure!(
            !inside.is_empty(),
            "no webview storage under the data directory"
        );
        let leaked: Vec<String> = files(&xdg)
            .into_iter()
            .filter(|f| f.contains("com.imdesk.desk"))
            .collect();
        ensure!(
            leaked.is_empty(),
            "webview storage outside the data directory: {leaked:?}"
        );
        ensure!(desk.join("imdesk.db").exists() || !files(&desk).is_empty());

        w.click("settings-button").await?;
        w.wait_text("retention-settings", |t| t.contains("数据保留"))
            .await?;
        w.click("wipe").await?;
        w.type_into("wipe-phrase", "清除本机数据").await?;
        // The app quits as it wipes: the click may lose its WebDriver answer.
        let _ = w.click("wipe-yes").await;
        for _ in 0..200 {
            if !desk.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if desk.exists() {
            bail!("the data directory is still there: {:?}", files(&desk));
        }
        let entries = std::fs::read_to_string(&keyring_file)?;
        ensure!(
            !entries.contains("nats:creds"),
            "keyring entry left: {entries}"
        );
        // Nothing came back once the web processes were gone.
        tokio::time::sleep(Duration::from_secs(2)).await;
        ensure!(
            !desk.exists(),
            "something wrote into the data directory after the wipe"
        );
        Ok(())
    })
    .await
}
