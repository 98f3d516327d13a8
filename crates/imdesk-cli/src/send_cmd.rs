//! `imdesk-cli send`: queues one merchant message in the outbox, sends it, prints the sent
//! message as one JSON line, and exits non-zero with the platform's reason if it failed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use imdesk_core::view::{ErrorCode, IpcError};
use imdesk_core::{Desk, DeskConfig, DeskOptions, NullSink};

/// Arguments of `imdesk-cli send`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// TOML configuration file; `IMDESK_*` variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The store's epoi_id.
    #[arg(long)]
    store: String,
    /// 1 two-party, 4 review contact, 5 fans group, 6 rider group.
    #[arg(long)]
    biz_type: i32,
    /// The customer (two-party chats).
    #[arg(long, requires = "order_id", conflicts_with = "group_id")]
    open_user_id: Option<i64>,
    /// The order the chat is about (0 before ordering).
    #[arg(long)]
    order_id: Option<i64>,
    /// The group (biz_type 4, 5, 6).
    #[arg(long)]
    group_id: Option<i64>,
    /// The text to send.
    #[arg(long)]
    text: String,
    /// Give up waiting after this many seconds (the message stays queued).
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config =
        DeskConfig::load(args.config.as_deref()).context("配置无效 / invalid configuration")?;
    // A team desk mirrors the stream first and sends against what it has seen.
    let team = config.is_team_desk();
    let options = DeskOptions {
        run_push: team,
        run_pollers: false,
        token_vault: Some(imdesk_core::token_vault::file_vault(&config.db_path)),
        ..DeskOptions::default()
    };
    let desk = Desk::start_with(config, options, Arc::new(NullSink))
        .await
        .context("无法启动 / cannot start the desk")?;
    let result = send(&desk, &args).await;
    desk.shutdown().await;
    match result {
        Ok(line) => {
            println!("{line}");
            Ok(())
        }
        Err(e) => {
            let ipc = IpcError::from(e);
            match ipc.code {
                // Team mode: a colleague or the customer wrote since this desk caught up.
                ErrorCode::Conflict => anyhow::bail!(
                    "未发送：会话有新消息 / not sent: the conversation moved on since this desk \
                     read it ({}); read it, then send again",
                    ipc.message
                ),
                ErrorCode::Uncertain => anyhow::bail!(
                    "状态未知：可能已送达 / unknown: a relay took it and stopped before it knew \
                     ({}); check with the customer before sending again",
                    ipc.message
                ),
                _ => anyhow::bail!("发送失败 / send failed ({:?}): {}", ipc.code, ipc.message),
            }
        }
    }
}

async fn send(desk: &Desk, args: &Args) -> Result<serde_json::Value, imdesk_core::DeskError> {
    desk.team_sync(Duration::from_secs(args.timeout_secs))
        .await?;
    let id = desk
        .open_conversation(
            &args.store,
            args.biz_type,
            args.open_user_id,
            args.order_id,
            args.group_id,
        )
        .await?;
    let queued = desk.send_text(&id, &args.text).await?;
    let sent = desk
        .wait_sent(&queued.key, Duration::from_secs(args.timeout_secs))
        .await?;
    Ok(serde_json::json!({
        "conversation": id,
        "msg_id": sent.msg_id,
        "state": "sent",
    }))
}
