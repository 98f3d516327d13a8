//! Launching the real app against a sandbox that the test drives: the sandbox runs in the test
//! process, the app gets its coordinates through the `IMDESK_*` environment (so it runs in real
//! mode, not demo mode), and the test scripts customers through the sandbox's API.

use std::sync::Arc;
use std::time::{Duration, Instant};

use meituan_sandbox::{Sandbox, SandboxConfig, StoreInfo};

use crate::window::Launch;

/// A quiet sandbox (no simulated chatter) with `stores` stores.
pub async fn quiet_sandbox(stores: usize) -> anyhow::Result<Arc<Sandbox>> {
    Ok(Arc::new(
        Sandbox::start(SandboxConfig {
            stores,
            chatter: false,
            ..SandboxConfig::default()
        })
        .await?,
    ))
}

/// The launch environment pointing the app at `sandbox`.
pub fn launch_against(sandbox: &Sandbox) -> anyhow::Result<Launch> {
    let stores: Vec<serde_json::Value> = sandbox
        .stores()
        .iter()
        .map(|s: &StoreInfo| {
            serde_json::json!({"epoi_id": s.epoi_id, "name": s.name,
                "business_id": s.business_id, "app_auth_token": s.app_auth_token})
        })
        .collect();
    Ok(Launch::default()
        .env("IMDESK_GATEWAY_URL", sandbox.gateway_url())
        .env("IMDESK_PUSH_URL", sandbox.push_url())
        .env("IMDESK_DEVELOPER_ID", sandbox.developer_id().to_string())
        .env("IMDESK_SIGN_KEY", sandbox.sign_key())
        .env("IMDESK_STORES", serde_json::to_string(&stores)?))
}

/// Polls `ok` every 100 ms until it holds or `timeout` passes.
pub async fn until(
    what: &str,
    timeout: Duration,
    mut ok: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("timed out after {timeout:?} waiting for {what}")
}

/// Wall-clock now in UTC milliseconds (the sandbox and the app use the real clock).
#[allow(clippy::disallowed_methods)]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
