//! `imdesk-cli headless`: runs ingest (push → SQLite) and the outbox without a window until
//! SIGTERM or Ctrl-C — an always-on archiver. Configured by `IMDESK_*` (or `--config`), with
//! `IMDESK_DB` naming the SQLite file.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use imdesk_core::{Desk, DeskConfig, NullSink};

/// Arguments of `imdesk-cli headless`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// TOML configuration file; `IMDESK_*` variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config =
        DeskConfig::load(args.config.as_deref()).context("配置无效 / invalid configuration")?;
    if config.is_demo() {
        anyhow::bail!("缺少开发者凭据 / IMDESK_DEVELOPER_ID and IMDESK_SIGN_KEY are required");
    }
    // Renewed store tokens are kept where the next start finds them.
    let options = imdesk_core::DeskOptions {
        token_vault: Some(imdesk_core::token_vault::file_vault(&config.db_path)),
        ..imdesk_core::DeskOptions::default()
    };
    let desk = Desk::start_with(config, options, Arc::new(NullSink))
        .await
        .context("无法启动 / cannot start the desk")?;
    tracing::info!("headless desk running; SIGTERM stops it");
    crate::stop::wait_for_stop().await?;
    desk.shutdown().await;
    Ok(())
}
