//! `imdesk-cli api` (being built).

/// Arguments of `imdesk-cli api`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub async fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("imdesk-cli api is not built yet")
}
