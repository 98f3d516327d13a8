//! How the webview draws on Linux: without WebKitGTK's accelerated compositing.
//!
//! By default WebKitGTK composites the page through OpenGL: on a desk without a usable GPU
//! driver (a virtual desktop, a remote session, most office PCs' fallback) that is Mesa's
//! llvmpipe, which maps LLVM into both the app and the web process and keeps a GL surface per
//! composited layer. The desk is lists and text; drawn in software, the whole window measured
//! 86 MiB less idle PSS on the 1M-message demo cache (web process 214 -> 128 MiB, app
//! 154 -> 145 MiB; `scripts/bench-gui.sh`, Xvfb) and reached its first inbox page sooner.
//!
//! `WEBKIT_DISABLE_COMPOSITING_MODE` is WebKitGTK's own switch, read by the app and by the web
//! process it spawns. A value already in the environment wins, so an IT person gets GPU
//! compositing back with `WEBKIT_DISABLE_COMPOSITING_MODE=0`. Other platforms' webviews
//! (WebView2, WKWebView) do not read it.

/// WebKitGTK's switch for accelerated compositing.
pub const COMPOSITING_SWITCH: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Turns WebKitGTK's accelerated compositing off unless the environment already decides.
/// Call first in `main`, before any thread exists: it writes the process environment.
pub fn draw_in_software() {
    if cfg!(target_os = "linux") && std::env::var_os(COMPOSITING_SWITCH).is_none() {
        std::env::set_var(COMPOSITING_SWITCH, "1");
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    // One test: the process environment is shared by every test thread of this binary, and
    // no other test reads the switch.
    #[test]
    fn software_drawing_is_the_default_and_a_value_already_set_wins() {
        std::env::remove_var(COMPOSITING_SWITCH);
        draw_in_software();
        assert_eq!(std::env::var(COMPOSITING_SWITCH).as_deref(), Ok("1"));

        std::env::set_var(COMPOSITING_SWITCH, "0");
        draw_in_software();
        assert_eq!(std::env::var(COMPOSITING_SWITCH).as_deref(), Ok("0"));
        std::env::remove_var(COMPOSITING_SWITCH);
    }
}
