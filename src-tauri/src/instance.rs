//! One window per data directory. A second launch hands its arguments to the running app (over
//! the session D-Bus on Linux, through `tauri-plugin-single-instance`) and exits before it
//! starts an engine; the running app comes forward and, given `--conversation <id>`, opens that
//! conversation. The database's writer lock (`imdesk-store`) stays the last line of defence
//! where the handover cannot work (no session bus): the second engine is refused, not run.

use std::path::Path;

use imdesk_core::view::ConversationId;
use tauri::{plugin::TauriPlugin, AppHandle, Wry};

/// The command-line option that names a conversation to open.
pub const CONVERSATION_FLAG: &str = "--conversation";

/// The plugin, keyed by the data directory: two desks with different `IMDESK_DATA_DIR`s are
/// two instances (a portable install beside the normal one, or tests), one directory is one.
pub fn plugin(identifier: &str, data_dir: &Path) -> TauriPlugin<Wry> {
    tauri_plugin_single_instance::Builder::new()
        .dbus_id(dbus_id(identifier, data_dir))
        .callback(|app: &AppHandle, argv: Vec<String>, _cwd: String| {
            tracing::info!("a second launch handed over to this window");
            match conversation_arg(&argv) {
                Some(id) => crate::notifier::focus_conversation(app, id),
                None => crate::notifier::show_window(app),
            }
        })
        .build()
}

/// A D-Bus name for this data directory: the app identifier plus a stable hash of the path
/// (a name element may not start with a digit, hence the `d`). FNV-1a rather than std's
/// hasher, whose output may change between Rust releases: two builds must agree on the name.
fn dbus_id(identifier: &str, data_dir: &Path) -> String {
    let dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in dir.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{identifier}.d{hash:016x}")
}

/// The conversation named by `--conversation <id>` or `--conversation=<id>` in `argv` (the
/// program name first, as `std::env::args` gives it). An empty, over-long or control-character
/// id is ignored: it comes from whatever launched us and only ever selects an inbox row.
pub fn conversation_arg(argv: &[String]) -> Option<ConversationId> {
    let mut args = argv.iter().skip(1);
    while let Some(arg) = args.next() {
        let id = if arg == CONVERSATION_FLAG {
            args.next().map(String::as_str)
        } else if let Some(value) = arg.strip_prefix("--conversation=") {
            Some(value)
        } else {
            continue;
        };
        return id
            .filter(|id| !id.is_empty() && id.len() <= 256 && !id.chars().any(char::is_control))
            .map(str::to_owned);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<String> {
        std::iter::once("imdesk")
            .chain(args.iter().copied())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_conversation_comes_from_either_spelling() {
        assert_eq!(
            conversation_arg(&argv(&["--conversation", "c-42"])).as_deref(),
            Some("c-42")
        );
        assert_eq!(
            conversation_arg(&argv(&["--conversation=c-42"])).as_deref(),
            Some("c-42")
        );
        assert_eq!(
            conversation_arg(&argv(&["--other", "--conversation", "会话"])).as_deref(),
            Some("会话")
        );
    }

    #[test]
    fn no_or_bad_conversation_is_none() {
        assert_eq!(conversation_arg(&argv(&[])), None);
        assert_eq!(conversation_arg(&argv(&["--conversation"])), None);
        assert_eq!(conversation_arg(&argv(&["--conversation="])), None);
        assert_eq!(conversation_arg(&argv(&["--conversation", "a\nb"])), None);
        let long = "x".repeat(300);
        assert_eq!(conversation_arg(&argv(&["--conversation", &long])), None);
        // The program name is never read as an argument.
        assert_eq!(conversation_arg(&["--conversation=x".to_owned()]), None);
    }

    #[test]
    fn the_dbus_id_is_per_data_dir_and_a_valid_name() {
        let a = dbus_id("com.imdesk.desk", Path::new("/nonexistent/a"));
        let b = dbus_id("com.imdesk.desk", Path::new("/nonexistent/b"));
        assert_ne!(a, b);
        assert_eq!(a, dbus_id("com.imdesk.desk", Path::new("/nonexistent/a")));
        let last = a.rsplit('.').next().unwrap_or_default();
        assert!(last.starts_with('d') && last.len() == 17, "{a}");
    }
}
