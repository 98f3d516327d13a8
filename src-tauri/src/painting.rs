//! How WebKitGTK paints the window (Linux only; macOS and Windows have their own webviews).
//!
//! WebKitGTK 2.46+ paints a page's tiles with Skia on worker threads: by default one GPU
//! worker with its own GL context (and Skia's caches of textures, glyph atlases and compiled
//! shaders beside it), helped by a CPU worker when the GPU one is busy. imdesk's page is
//! text: rows, bubbles, counters. We ask for no GPU worker
//! (`WEBKIT_SKIA_GPU_PAINTING_THREADS=0`): the CPU worker paints every tile and the GPU still
//! composites them, so scrolling stays on the GPU. Measured with `scripts/bench-gui.sh`'s
//! runner on this kind of machine (Mesa's software GL): the web process ~35 MiB smaller and
//! more stable on a 1M-message cache, and the first inbox page sooner. An explicit
//! `WEBKIT_SKIA_GPU_PAINTING_THREADS` in the environment is left as it is (`=1` restores
//! WebKit's default), so an IT person can change it without a new build.

/// WebKitGTK's switch for its GPU painting workers, read once by each web process at start.
pub const GPU_PAINTING_THREADS: &str = "WEBKIT_SKIA_GPU_PAINTING_THREADS";

/// The value imdesk asks for when the environment does not say: no GPU painting worker.
pub const CPU_PAINTING: &str = "0";

/// The setting to add to the environment, if any, given what it already holds.
pub fn wanted(existing: Option<&std::ffi::OsStr>) -> Option<(&'static str, &'static str)> {
    match existing {
        Some(_) => None,
        None => Some((GPU_PAINTING_THREADS, CPU_PAINTING)),
    }
}

/// Sets the painting switch for the web processes this app will start. Call it first in
/// `run`, while the process has one thread: the environment is not safe to change later.
pub fn prepare() {
    if cfg!(target_os = "linux") {
        if let Some((key, value)) = wanted(std::env::var_os(GPU_PAINTING_THREADS).as_deref()) {
            std::env::set_var(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn the_cpu_paints_unless_the_environment_already_says() {
        assert_eq!(wanted(None), Some((GPU_PAINTING_THREADS, "0")));
        assert_eq!(wanted(Some(OsStr::new("1"))), None);
        assert_eq!(wanted(Some(OsStr::new(""))), None);
    }
}
