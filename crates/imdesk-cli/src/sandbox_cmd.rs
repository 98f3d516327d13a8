//! `imdesk-cli sandbox` (being built).

/// Arguments of `imdesk-cli sandbox`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub async fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("imdesk-cli sandbox is not built yet")
}
