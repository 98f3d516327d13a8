//! `imdesk-cli relay`: team mode's relay. The engine with the platform link on one side and
//! the brand's NATS JetStream on the other, until SIGTERM or Ctrl-C; then it stops taking
//! replies, lets those it holds finish, publishes what its archive still holds, and exits 0.
//! Configured like `headless` (platform variables) plus `IMDESK_NATS_URL`, optionally
//! `IMDESK_NATS_CREDS`, and `IMDESK_PUSH_CONNECTIONS` for its share of the socket budget.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use imdesk_core::team::relay::{commit_waker, Relay};
use imdesk_core::{Desk, DeskConfig, DeskOptions, NullSink};

/// Arguments of `imdesk-cli relay`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// TOML configuration file; `IMDESK_*` variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// This relay's name, stable across restarts (default: `IMDESK_AGENT`, or the OS user).
    #[arg(long)]
    id: Option<String>,
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config =
        DeskConfig::load(args.config.as_deref()).context("配置无效 / invalid configuration")?;
    if !config.has_credentials() {
        anyhow::bail!("缺少开发者凭据 / IMDESK_DEVELOPER_ID and IMDESK_SIGN_KEY are required");
    }
    let Some(team) = config.team.clone() else {
        anyhow::bail!("缺少团队服务器 / IMDESK_NATS_URL is required for a relay");
    };
    let id = args.id.unwrap_or_else(|| team.agent.clone());
    let (observer, wake) = commit_waker();
    let options = DeskOptions {
        commit_observer: Some(observer),
        token_vault: Some(imdesk_core::token_vault::file_vault(&config.db_path)),
        ..DeskOptions::default()
    };
    let desk = Arc::new(
        Desk::start_with(config, options, Arc::new(NullSink))
            .await
            .context("无法启动 / cannot start the engine")?,
    );
    let relay = match Relay::start(desk.clone(), &team, &id, wake).await {
        Ok(r) => r,
        Err(e) => {
            desk.shutdown().await;
            return Err(e).context("无法连接团队服务器 / cannot start the relay");
        }
    };
    println!(
        "{}",
        serde_json::json!({ "relay": id, "stream": imdesk_core::team::STREAM })
    );
    tracing::info!(relay = %id, "relay running; SIGTERM drains and stops it");
    crate::stop::wait_for_stop().await?;
    relay.drain().await;
    desk.shutdown().await;
    Ok(())
}
