//! `imdesk-cli doctor`: the connection doctor (连接诊断) without a window. Starts the desk with
//! its push sockets, gives them `--wait-secs` to open, checks every store's token, and prints
//! the report as one JSON document on stdout. With `--bundle-dir` it also writes the diagnostic
//! bundle (a zip of the report and the redacted `--log` files) and names it on stderr.
//!
//! The report carries codes, traceIds, states and times, never a secret or message text.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use imdesk_core::view::LinkState;
use imdesk_core::{Desk, DeskConfig, DeskOptions, NullSink};

/// Arguments of `imdesk-cli doctor`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// TOML configuration file; `IMDESK_*` variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// How long to let the push sockets open before reporting (0: report at once).
    #[arg(long, default_value_t = 5)]
    wait_secs: u64,
    /// Do not open push sockets (token checks and stored diagnostics only).
    #[arg(long)]
    no_push: bool,
    /// Also write a diagnostic bundle (zip) into this folder.
    #[arg(long)]
    bundle_dir: Option<PathBuf>,
    /// A log file to include, redacted, in the bundle (repeatable).
    #[arg(long = "log", requires = "bundle_dir")]
    logs: Vec<PathBuf>,
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config =
        DeskConfig::load(args.config.as_deref()).context("配置无效 / invalid configuration")?;
    let options = DeskOptions {
        run_push: !args.no_push,
        run_pollers: false,
        // The doctor is run beside the live desk it diagnoses (the app or `headless`), whose
        // writer lock would refuse it; it is short-lived and reads the stored diagnostics.
        store: imdesk_store::StoreOptions {
            exclusive: false,
            ..imdesk_store::StoreOptions::default()
        },
        ..DeskOptions::default()
    };
    let desk = Desk::start_with(config, options, Arc::new(NullSink))
        .await
        .context("无法启动 / cannot start the desk")?;
    let result = report(&desk, &args).await;
    desk.shutdown().await;
    println!("{}", result?);
    Ok(())
}

async fn report(desk: &Desk, args: &Args) -> anyhow::Result<String> {
    if !args.no_push {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(args.wait_secs);
        while desk.connection_status().state != LinkState::Online
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let report = desk
        .doctor()
        .await
        .context("诊断失败 / the doctor failed")?;
    if let Some(dir) = &args.bundle_dir {
        let bundle = desk
            .diagnostic_bundle(dir, args.logs.clone())
            .await
            .context("无法写入诊断包 / cannot write the diagnostic bundle")?;
        eprintln!("诊断包 / diagnostic bundle: {}", bundle.path);
    }
    serde_json::to_string_pretty(&report).context("cannot print the report")
}
