// Release builds on Windows have no console window; debug builds keep it for logs.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The same allocator as `imdesk-cli` (mimalloc; see there why).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    #[cfg(not(target_os = "linux"))]
    tune_allocators();
    imdesk_app::run()
}

/// On Linux, [`tune_allocators`] runs from the ELF constructors (`.init_array`), before the
/// first Rust allocation: mimalloc reserves its first arena on that allocation with the
/// options in force then, so `main` would be too late for it.
#[cfg(target_os = "linux")]
#[used]
#[allow(unsafe_code)] // a constructor entry: runs once, before main, no arguments
#[link_section = ".init_array"]
static TUNE_ALLOCATORS: extern "C" fn() = tune_allocators;

/// A desk runs all day and is idle most of it: memory freed after a burst goes back to the
/// system instead of staying resident.
///
/// - mimalloc (Rust's heap): arenas are not committed up front (`arena_eager_commit` = 0,
///   option 4 of mimalloc.h). On Linux the default commits each whole arena, and pages it
///   purges then stay resident.
/// - glibc malloc (SQLite, GTK, WebKit's UI side): at most two arenas. By default a thread
///   that allocates may get its own 64 MiB arena, and the engine's threads each keep a few
///   MiB of free but resident blocks after the start's reads.
#[allow(unsafe_code)] // two FFI setters that take plain integers
extern "C" fn tune_allocators() {
    const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    // SAFETY: sets one option in mimalloc's static table; no memory is handed over.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) };
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: adjusts a glibc tunable; runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
