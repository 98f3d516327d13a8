//! The empty window of the GUI benchmark (`scripts/bench-gui.sh`, issue 25 item 6): imdesk's
//! tauri, one window of imdesk's size, a page with one element. The page reports its first
//! paint through one command; with `IMDESK_BENCH_MARKS=1` that prints
//! `imdesk-bench: first-paint` on stderr, the marker the runner times, as the app prints
//! `imdesk-bench: first-inbox-page`.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

/// The page has painted its first frame.
#[tauri::command]
fn first_paint() {
    if std::env::var_os("IMDESK_BENCH_MARKS").is_some_and(|v| v == "1") {
        eprintln!("imdesk-bench: first-paint");
    }
}

fn main() -> ExitCode {
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![first_paint])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("the empty window could not start: {e}");
            ExitCode::FAILURE
        }
    }
}
