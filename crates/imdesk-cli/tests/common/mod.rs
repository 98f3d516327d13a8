//! Shared by the front-door tests: the sandbox's coordinates as `IMDESK_*` variables, and
//! polling with a deadline.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use meituan_sandbox::Sandbox;
use tokio::process::Command;

/// The built binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_imdesk-cli");

/// Points `c` at the sandbox, with `db` as its SQLite file.
pub fn platform_env<'c>(c: &'c mut Command, sb: &Sandbox, db: &Path) -> &'c mut Command {
    c.env("IMDESK_GATEWAY_URL", sb.gateway_url())
        .env("IMDESK_PUSH_URL", sb.push_url())
        .env("IMDESK_DEVELOPER_ID", sb.developer_id().to_string())
        .env("IMDESK_SIGN_KEY", sb.sign_key())
        .env("IMDESK_STORES", sb.coordinates()["stores"].to_string())
        .env("IMDESK_DB", db)
}

/// Polls `check` every 50 ms until it holds, or fails the test after `secs` seconds.
pub async fn wait_for(secs: u64, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}
