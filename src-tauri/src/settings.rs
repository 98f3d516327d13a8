//! Per-window preferences the shell needs itself: the UI language, for notification text.

use std::sync::RwLock;

use imdesk_core::alerts::Lang;
use tauri::{AppHandle, Manager};

/// The language the user chose in the UI (`zh-CN` by default).
#[derive(Debug)]
pub struct UiLanguage(pub RwLock<String>);

impl Default for UiLanguage {
    fn default() -> Self {
        Self(RwLock::new("zh-CN".to_owned()))
    }
}

/// The notification language for the current UI language.
pub fn ui_lang(app: &AppHandle) -> Lang {
    let code = app
        .try_state::<UiLanguage>()
        .and_then(|l| l.0.read().ok().map(|s| s.clone()))
        .unwrap_or_default();
    crate::sink::lang_from_code(&code)
}
