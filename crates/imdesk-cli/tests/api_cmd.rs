//! `imdesk-cli api` as a user runs it: the built binary against a sandbox on loopback,
//! configured only through the environment.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::process::Output;

use meituan_sandbox::{Sandbox, SandboxConfig};

/// Runs the binary with a clean `IMDESK_*` environment and a home without a config file.
async fn imdesk_cli(sandbox: &Sandbox, sign_key: &str, args: &[&str]) -> Output {
    let home = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("api-cmd-home");
    std::fs::create_dir_all(&home).unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_imdesk-cli"))
        .arg("api")
        .args(args)
        .env_clear()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("IMDESK_GATEWAY_URL", sandbox.gateway_url())
        .env("IMDESK_DEVELOPER_ID", sandbox.developer_id().to_string())
        .env("IMDESK_SIGN_KEY", sign_key)
        .env(
            "IMDESK_STORES",
            serde_json::to_string(&sandbox.stores()).unwrap(),
        )
        .output()
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn get_poi_im_status_prints_data_for_stores_of_both_integrations() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let key = sandbox.sign_key();
    let stores = sandbox.stores();
    assert!(
        stores.iter().any(|s| s.business_id == 2) && stores.iter().any(|s| s.business_id == 16)
    );
    for store in &stores {
        let out = imdesk_cli(
            &sandbox,
            &key,
            &["getPoiIMStatus", "--store", &store.epoi_id],
        )
        .await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let data: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(data["im_status"], 1, "{}", store.epoi_id);
        assert_eq!(data["epoiId"], store.epoi_id.as_str());
    }
    // With parameters: switch IM off through the CLI (businessId 2 uses the opaque form).
    let on2 = stores.iter().find(|s| s.business_id == 2).unwrap();
    let out = imdesk_cli(
        &sandbox,
        &key,
        &[
            "setPoiIMStatus",
            "--store",
            &on2.epoi_id,
            "--biz",
            r#"{"imStatus":0}"#,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!sandbox.im_status(&on2.epoi_id).unwrap());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn failures_exit_non_zero_with_one_bilingual_line() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let store = sandbox.stores()[0].clone();

    let wrong_key = imdesk_cli(
        &sandbox,
        "not-the-key",
        &["getPoiIMStatus", "--store", &store.epoi_id],
    )
    .await;
    assert!(!wrong_key.status.success());
    let line = text(&wrong_key.stderr);
    assert_eq!(line.trim_end().lines().count(), 1, "{line}");
    assert!(
        line.contains("调用失败") && line.contains("call failed"),
        "{line}"
    );
    assert!(
        line.contains("getPoiIMStatus") && line.contains("OP_SIGN_INVALID"),
        "{line}"
    );
    assert!(
        line.contains("traceId") && !line.contains("traceId -"),
        "{line}"
    );
    assert!(
        !line.contains("not-the-key") && !line.contains(&store.app_auth_token),
        "{line}"
    );
    assert!(wrong_key.stdout.is_empty());

    let key = sandbox.sign_key();
    let unknown = imdesk_cli(&sandbox, &key, &["getPoiIMStatus", "--store", "nope"]).await;
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("store not configured: nope"));

    let bad_biz = imdesk_cli(
        &sandbox,
        &key,
        &["msgRead", "--store", &store.epoi_id, "--biz", "{"],
    )
    .await;
    assert!(!bad_biz.status.success());
    assert!(text(&bad_biz.stderr).contains("--biz is not valid JSON"));

    let bad_name = imdesk_cli(
        &sandbox,
        &key,
        &["noSuchEndpoint", "--store", &store.epoi_id],
    )
    .await;
    assert!(!bad_name.status.success());
    assert!(text(&bad_name.stderr).contains("unknown endpoint name"));
    sandbox.shutdown().await;
}
