//! How a long-running front door (`headless`, `sandbox`) is told to stop: SIGTERM or Ctrl-C.

use anyhow::Context;

/// Waits for SIGTERM or Ctrl-C.
#[cfg(unix)]
pub async fn wait_for_stop() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    tokio::select! {
        _ = term.recv() => {}
        r = tokio::signal::ctrl_c() => r.context("cannot listen for Ctrl-C")?,
    }
    Ok(())
}

/// Waits for Ctrl-C (the only stop signal there is on this platform).
#[cfg(not(unix))]
pub async fn wait_for_stop() -> anyhow::Result<()> {
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")
}
