//! Updates end to end: the test makes its own updater key pairs with the Tauri CLI, signs a
//! stand-in package of a newer version (9.9.9) and serves it with its manifest from a loopback
//! HTTP server; the app, pointed there by `IMDESK_UPDATE_URL` and trusting the test's public key
//! (`IMDESK_UPDATE_PUBKEY`, honoured by debug builds only), checks at start, downloads in the
//! background and verifies the signature before it offers the update; the install then waits
//! for the end of the peak. A manifest whose signature was made with another key, or one with
//! nothing for this platform, is refused with a clear message and nothing is offered.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use anyhow::{ensure, Context};
use imdesk_tests::window::{run, Launch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const NEWER: &str = "9.9.9";
const PACKAGE: &str = "imdesk_9.9.9_amd64.deb";

fn tauri_cli() -> PathBuf {
    imdesk_tests::workspace_root().join("ui/node_modules/.bin/tauri")
}

/// Runs the Tauri CLI's `signer` with `args`; fails with its output when it fails.
fn signer(args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new(tauri_cli())
        .arg("signer")
        .args(args)
        .env_remove("TAURI_SIGNING_PRIVATE_KEY")
        .env_remove("TAURI_SIGNING_PRIVATE_KEY_PATH")
        .output()
        .with_context(|| format!("{} (run scripts/setup.sh)", tauri_cli().display()))?;
    ensure!(
        out.status.success(),
        "tauri signer {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// A fresh key pair in `dir`: (private key file, public key text).
fn key_pair(dir: &Path, name: &str) -> anyhow::Result<(PathBuf, String)> {
    let key = dir.join(name);
    signer(&["generate", "--ci", "-p", "", "-w", &key.to_string_lossy()])?;
    let public = std::fs::read_to_string(dir.join(format!("{name}.pub")))?;
    Ok((key, public.trim().to_owned()))
}

/// The signature (the `.sig` file's text) of `file` with `key`, bound to the newer version.
fn sign(key: &Path, file: &Path) -> anyhow::Result<String> {
    signer(&[
        "sign",
        "-f",
        &key.to_string_lossy(),
        "-p",
        "",
        "--app-version",
        NEWER,
        &file.to_string_lossy(),
    ])?;
    let sig = PathBuf::from(format!("{}.sig", file.display()));
    let text = std::fs::read_to_string(&sig)?;
    std::fs::remove_file(sig)?;
    Ok(text.trim().to_owned())
}

/// Serves `latest.json` and the package on loopback until the test ends; returns its base URL.
async fn serve(package: Vec<u8>, signature: String, platform: &str) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let manifest = serde_json::json!({
        "version": NEWER,
        "notes": "测试版本 / test release",
        "pub_date": "2026-12-01T00:00:00Z",
        "platforms": {
            platform: { "signature": signature, "url": format!("{base}/{PACKAGE}") }
        }
    })
    .to_string()
    .into_bytes();
    let files = Arc::new([
        ("/latest.json", manifest, "application/json"),
        (
            "/imdesk_9.9.9_amd64.deb",
            package,
            "application/vnd.debian.binary-package",
        ),
    ]);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let files = files.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 2048];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&request);
                let path = line.split_whitespace().nth(1).unwrap_or("");
                let response = match files.iter().find(|(p, _, _)| *p == path) {
                    Some((_, body, kind)) => {
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        r.extend_from_slice(body);
                        r
                    }
                    None => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                };
                let _ = stream.write_all(&response).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Ok(base)
}

struct Release {
    _keys: tempfile::TempDir,
    url: String,
    trusted_pubkey: String,
}

/// A newer package for `platform` signed with `signing` ("trusted" or "other"); the app
/// trusts "trusted".
async fn release(signing: &str, platform: &str) -> anyhow::Result<Release> {
    let keys = tempfile::Builder::new()
        .prefix("imdesk-update-")
        .tempdir()?;
    let (trusted_key, trusted_pubkey) = key_pair(keys.path(), "trusted.key")?;
    let key = if signing == "trusted" {
        trusted_key
    } else {
        key_pair(keys.path(), "other.key")?.0
    };
    let package = format!("stand-in for the imdesk {NEWER} package\n").into_bytes();
    let file = keys.path().join(PACKAGE);
    std::fs::write(&file, &package)?;
    let signature = sign(&key, &file)?;
    let base = serve(package, signature, platform).await?;
    Ok(Release {
        _keys: keys,
        url: format!("{base}/latest.json"),
        trusted_pubkey,
    })
}

fn launch(release: &Release) -> Launch {
    Launch::default()
        .env("IMDESK_UPDATE_URL", &release.url)
        .env("IMDESK_UPDATE_PUBKEY", &release.trusted_pubkey)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_newer_version_is_verified_offered_and_held_for_the_peak() -> anyhow::Result<()> {
    let release = release("trusted", "linux-x86_64").await?;
    run("update_offered", launch(&release), |w| async move {
        let offer = w
            .wait_text("update-notice", |t| t.contains("签名验证"))
            .await?;
        ensure!(offer.contains(NEWER), "offer names the version: {offer}");
        let state = w
            .eval("return document.querySelector('[data-testid=update-notice]').dataset.state;")
            .await?;
        ensure!(state == "ready", "verified and ready: {state}");
        w.document("update-ready").await?;

        // The whole day is a peak: 安装并重启 is held with the peak's end, nothing installs.
        w.edit_alert_settings(|s| {
            s["peakWindows"] = serde_json::json!([
                { "start": "00:00", "end": "12:00" },
                { "start": "12:00", "end": "00:00" }
            ]);
            s["storePeakWindows"] = serde_json::json!({});
        })
        .await?;
        w.click("update-install").await?;
        let held = w.wait_text("update-held", |t| !t.is_empty()).await?;
        ensure!(
            held.contains("高峰时段"),
            "install held for the peak: {held}"
        );
        let status = w.invoke("update_status", serde_json::json!({})).await?;
        ensure!(
            status["state"] == "ready",
            "still ready after the hold: {status}"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_signed_with_another_key_is_refused_with_a_clear_message() -> anyhow::Result<()>
{
    let release = release("other", "linux-x86_64").await?;
    run("update_refused", launch(&release), |w| async move {
        let refused = w.wait_text("update-refused", |t| !t.is_empty()).await?;
        ensure!(
            refused.contains("签名无效") && refused.contains(NEWER),
            "refusal says why, in Chinese: {refused}"
        );
        ensure!(
            w.find_all("update-install").await?.is_empty(),
            "a refused update is not offered for install"
        );
        let status = w.invoke("update_status", serde_json::json!({})).await?;
        ensure!(
            status["state"] == "refused" && status["reason"] == "badSignature",
            "status: {status}"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_for_another_platform_is_ignored_with_a_message() -> anyhow::Result<()> {
    let release = release("trusted", "windows-x86_64").await?;
    run("update_other_platform", launch(&release), |w| async move {
        let refused = w.wait_text("update-refused", |t| !t.is_empty()).await?;
        ensure!(refused.contains("本机系统"), "refusal says why: {refused}");
        ensure!(
            w.find_all("update-install").await?.is_empty(),
            "nothing is offered for install"
        );
        Ok(())
    })
    .await
}
