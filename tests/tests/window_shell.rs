//! Real-window test of the workstation shell: the built app opens, the typed IPC path carries
//! Rust's answer into the DOM, and the language switch works.
#![cfg(target_os = "linux")]

use imdesk_tests::window::{run, Launch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_shows_version_from_rust_and_switches_language() -> anyhow::Result<()> {
    run("shell_shows_version", Launch::default(), |w| async move {
        // The version text is produced by the Rust `app_info` command, not by the page.
        let version = w
            .wait_text("app-version", |t| t.contains(env!("CARGO_PKG_VERSION")))
            .await?;
        assert!(
            version.contains(env!("CARGO_PKG_VERSION")),
            "version shown: {version}"
        );

        // No credentials in the environment: the app says it is a demo.
        let badge = w.wait_text("demo-badge", |t| !t.trim().is_empty()).await?;
        assert!(
            badge.contains("演示"),
            "demo badge in Chinese by default: {badge}"
        );

        // The page's tiles are painted by the CPU worker (imdesk_app's `painting`): the web
        // process serving this window was started with WebKitGTK's GPU painting worker off.
        let web = web_process_env(w.data_dir())?;
        assert!(
            web.iter()
                .any(|v| v == "WEBKIT_SKIA_GPU_PAINTING_THREADS=0"),
            "the web process's environment has no GPU painting switch: {:?}",
            web.iter()
                .filter(|v| v.starts_with("WEBKIT_"))
                .collect::<Vec<_>>()
        );

        // Every region of the shell is there, with its Chinese empty state.
        for region in ["store-rail", "inbox", "chat-pane", "status-bar"] {
            w.find(region).await?;
        }
        w.document("shell-zh").await?;

        // Switching to English changes what Rust-backed text surrounds, without a reload.
        w.click("lang-switch").await?;
        let badge_en = w
            .wait_text("demo-badge", |t| t.to_lowercase().contains("demo"))
            .await?;
        assert!(
            !badge_en.contains("演示"),
            "badge switched to English: {badge_en}"
        );
        let version_after = w.text("app-version").await?;
        assert!(version_after.contains(env!("CARGO_PKG_VERSION")));
        Ok(())
    })
    .await
}

/// The environment of the WebKitWebProcess serving the app whose data directory is `data_dir`.
fn web_process_env(data_dir: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let needle = format!("IMDESK_DATA_DIR={}", data_dir.display());
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) else {
            continue;
        };
        if !comm.starts_with("WebKitWebProces") {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let vars: Vec<String> = environ
            .split(|b| *b == 0)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        if vars.contains(&needle) {
            return Ok(vars);
        }
    }
    anyhow::bail!("no WebKitWebProcess with {needle}")
}
