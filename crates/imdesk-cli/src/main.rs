//! `imdesk-cli`: the headless front door of imdesk.
//!
//! Each subcommand lives in its own module and stays thin: it parses arguments, builds the
//! configuration and calls into the library crates. Output meant for machines goes to stdout
//! as JSON; diagnostics go to stderr through `tracing`.

use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: ingest moves every frame, row and event
/// between threads, where glibc's allocator spent a tenth of the desk's CPU in `free`
/// (`cargo bench -p imdesk-core --bench ingest`, which uses the same allocator).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// Relays and headless desks idle most of the day too (imdesk_core::memory).
imdesk_core::tune_allocators_at_start!();

mod api_cmd;
mod doctor_cmd;
mod export_cmd;
mod headless_cmd;
mod relay_cmd;
mod sandbox_cmd;
mod send_cmd;
mod stop;
mod team_cmd;

#[derive(Debug, Parser)]
#[command(name = "imdesk-cli", version, about = "imdesk headless front door")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign and call one IM endpoint for a configured store; prints the response `data` as JSON.
    Api(api_cmd::Args),
    /// Serve a local Meituan sandbox until SIGTERM; prints its coordinates as one JSON line.
    Sandbox(sandbox_cmd::Args),
    /// Run ingest and the outbox without a window until SIGTERM (an always-on archiver).
    Headless(headless_cmd::Args),
    /// Queue one merchant message, send it, and exit non-zero with the reason if it failed.
    Send(send_cmd::Args),
    /// Team mode's relay: the platform link published into NATS JetStream until SIGTERM.
    Relay(relay_cmd::Args),
    /// Team mode: claim (认领), release or transfer a conversation; prints the owner as JSON.
    Claim(team_cmd::ClaimArgs),
    /// Team mode: the team's agents with status and open conversations, as JSON lines.
    Agents(team_cmd::AgentsArgs),
    /// Print stored messages as JSON lines.
    Export(export_cmd::Args),
    /// Check the connection to the platform (连接诊断); prints the report as JSON.
    Doctor(doctor_cmd::Args),
}

fn main() -> std::process::ExitCode {
    // The shell's setup, stderr only: the CLI's commands are scripted and their callers keep
    // stderr. Colour codes only for a person at a terminal: scripts read the reason there.
    let _log_guard = imdesk_core::logs::init(&imdesk_core::logs::LogOptions {
        default_filter: "warn",
        ansi: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ..imdesk_core::logs::LogOptions::default()
    });
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("无法启动运行时 / cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Api(args) => api_cmd::run(args).await,
            Command::Sandbox(args) => sandbox_cmd::run(args).await,
            Command::Headless(args) => headless_cmd::run(args).await,
            Command::Send(args) => send_cmd::run(args).await,
            Command::Relay(args) => relay_cmd::run(args).await,
            Command::Claim(args) => team_cmd::claim(args).await,
            Command::Agents(args) => team_cmd::agents(args).await,
            Command::Export(args) => export_cmd::run(args).await,
            Command::Doctor(args) => doctor_cmd::run(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line, bilingual where the subcommand provided it (see each module).
            eprintln!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
