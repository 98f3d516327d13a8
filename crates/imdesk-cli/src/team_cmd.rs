//! `imdesk-cli claim` and `imdesk-cli agents`: team mode's ownership and roster for
//! operations and tests, as `IMDESK_AGENT`. Both run a desk on `IMDESK_DB` (a team desk: it
//! catches up with the stream first, so a claim names a conversation the team has seen)
//! without saying the agent is present.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use imdesk_core::convert::conversation_id_of;
use imdesk_core::{Desk, DeskConfig, DeskOptions, NullSink};

/// Arguments of `imdesk-cli claim`.
#[derive(Debug, clap::Args)]
pub struct ClaimArgs {
    /// TOML configuration file; `IMDESK_*` variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The store's epoi_id.
    #[arg(long)]
    store: String,
    /// The customer of a two-party chat.
    #[arg(
        long,
        conflicts_with = "group_id",
        required_unless_present = "group_id"
    )]
    open_user_id: Option<i64>,
    /// The group (review contact, fans or rider group).
    #[arg(long)]
    group_id: Option<i64>,
    /// Return it to the team queue instead.
    #[arg(long, conflicts_with = "transfer_to")]
    release: bool,
    /// Hand it to this agent instead.
    #[arg(long)]
    transfer_to: Option<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
}

/// Arguments of `imdesk-cli agents`.
#[derive(Debug, clap::Args)]
pub struct AgentsArgs {
    /// TOML configuration file; `IMDESK_*` variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
}

async fn team_desk(config: Option<&std::path::Path>, mirror: bool) -> anyhow::Result<Desk> {
    let config = DeskConfig::load(config).context("配置无效 / invalid configuration")?;
    if !config.is_team_desk() {
        anyhow::bail!("不在团队模式 / IMDESK_NATS_URL is required (and no signKey)");
    }
    let options = DeskOptions {
        run_push: mirror,
        run_pollers: false,
        team_presence: false,
        ..DeskOptions::default()
    };
    Desk::start_with(config, options, Arc::new(NullSink))
        .await
        .context("无法启动 / cannot start the desk")
}

/// Claims, releases or transfers one conversation; prints `{"owner": …, "claimed": …}` and
/// exits 0 whether or not the claim won.
pub async fn claim(args: ClaimArgs) -> anyhow::Result<()> {
    let desk = team_desk(args.config.as_deref(), true).await?;
    let result = claim_on(&desk, &args).await;
    desk.shutdown().await;
    let out = result?;
    println!(
        "{}",
        serde_json::json!({ "owner": out.owner, "claimed": out.claimed })
    );
    Ok(())
}

async fn claim_on(desk: &Desk, args: &ClaimArgs) -> anyhow::Result<imdesk_core::view::ClaimResult> {
    let timeout = Duration::from_secs(args.timeout_secs);
    desk.team_sync(timeout)
        .await
        .context("未能同步 / cannot catch up with the team stream")?;
    desk.team_loaded(timeout)
        .await
        .context("未能读取分配 / cannot read the team's owners")?;
    let candidates: Vec<String> = match (args.open_user_id, args.group_id) {
        (Some(user), _) => vec![conversation_id_of(&args.store, 1, user)],
        (None, Some(group)) => [4, 5, 6]
            .iter()
            .map(|biz| conversation_id_of(&args.store, *biz, group))
            .collect(),
        (None, None) => anyhow::bail!("--open-user-id or --group-id is required"),
    };
    let mut found = None;
    for id in candidates {
        if desk.detail(&id).await.is_ok() {
            found = Some(id);
            break;
        }
    }
    let Some(id) = found else {
        anyhow::bail!(
            "没有这个会话 / no such conversation in store {} (the team's stream has none)",
            args.store
        );
    };
    let out = if args.release {
        desk.transfer(&id, None, None).await
    } else if let Some(to) = &args.transfer_to {
        desk.transfer(&id, Some(to.clone()), None).await
    } else {
        desk.claim(&id).await
    };
    out.map_err(|e| {
        let ipc = imdesk_core::view::IpcError::from(e);
        anyhow::anyhow!("认领失败 / claim failed ({:?}): {}", ipc.code, ipc.message)
    })
}

/// Prints the team's agents, one JSON line each.
pub async fn agents(args: AgentsArgs) -> anyhow::Result<()> {
    let desk = team_desk(args.config.as_deref(), false).await?;
    let result = async {
        desk.team_loaded(Duration::from_secs(args.timeout_secs))
            .await
            .context("未能读取客服 / cannot read the team's agents")?;
        desk.agents().map_err(anyhow::Error::from)
    }
    .await;
    desk.shutdown().await;
    for a in result? {
        println!(
            "{}",
            serde_json::json!({
                "name": a.name,
                "status": a.status,
                "open": a.open,
                "capacity": a.capacity,
                "supervisor": a.supervisor,
                "stores": a.stores,
            })
        );
    }
    Ok(())
}
