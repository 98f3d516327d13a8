//! Tauri commands: each takes the shell state, calls one `imdesk-core` method and returns its
//! result or its `IpcError` (the one error shape that crosses IPC).

use std::sync::Arc;

use imdesk_core::alerts::{local_second_of_day, AlertSettings};
use imdesk_core::crash::PendingCrash;
use imdesk_core::export::{ExportFormat, ExportInfo};
use imdesk_core::platform::PlatformRatesPage;
use imdesk_core::robot::{RobotEdit, RobotSaveResult, RobotSettings};
use imdesk_core::store_admin::StoreIm;
use imdesk_core::team_settings::{TeamSettingsForm, TeamSettingsView};
use imdesk_core::updates::{install_gate, InstallGate, UpdateStatus};
use imdesk_core::view::{
    AgentPresence, AgentView, AppInfo, AssignmentView, BlockRequest, BundleInfo, ChatMessage,
    ClaimResult, ConnectionStatus, ConversationDetail, DoctorReport, ErrorCode, HistoryPage,
    InboxPage, InboxQuery, IpcError, PictureFile, QuickReply, ReplyRates, RetentionRun,
    RetentionSettings, RetentionView, SearchHit, SearchQuery, StoreSummary, SupervisorWall,
};
use imdesk_core::DeskOptions;
use tauri::State;

use crate::host::{internal, DeskHost};
use crate::paths::AppPaths;
use crate::settings::UiLanguage;
use crate::updates::Updates;

type Host<'a> = State<'a, Arc<DeskHost>>;
type Reply<T> = Result<T, IpcError>;

/// Version, data directory and mode of the running app.
#[tauri::command]
pub fn app_info(host: Host<'_>, paths: State<'_, AppPaths>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: paths.data_dir.display().to_string(),
        demo: host.is_demo(),
    }
}

/// The brand's stores with their counters.
#[tauri::command]
pub async fn list_stores(host: Host<'_>) -> Reply<Vec<StoreSummary>> {
    Ok(host.desk().await?.stores().await?)
}

/// One window of the inbox, ordered by reply deadline.
#[tauri::command]
pub async fn inbox_page(host: Host<'_>, query: InboxQuery) -> Reply<InboxPage> {
    Ok(host.desk().await?.inbox(query).await?)
}

/// History of one conversation before a cursor, oldest first.
#[tauri::command]
pub async fn conversation_history(
    host: Host<'_>,
    conversation_id: String,
    before: Option<String>,
    limit: u32,
) -> Reply<HistoryPage> {
    Ok(host
        .desk()
        .await?
        .history(&conversation_id, before, limit)
        .await?)
}

/// Queues a picture (pasted, dropped or picked) for a conversation.
#[tauri::command]
pub async fn send_image(
    host: Host<'_>,
    conversation_id: String,
    file: PictureFile,
) -> Reply<ChatMessage> {
    Ok(host
        .desk()
        .await?
        .send_image(&conversation_id, file)
        .await?)
}

/// Blocks the conversation's customer on the platform, with reason and evidence.
#[tauri::command]
pub async fn block_customer(
    host: Host<'_>,
    conversation_id: String,
    request: BlockRequest,
) -> Reply<()> {
    Ok(host
        .desk()
        .await?
        .block_customer(&conversation_id, request)
        .await?)
}

/// Lifts the block on the conversation's customer.
#[tauri::command]
pub async fn unblock_customer(host: Host<'_>, conversation_id: String) -> Reply<()> {
    Ok(host
        .desk()
        .await?
        .unblock_customer(&conversation_id)
        .await?)
}

/// Header, composer state and context cards of one conversation.
#[tauri::command]
pub async fn conversation_detail(
    host: Host<'_>,
    conversation_id: String,
) -> Reply<ConversationDetail> {
    Ok(host.desk().await?.detail(&conversation_id).await?)
}

/// Queues a text reply (durable in the outbox when this returns).
#[tauri::command]
pub async fn send_text(
    host: Host<'_>,
    conversation_id: String,
    text: String,
) -> Reply<ChatMessage> {
    Ok(host
        .desk()
        .await?
        .send_text(&conversation_id, &text)
        .await?)
}

/// Sends a failed reply again, with the same msg_id.
#[tauri::command]
pub async fn retry_send(host: Host<'_>, message_key: String) -> Reply<ChatMessage> {
    Ok(host.desk().await?.retry_send(&message_key).await?)
}

/// Marks a conversation read, locally and on the platform.
#[tauri::command]
pub async fn mark_read(host: Host<'_>, conversation_id: String) -> Reply<()> {
    Ok(host.desk().await?.mark_read(&conversation_id).await?)
}

/// Full-text search over the local cache, newest first.
#[tauri::command]
pub async fn search_messages(host: Host<'_>, query: SearchQuery) -> Reply<Vec<SearchHit>> {
    Ok(host.desk().await?.search(query).await?)
}

/// Quick replies of the brand and, when given, one store.
#[tauri::command]
pub async fn list_quick_replies(host: Host<'_>, store: Option<String>) -> Reply<Vec<QuickReply>> {
    Ok(host.desk().await?.quick_replies(store).await?)
}

/// Creates (id 0) or updates a quick reply.
#[tauri::command]
pub async fn save_quick_reply(host: Host<'_>, reply: QuickReply) -> Reply<QuickReply> {
    Ok(host.desk().await?.save_quick_reply(reply).await?)
}

/// Deletes a quick reply.
#[tauri::command]
pub async fn delete_quick_reply(host: Host<'_>, id: i64) -> Reply<()> {
    Ok(host.desk().await?.delete_quick_reply(id).await?)
}

/// Saves the composer draft of a conversation.
#[tauri::command]
pub async fn set_draft(host: Host<'_>, conversation_id: String, text: String) -> Reply<()> {
    Ok(host
        .desk()
        .await?
        .set_draft(&conversation_id, &text)
        .await?)
}

/// Health of the push connection.
#[tauri::command]
pub async fn connection_status(host: Host<'_>) -> Reply<ConnectionStatus> {
    Ok(host.desk().await?.connection_status())
}

/// The connection doctor (连接诊断): each store's token checked, sockets, clock, failed replies
/// and quarantined frames.
#[tauri::command]
pub async fn connection_doctor(host: Host<'_>) -> Reply<DoctorReport> {
    Ok(host.desk().await?.doctor().await?)
}

/// Writes a diagnostic bundle (the report and the redacted log, zipped) into
/// `<data dir>/diagnostics`; returns where it is.
#[tauri::command]
pub async fn diagnostic_bundle(host: Host<'_>, paths: State<'_, AppPaths>) -> Reply<BundleInfo> {
    let dir = paths.data_dir.join("diagnostics");
    // Today's and yesterday's files: enough for "it broke last night" without a huge zip.
    let logs = imdesk_core::logs::log_files(&paths.log_dir)
        .into_iter()
        .take(2)
        .collect();
    Ok(host.desk().await?.diagnostic_bundle(&dir, logs).await?)
}

/// Where exports go: `<data dir>/exports` (the UI shows the file's full path).
fn export_dir(paths: &AppPaths) -> std::path::PathBuf {
    paths.data_dir.join("exports")
}

/// Writes one conversation into `<data dir>/exports` as CSV or JSON lines.
#[tauri::command]
pub async fn export_conversation(
    host: Host<'_>,
    paths: State<'_, AppPaths>,
    conversation_id: String,
    format: ExportFormat,
) -> Reply<ExportInfo> {
    let desk = host.desk().await?;
    Ok(desk
        .export_conversation(&export_dir(&paths), &conversation_id, format)
        .await?)
}

/// Writes a store's messages of the local days `from`..=`to` into `<data dir>/exports`.
#[tauri::command]
pub async fn export_store_range(
    host: Host<'_>,
    paths: State<'_, AppPaths>,
    store: String,
    from: String,
    to: String,
    format: ExportFormat,
) -> Reply<ExportInfo> {
    let desk = host.desk().await?;
    Ok(desk
        .export_store_range(&export_dir(&paths), &store, &from, &to, format)
        .await?)
}

/// Writes the report of one local day (per store: customers, replies, rates) as CSV.
#[tauri::command]
pub async fn export_day_report(
    host: Host<'_>,
    paths: State<'_, AppPaths>,
    day: String,
) -> Reply<ExportInfo> {
    let desk = host.desk().await?;
    Ok(desk.export_day_report(&export_dir(&paths), &day).await?)
}

/// Local and platform reply rates of the brand and each store.
#[tauri::command]
pub async fn reply_rates(host: Host<'_>) -> Reply<Vec<ReplyRates>> {
    Ok(host.desk().await?.reply_rates().await?)
}

/// The rates page (平台回复率): the platform's figures and ours, rights, 30 days of history.
#[tauri::command]
pub async fn platform_rates(host: Host<'_>) -> Reply<PlatformRatesPage> {
    Ok(host.desk().await?.platform_rates_page().await?)
}

/// Fetches every store's platform rates and rights now, then the rates page.
#[tauri::command]
pub async fn refresh_platform_rates(host: Host<'_>) -> Reply<PlatformRatesPage> {
    Ok(host.desk().await?.refresh_platform_rates().await?)
}

/// The notification policy's settings.
#[tauri::command]
pub async fn get_alert_settings(host: Host<'_>) -> Reply<AlertSettings> {
    Ok(host.desk().await?.alert_settings().await?)
}

/// Replaces the notification policy's settings.
#[tauri::command]
pub async fn set_alert_settings(host: Host<'_>, settings: AlertSettings) -> Reply<()> {
    Ok(host.desk().await?.set_alert_settings(settings).await?)
}

/// Mutes or unmutes one store's (non-urgent) notifications.
#[tauri::command]
pub async fn set_store_muted(host: Host<'_>, store: String, muted: bool) -> Reply<()> {
    Ok(host.desk().await?.set_store_muted(&store, muted).await?)
}

/// A store's IM switch, read from the platform now (the store page).
#[tauri::command]
pub async fn store_im(host: Host<'_>, store: String) -> Reply<StoreIm> {
    Ok(host.desk().await?.store_im(&store).await?)
}

/// Turns a store's IM on or off (the UI has asked the agent to confirm).
#[tauri::command]
pub async fn set_store_im(host: Host<'_>, store: String, open: bool) -> Reply<StoreIm> {
    Ok(host.desk().await?.set_store_im(&store, open).await?)
}

/// A store's auto-reply robot as the platform holds it.
#[tauri::command]
pub async fn robot_settings(host: Host<'_>, store: String) -> Reply<RobotSettings> {
    Ok(host.desk().await?.robot_settings(&store).await?)
}

/// Saves one robot edit on one or many stores; the result of each store.
#[tauri::command]
pub async fn save_robot_settings(
    host: Host<'_>,
    stores: Vec<String>,
    edit: RobotEdit,
) -> Reply<Vec<RobotSaveResult>> {
    Ok(host.desk().await?.save_robot_settings(stores, edit).await?)
}

/// Pauses non-urgent notifications for `minutes` (resumes them with `null`); returns the end of
/// the pause (UTC ms). Urgent alerts still come.
#[tauri::command]
pub async fn pause_alerts(host: Host<'_>, minutes: Option<u32>) -> Reply<Option<i64>> {
    Ok(host.desk().await?.pause_alerts_for(minutes))
}

/// The end of the pause in force (UTC ms), or `null`.
#[tauri::command]
pub async fn alerts_paused_until(host: Host<'_>) -> Reply<Option<i64>> {
    Ok(host.desk().await?.alerts_paused_until())
}

/// The stored credentials for the form: ids, names and whether each secret is in the keyring
/// (never a secret), so that adding one store needs only its token.
#[tauri::command]
pub fn stored_credentials() -> imdesk_core::credentials::StoredCredentials {
    match imdesk_core::DeskConfig::default_path() {
        Some(path) => {
            imdesk_core::credentials::stored_credentials(&path, &crate::keyring_store::OsKeyring)
        }
        None => imdesk_core::credentials::StoredCredentials {
            developer_id: None,
            sign_key_stored: false,
            stores: Vec::new(),
        },
    }
}

/// Writes this desk's configuration without a secret into `<data dir>/exports`, for the next
/// desk; returns the file's path.
#[tauri::command]
pub fn export_desk_config(paths: State<'_, AppPaths>) -> Reply<String> {
    let text = imdesk_core::credentials::export_desk_config(&config_path()?)?;
    let file = export_dir(&paths).join("imdesk-desk-config.toml");
    let written =
        std::fs::create_dir_all(export_dir(&paths)).and_then(|()| std::fs::write(&file, text));
    written.map_err(|e| internal(format!("{}: {e}", file.display())))?;
    Ok(file.display().to_string())
}

/// Takes another desk's exported configuration (the file's text) into this desk's config
/// file; refused whole when it carries a secret or does not load. Applies at the next start.
#[tauri::command]
pub fn import_desk_config(text: String) -> Reply<()> {
    imdesk_core::credentials::import_desk_config(&text, &config_path()?)?;
    tracing::info!("a desk configuration was imported; it applies at the next start");
    Ok(())
}

/// Reads a brand's store list from a CSV file's text (epoi_id, name, businessId) for the
/// credentials form; tokens are entered afterwards. Refusals name the row.
#[tauri::command]
pub fn parse_store_csv(text: String) -> Reply<Vec<imdesk_core::credentials::StoreEntryForm>> {
    Ok(imdesk_core::credentials::parse_store_csv(&text)?)
}

/// Saves real credentials: each store whose token or authorisation code was entered is
/// authorised and checked with a harmless read first (a refusal names the store and nothing
/// is saved); then secrets go to the OS keyring, the rest to the config file, and the engine
/// is reloaded with them, without restarting the app. Nothing secret is sent back.
#[tauri::command]
pub async fn save_credentials(
    host: Host<'_>,
    paths: State<'_, AppPaths>,
    form: imdesk_core::credentials::CredentialsForm,
) -> Reply<()> {
    let path = config_path()?;
    // The gateway this desk talks to (`IMDESK_GATEWAY_URL`, the config file, or Meituan's).
    let current = imdesk_core::DeskConfig::load_default()
        .map_err(|e| internal(format!("configuration unreadable: {e}")))?;
    let keyring = crate::keyring_store::OsKeyring;
    let authorised = imdesk_core::onboarding::authorise(&form, &current, &keyring).await?;
    imdesk_core::onboarding::save_authorised(&form, &authorised, &path, Arc::new(keyring))?;
    tracing::info!(
        stores = form.stores.len(),
        checked = authorised.len(),
        "credentials saved; the engine reloads with them"
    );
    let config = crate::load_config(&paths)
        .map_err(|e| internal(format!("configuration unreadable: {e}")))?;
    match host.reload(config).await {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn config_path() -> Reply<std::path::PathBuf> {
    imdesk_core::DeskConfig::default_path()
        .ok_or_else(|| internal("this platform has no config directory".to_owned()))
}

/// 设置 → 团队模式 as the page may see it: whether a server URL (password masked) and NATS
/// credentials are stored, the agent's name, and the team this window is a desk of now.
#[tauri::command]
pub fn get_team_settings(host: Host<'_>) -> TeamSettingsView {
    let path = imdesk_core::DeskConfig::default_path();
    imdesk_core::team_settings::view(
        &crate::keyring_store::OsKeyring,
        path.as_deref(),
        host.team().as_ref(),
    )
}

/// Saves the team server's URL and NATS credentials to the OS keyring and the agent's name to
/// the config file; they apply at the next start. Nothing secret is sent back.
#[tauri::command]
pub fn save_team_settings(host: Host<'_>, form: TeamSettingsForm) -> Reply<TeamSettingsView> {
    let path = config_path()?;
    imdesk_core::team_settings::save_team_settings(&form, &path, &crate::keyring_store::OsKeyring)?;
    tracing::info!("team settings saved; they apply at the next start");
    Ok(imdesk_core::team_settings::view(
        &crate::keyring_store::OsKeyring,
        Some(&path),
        host.team().as_ref(),
    ))
}

/// Leaves team mode: forgets the stored URL and credentials, the team keys of the config file
/// and the credentials file written at start. Applies at the next start.
#[tauri::command]
pub fn clear_team_settings(host: Host<'_>, paths: State<'_, AppPaths>) -> Reply<TeamSettingsView> {
    let path = config_path()?;
    imdesk_core::team_settings::clear_team_settings(
        &path,
        &crate::keyring_store::OsKeyring,
        &paths.data_dir.join(imdesk_core::team_settings::CREDS_FILE),
    )?;
    tracing::info!("team settings cleared; solo mode applies at the next start");
    Ok(imdesk_core::team_settings::view(
        &crate::keyring_store::OsKeyring,
        Some(&path),
        host.team().as_ref(),
    ))
}

/// Tells the shell which language the UI shows, so notifications and the tray match it.
#[tauri::command]
pub fn set_ui_language(app: tauri::AppHandle, lang: State<'_, UiLanguage>, code: String) {
    if let Ok(mut current) = lang.0.write() {
        *current = code;
    }
    crate::tray::relabel(&app);
}

/// The newest crash report of an earlier run that the agent has not dismissed (redacted when
/// it was written), for the notice shown at start; `None` when there is none.
#[tauri::command]
pub fn pending_crash_report(paths: State<'_, AppPaths>) -> Option<PendingCrash> {
    imdesk_core::crash::pending(&paths.crash_dir)
}

/// Marks a crash report seen ("忽略" / "Dismiss"); the file stays for a support ticket.
#[tauri::command]
pub fn dismiss_crash_report(paths: State<'_, AppPaths>, file: String) -> Reply<()> {
    imdesk_core::crash::dismiss(&paths.crash_dir, &file).map_err(|e| IpcError {
        code: ErrorCode::Invalid,
        message: format!("cannot dismiss crash report {file}: {e}"),
        platform_msg: None,
    })
}

/// What the updater has found: nothing, downloading, verified and ready, or refused.
#[tauri::command]
pub fn update_status(updates: State<'_, Arc<Updates>>) -> UpdateStatus {
    updates.status()
}

/// 安装更新: installs the verified update and restarts, unless a peak is running or the agent
/// is `replying` (text in the composer or a reply still sending); then says which.
#[tauri::command]
pub async fn install_update(
    app: tauri::AppHandle,
    host: Host<'_>,
    updates: State<'_, Arc<Updates>>,
    replying: bool,
) -> Reply<InstallGate> {
    let settings = host.desk().await?.alert_settings().await?;
    // The desk's own clock and UTC offset, so "peak" means what the alerts mean by it.
    let options = DeskOptions::default();
    let second = local_second_of_day(options.clock.now(), options.utc_offset_secs);
    let gate = install_gate(&settings, second, replying);
    updates
        .install_if(&app, gate)
        .map_err(|e| internal(format!("the update could not be installed: {}", e.0)))
}

/// 设置 → 数据保留: the retention settings and the last pruning run.
#[tauri::command]
pub async fn retention_settings(host: Host<'_>) -> Reply<RetentionView> {
    Ok(host.desk().await?.retention().await?)
}

/// Saves the retention settings; the next daily run applies them.
#[tauri::command]
pub async fn set_retention_settings(
    host: Host<'_>,
    settings: RetentionSettings,
) -> Reply<RetentionView> {
    Ok(host.desk().await?.set_retention(settings).await?)
}

/// Prunes what is past its retention now.
#[tauri::command]
pub async fn prune_now(host: Host<'_>) -> Reply<RetentionRun> {
    Ok(host.desk().await?.prune_now().await?)
}

/// 忘记此顾客: deletes everything of the customer of a two-party conversation.
#[tauri::command]
pub async fn forget_customer(host: Host<'_>, conversation_id: String) -> Reply<()> {
    Ok(host.desk().await?.forget_customer(&conversation_id).await?)
}

/// 清除本机数据: stops the engine, deletes the keyring entries and quits; the data directory
/// (database, logs, the webview's storage) is removed once the window is closed.
#[tauri::command]
pub async fn wipe_desk(
    app: tauri::AppHandle,
    host: Host<'_>,
    wipe: State<'_, crate::wipe::Wipe>,
) -> Reply<()> {
    host.shutdown().await;
    request_wipe(&wipe)?;
    tracing::warn!("wiping this desk: keyring entries deleted; the data directory goes at exit");
    app.exit(0);
    Ok(())
}

fn request_wipe(wipe: &crate::wipe::Wipe) -> Reply<()> {
    // The configuration as saved now: stores added since the start have entries too.
    let current = imdesk_core::DeskConfig::load_default().ok();
    wipe.request(&crate::keyring_store::OsKeyring, current.as_ref())
        .map_err(|reason| internal(format!("keyring: {reason}")))
}

/// Team mode: claims a conversation (认领) for this desk's agent.
#[tauri::command]
pub async fn claim_conversation(host: Host<'_>, conversation_id: String) -> Reply<ClaimResult> {
    Ok(host.desk().await?.claim(&conversation_id).await?)
}

/// Team mode: hands a conversation to `to` (`None`: back to the queue), against the owner
/// record's `revision` the agent saw.
#[tauri::command]
pub async fn transfer_conversation(
    host: Host<'_>,
    conversation_id: String,
    to: Option<String>,
    revision: Option<u64>,
) -> Reply<ClaimResult> {
    Ok(host
        .desk()
        .await?
        .transfer(&conversation_id, to, revision)
        .await?)
}

/// Team mode: this agent's status (online, busy, away).
#[tauri::command]
pub async fn set_agent_status(host: Host<'_>, status: AgentPresence) -> Reply<()> {
    Ok(host.desk().await?.set_agent_status(status)?)
}

/// Team mode: the conversation on screen and the one typed in, for colleagues.
#[tauri::command]
pub async fn set_presence(
    host: Host<'_>,
    viewing: Option<String>,
    typing: Option<String>,
) -> Reply<()> {
    let desk = host.desk().await?;
    desk.set_viewing(viewing.as_deref())?;
    Ok(desk.set_typing(typing.as_deref())?)
}

/// Team mode: the agents with their presence and open conversations.
#[tauri::command]
pub async fn list_agents(host: Host<'_>) -> Reply<Vec<AgentView>> {
    Ok(host.desk().await?.agents()?)
}

/// Team mode: the brand's assignment settings.
#[tauri::command]
pub async fn assignment_settings(host: Host<'_>) -> Reply<AssignmentView> {
    Ok(host.desk().await?.assignment()?)
}

/// Team mode: changes the brand's assignment settings (supervisors).
#[tauri::command]
pub async fn set_assignment_settings(
    host: Host<'_>,
    settings: AssignmentView,
) -> Reply<AssignmentView> {
    Ok(host.desk().await?.set_assignment(settings).await?)
}

/// Team mode: creates or changes one of the brand's shared quick replies (supervisors).
#[tauri::command]
pub async fn save_shared_quick_reply(
    host: Host<'_>,
    id: Option<String>,
    title: String,
    text: String,
) -> Reply<QuickReply> {
    Ok(host
        .desk()
        .await?
        .save_shared_quick_reply(id, &title, &text)
        .await?)
}

/// Team mode: deletes one of the brand's shared quick replies (supervisors).
#[tauri::command]
pub async fn delete_shared_quick_reply(host: Host<'_>, id: String) -> Reply<()> {
    Ok(host.desk().await?.delete_shared_quick_reply(&id).await?)
}

/// Team mode: the supervisor's wall (主管看板).
#[tauri::command]
pub async fn supervisor_wall(host: Host<'_>) -> Reply<SupervisorWall> {
    Ok(host.desk().await?.supervisor_wall().await?)
}

/// The window painted its first inbox page: the engine's deferred start-up work may run now
/// ([`imdesk_core::StartGate`]). Also a marker for the GUI benchmark (`scripts/bench-gui.sh`),
/// printed on stderr only when `IMDESK_BENCH_MARKS=1`.
#[tauri::command]
pub fn first_inbox_page_shown(host: Host<'_>) {
    crate::bench_marks::mark("first-inbox-page");
    host.first_page_shown();
}
