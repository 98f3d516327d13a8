//! The imdesk desktop shell.
//!
//! This crate is a shell in the GitButler sense: it registers commands, bridges the engine's
//! events to the webview and owns what only a desktop app has (window, tray, notifications,
//! sounds, keyring). Business rules live in `imdesk-core`; each command calls one engine
//! method and maps its error.

mod bench_marks;
mod commands;
mod host;
mod instance;
mod keyring_store;
mod logging;
mod notifier;
mod painting;
mod paths;
mod review_commands;
mod settings;
mod sink;
mod startup;
mod tray;
mod updates;
mod wipe;

use std::process::ExitCode;
use std::sync::Arc;

use imdesk_core::DeskConfig;
use tauri::Manager;

use crate::host::DeskHost;

/// Starts the desktop app and blocks until its last window closes.
pub fn run() -> ExitCode {
    // Before any thread starts: the web processes inherit it (see `painting`).
    painting::prepare();
    let paths = match paths::AppPaths::resolve() {
        Ok(paths) => paths,
        Err(e) => {
            startup::show_error(
                "imdesk 无法启动 / imdesk cannot start",
                &format!("无法确定数据目录 / cannot determine the data directory: {e}"),
            );
            return ExitCode::FAILURE;
        }
    };
    let log_guard = logging::init(&paths);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), data_dir = %paths.data_dir.display(), "imdesk starting");

    let config = match load_config(&paths) {
        Ok(config) => config,
        Err(e) => {
            tracing::error!(error = %e, "configuration unreadable");
            startup::show_error(
                "imdesk 无法启动 / imdesk cannot start",
                &format!("配置无法读取 / configuration unreadable: {e}"),
            );
            return ExitCode::FAILURE;
        }
    };
    let host = Arc::new(DeskHost::new(&config));
    let wipe = wipe::Wipe::new(&config);
    let updates = Arc::new(updates::Updates::default());

    // The window comes back where the agent left it: size, position and maximised state (not
    // visibility, so a window closed to the tray still opens on launch).
    let window_state = tauri_plugin_window_state::Builder::default()
        .with_state_flags(
            tauri_plugin_window_state::StateFlags::SIZE
                | tauri_plugin_window_state::StateFlags::POSITION
                | tauri_plugin_window_state::StateFlags::MAXIMIZED,
        )
        .build();
    let context = tauri::generate_context!();
    // First: a second launch must hand over and exit before anything else starts.
    let single_instance = instance::plugin(&context.config().identifier, &paths.data_dir);
    let result = tauri::Builder::default()
        .plugin(single_instance)
        .plugin(window_state)
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(host.clone())
        .manage(paths.clone())
        .manage(settings::UiLanguage::default())
        .manage(wipe.clone())
        .manage(updates.clone())
        .setup(move |app| {
            let handle = app.handle().clone();
            // The webview's storage (localStorage, caches, cookies) lives in the data
            // directory, not in the platform's per-app one: a data directory is the whole of
            // a desk's state, and wiping it (设置 → 数据保留) leaves nothing behind.
            if let Some(window) = app.config().app.windows.first() {
                tauri::WebviewWindowBuilder::from_config(&handle, window)?
                    .data_directory(paths.data_dir.join(wipe::WEBVIEW_DIR))
                    .build()?;
            }
            let notifier = Arc::new(notifier::Notifier::new(handle.clone()));
            let sink = Arc::new(sink::ShellSink::new(handle.clone(), notifier));
            tray::install(&handle);
            updates::spawn(handle.clone(), updates.clone());
            let host = host.clone();
            tauri::async_runtime::spawn(async move {
                if let Some(e) = host.start(config, &paths, sink).await {
                    let detail = format!("引擎无法启动 / the engine cannot start: {}", e.message);
                    // GTK dialogs run on the main thread; the window stays usable meanwhile.
                    let _ = handle.run_on_main_thread(move || {
                        startup::show_error("imdesk 无法启动 / imdesk cannot start", &detail);
                    });
                }
                tray::refresh(&handle);
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::list_stores,
            commands::inbox_page,
            commands::conversation_history,
            commands::conversation_detail,
            commands::send_text,
            commands::send_image,
            commands::block_customer,
            commands::unblock_customer,
            commands::retry_send,
            commands::mark_read,
            commands::search_messages,
            commands::list_quick_replies,
            commands::save_quick_reply,
            commands::delete_quick_reply,
            commands::set_draft,
            commands::connection_status,
            commands::connection_doctor,
            commands::diagnostic_bundle,
            commands::reply_rates,
            commands::export_conversation,
            commands::export_store_range,
            commands::export_day_report,
            commands::platform_rates,
            commands::refresh_platform_rates,
            commands::get_alert_settings,
            commands::set_alert_settings,
            commands::set_store_muted,
            commands::store_im,
            commands::set_store_im,
            commands::robot_settings,
            commands::save_robot_settings,
            review_commands::store_reviews,
            review_commands::start_review_contact,
            review_commands::store_fans,
            review_commands::create_fans_group,
            review_commands::start_join_coupon,
            review_commands::send_fans_coupon,
            commands::pause_alerts,
            commands::alerts_paused_until,
            commands::save_credentials,
            commands::get_team_settings,
            commands::save_team_settings,
            commands::clear_team_settings,
            commands::set_ui_language,
            commands::pending_crash_report,
            commands::dismiss_crash_report,
            commands::update_status,
            commands::install_update,
            commands::retention_settings,
            commands::set_retention_settings,
            commands::prune_now,
            commands::forget_customer,
            commands::wipe_desk,
            commands::claim_conversation,
            commands::transfer_conversation,
            commands::set_agent_status,
            commands::set_presence,
            commands::list_agents,
            commands::assignment_settings,
            commands::set_assignment_settings,
            commands::save_shared_quick_reply,
            commands::delete_shared_quick_reply,
            commands::supervisor_wall,
            commands::parse_store_csv,
            commands::stored_credentials,
            commands::export_desk_config,
            commands::import_desk_config,
            commands::first_inbox_page_shown,
        ])
        .build(context);
    let app = match result {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "the window could not be started");
            startup::show_error(
                "imdesk 无法启动 / imdesk cannot start",
                &format!("无法打开窗口 / cannot open the window: {e}"),
            );
            return ExitCode::FAILURE;
        }
    };
    let data_dir = app.state::<paths::AppPaths>().data_dir.clone();
    app.run_return(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            let host = handle.state::<Arc<DeskHost>>().inner().clone();
            tauri::async_runtime::block_on(host.shutdown());
        }
    });
    if wipe.requested() {
        // Last: the engine, the window and its web processes are gone, and the log file is
        // closed, so nothing writes into the directory while (or after) it is removed.
        drop(log_guard);
        return wipe::remove_data_dir(&data_dir);
    }
    drop(log_guard);
    ExitCode::SUCCESS
}

/// The engine's configuration as a start reads it: the config file and `IMDESK_*`, secrets
/// from the OS keyring, and (设置 → 团队模式) the team server and its credentials from the
/// keyring when neither the environment nor the file name a team. The crash reporter learns
/// the secrets to scrub. Also what a reload after saving credentials reads.
pub(crate) fn load_config(paths: &paths::AppPaths) -> Result<DeskConfig, String> {
    let mut config = DeskConfig::load_default().map_err(|e| e.to_string())?;
    config.fill_secrets(&keyring_store::OsKeyring);
    let agent = std::env::var("IMDESK_AGENT")
        .ok()
        .filter(|a| !a.trim().is_empty())
        .or_else(|| {
            DeskConfig::default_path()
                .as_deref()
                .and_then(imdesk_core::team_settings::file_agent)
        });
    let setup = DeskConfig::default_path()
        .as_deref()
        .map(imdesk_core::team_settings::file_setup)
        .unwrap_or_default();
    if let Err(e) = imdesk_core::team_settings::fill_team(
        &mut config,
        &keyring_store::OsKeyring,
        agent,
        setup,
        &paths.data_dir,
    ) {
        tracing::error!(error = %e, "the team's credentials file could not be written");
    }
    let mut secrets = imdesk_core::crash::secrets_of(&config);
    secrets.extend(config.team.iter().map(|t| t.url.clone()));
    imdesk_core::crash::set_secrets(secrets);
    Ok(config)
}
