//! `imdesk-cli sandbox`: serves a local Meituan platform ([`meituan_sandbox`]) until SIGTERM or
//! Ctrl-C, after printing its coordinates as one JSON line on stdout:
//! `{"gateway_url","push_url","developer_id","sign_key","push_scope","stores":[{"epoi_id","name","business_id","app_auth_token"}…]}`.
//! Those values plug into `IMDESK_GATEWAY_URL`, `IMDESK_PUSH_URL`, `IMDESK_DEVELOPER_ID`,
//! `IMDESK_SIGN_KEY`, `IMDESK_PUSH_SCOPE` and `IMDESK_STORES` of the other front doors.

use anyhow::Context as _;
use meituan_sandbox::{Faults, PushScope, Sandbox, SandboxConfig, Vocabulary};
use std::io::Write as _;

/// Arguments of `imdesk-cli sandbox`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seed of everything generated (ids, secrets, tokens, conversations).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of stores.
    #[arg(long, default_value_t = 12)]
    stores: usize,
    /// Load: customer messages per second over all stores (0 = off).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Faults, comma-separated: drop=30s, delay=200ms, dup=0.1, reorder=0.1, 500=0.05, 503=0.05,
    /// 5xx=0.1, timeout=0.05, hold=8s, ratelimit=0.05, expired=0.05, rotate=60s,
    /// missing=<API name> (that API answers 404; repeat for several), refuse=<API name> (the
    /// push service refuses that API's tokens with HTTP 403).
    #[arg(long, default_value = "")]
    faults: String,
    /// Whose pushes one long connection carries: `developer` (every store's, one imSecret) or
    /// `store` (one store's, with its own imSecret).
    #[arg(long, default_value = "developer", value_parser = ["developer", "store"])]
    push_scope: String,
    /// How the platform spells its refusals: `standard` (the `OP_*` codes imdesk's built-in
    /// table knows) or `alternate` (numeric codes and Chinese messages no table knows).
    #[arg(long, default_value = "standard")]
    vocabulary: String,
    /// TCP port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Turn the simulated customers off (they chat by default).
    #[arg(long)]
    no_chatter: bool,
    /// New simulated conversations per minute.
    #[arg(long, default_value_t = 6.0)]
    chatter_per_minute: f64,
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let faults = Faults::parse(&args.faults).context("--faults 无法解析 / cannot be parsed")?;
    let vocabulary = Vocabulary::parse(&args.vocabulary)
        .context("--vocabulary 只能是 standard 或 alternate / must be standard or alternate")?;
    let config = SandboxConfig {
        vocabulary,
        seed: args.seed,
        stores: args.stores,
        rate: args.rate,
        faults,
        chatter: !args.no_chatter,
        chatter_per_minute: args.chatter_per_minute,
        port: args.port,
        push_scope: if args.push_scope == "store" {
            PushScope::Store
        } else {
            PushScope::Developer
        },
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config)
        .await
        .context("沙箱无法启动 / the sandbox cannot start")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", sandbox.coordinates())?;
        out.flush()?;
    }
    crate::stop::wait_for_stop().await?;
    sandbox.shutdown().await;
    Ok(())
}
