// Release builds on Windows have no console window; debug builds keep it for logs.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The same allocator as `imdesk-cli` (mimalloc; see there why).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    imdesk_app::run()
}

// Allocator settings for a desk that idles all day (imdesk_core::memory).
imdesk_core::tune_allocators_at_start!();
