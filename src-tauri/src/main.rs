// Release builds on Windows have no console window; debug builds keep it for logs.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The same allocator as `imdesk-cli` (mimalloc; see there why).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    imdesk_app::run()
}

/// Allocator settings for a desk that idles all day ([`imdesk_core::memory`]), applied from
/// the ELF constructors before the first allocation. A numbered `.init_array` section runs
/// before the plain ones, where other crates' constructors (which allocate) are.
#[cfg(target_os = "linux")]
#[used]
#[allow(unsafe_code)] // a constructor entry: runs once, before main, without arguments
#[link_section = ".init_array.00200"]
static TUNE_ALLOCATORS: extern "C" fn() = imdesk_core::memory::tune_allocators;
