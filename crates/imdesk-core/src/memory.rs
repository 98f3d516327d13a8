//! Allocator settings for the processes that run all day and idle most of it: the window,
//! headless desks and relays (and the benchmarks, which measure their code paths). Each binary
//! runs [`tune_allocators`] from its ELF constructors ([`tune_allocators_at_start!`]), before
//! its first allocation: mimalloc reserves its first arena on that allocation with the options
//! in force then.
//!
//! - mimalloc (Rust's heap): arenas are committed as they are used (`arena_eager_commit` 0)
//!   instead of whole at reservation, which mimalloc does by default where the OS overcommits
//!   (Linux). A committed arena is also offered to transparent huge pages, so a few live
//!   objects keep whole 2 MiB pages resident: on the window with the 1M-message demo cache,
//!   42–56 MiB of `AnonHugePages` at idle, none with this setting, and the process's PSS
//!   23–33 MiB lower (`/proc/<pid>/smaps_rollup`, three starts each). A setting in the
//!   environment (`MIMALLOC_ARENA_EAGER_COMMIT`) wins.
//! - glibc malloc (SQLite, GTK, WebKit's UI side): at most two arenas (`M_ARENA_MAX`). By
//!   default every thread that allocates may get an arena of its own, and the engine's
//!   threads each kept a few MiB of free but resident blocks after the start's reads.
//!   `MALLOC_ARENA_MAX` in the environment wins.
//!
//! Linux with glibc only: elsewhere mimalloc does not commit arenas up front and there are
//! no glibc arenas.

/// Declares the constructor entry that runs [`tune_allocators`] before the first allocation,
/// in a binary (or benchmark) that uses mimalloc. A numbered `.init_array` section runs before
/// the plain ones, where other crates' constructors (which allocate) are.
#[macro_export]
macro_rules! tune_allocators_at_start {
    () => {
        #[cfg(target_os = "linux")]
        #[used]
        #[allow(unsafe_code)] // a constructor entry: runs once, before main, without arguments
        #[link_section = ".init_array.00200"]
        static TUNE_ALLOCATORS: extern "C" fn() = $crate::memory::tune_allocators;
    };
}

/// `mi_option_arena_eager_commit`: the fifth entry of `mi_option_e` in mimalloc.h (v2 and
/// v3 alike).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Applies the settings above. Meant for a binary's constructor: it must not allocate (it
/// reads the environment with `getenv`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // getenv with static C strings and two setters taking plain integers
pub extern "C" fn tune_allocators() {
    // SAFETY: getenv reads the environment glibc set up before any constructor ran; the
    // arguments are NUL-terminated literals, and the pointers returned are only compared.
    let unset = |name: &std::ffi::CStr| unsafe { libc::getenv(name.as_ptr()).is_null() };
    if unset(c"MIMALLOC_ARENA_EAGER_COMMIT") {
        // SAFETY: sets one entry of mimalloc's static option table; no memory is handed over.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) };
    }
    if unset(c"MALLOC_ARENA_MAX") {
        // SAFETY: adjusts a glibc tunable; constructors run before any other thread exists.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
    }
}

/// Elsewhere there is nothing to tune.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub extern "C" fn tune_allocators() {}
