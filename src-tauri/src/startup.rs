//! Start-up failures in a native message box: a desk agent starts imdesk from a shortcut, so
//! a message only on a console is a message nobody reads. `IMDESK_NO_DIALOGS=1` (CI, headless
//! runs) keeps them on stderr only, where they always go as well.

/// Shows `detail` under `title` in a blocking error box (stderr too). Call it on the main
/// thread: GTK dialogs must run there.
pub fn show_error(title: &str, detail: &str) {
    eprintln!("{title}: {detail}");
    if std::env::var_os("IMDESK_NO_DIALOGS").is_some_and(|v| v == "1") {
        return;
    }
    let _ = rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title(title)
        .set_description(detail)
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
}
