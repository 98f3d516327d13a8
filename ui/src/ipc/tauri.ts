/** `Backend` over Tauri IPC: commands by `invoke`, core events by `listen`. */
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import {
  DESK_EVENT,
  UPDATE_EVENT,
  isIpcError,
  type Backend,
  type DeskEvent,
  type IpcError,
  type Unsubscribe,
  type UpdateStatus,
} from './backend';
import { COMMANDS } from './generated/commands';

type Command = keyof typeof COMMANDS;
/** The arguments of `C` by the names the Rust command declares (generated: a rename fails to compile). */
type Args<C extends Command> = { [K in (typeof COMMANDS)[C][number]]: unknown };
type ArgsParam<C extends Command> = (typeof COMMANDS)[C] extends readonly [] ? [] : [args: Args<C>];

/**
 * Calls a command and normalises whatever it rejects with into an `IpcError`. `T` is inferred
 * from the `Backend` method the call implements.
 */
async function call<C extends Command, T>(command: C, ...[args]: ArgsParam<C>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toIpcError(error);
  }
}

function toIpcError(error: unknown): IpcError {
  if (isIpcError(error)) return error;
  // Tauri itself rejects with a bare string when a command is missing or arguments do not deserialise.
  return { code: 'internal', message: typeof error === 'string' ? error : String(error) };
}

export class TauriBackend implements Backend {
  appInfo: Backend['appInfo'] = () => call('app_info');
  firstInboxPageShown: Backend['firstInboxPageShown'] = () => call('first_inbox_page_shown');
  listStores: Backend['listStores'] = () => call('list_stores');
  inboxPage: Backend['inboxPage'] = (query) => call('inbox_page', { query });
  conversationHistory: Backend['conversationHistory'] = (conversationId, before, limit) =>
    call('conversation_history', { conversationId, before, limit });
  conversationDetail: Backend['conversationDetail'] = (conversationId) => call('conversation_detail', { conversationId });
  sendText: Backend['sendText'] = (conversationId, text) => call('send_text', { conversationId, text });
  sendImage: Backend['sendImage'] = (conversationId, file) => call('send_image', { conversationId, file });
  blockCustomer: Backend['blockCustomer'] = (conversationId, request) => call('block_customer', { conversationId, request });
  unblockCustomer: Backend['unblockCustomer'] = (conversationId) => call('unblock_customer', { conversationId });
  retrySend: Backend['retrySend'] = (messageKey) => call('retry_send', { messageKey });
  markRead: Backend['markRead'] = (conversationId) => call('mark_read', { conversationId });
  searchMessages: Backend['searchMessages'] = (query) => call('search_messages', { query });
  listQuickReplies: Backend['listQuickReplies'] = (store) => call('list_quick_replies', { store });
  saveQuickReply: Backend['saveQuickReply'] = (reply) => call('save_quick_reply', { reply });
  deleteQuickReply: Backend['deleteQuickReply'] = (id) => call('delete_quick_reply', { id });
  setDraft: Backend['setDraft'] = (conversationId, text) => call('set_draft', { conversationId, text });
  connectionStatus: Backend['connectionStatus'] = () => call('connection_status');
  connectionDoctor: Backend['connectionDoctor'] = () => call('connection_doctor');
  diagnosticBundle: Backend['diagnosticBundle'] = () => call('diagnostic_bundle');
  exportConversation: Backend['exportConversation'] = (conversationId, format) =>
    call('export_conversation', { conversationId, format });
  exportStoreRange: Backend['exportStoreRange'] = (store, from, to, format) =>
    call('export_store_range', { store, from, to, format });
  exportDayReport: Backend['exportDayReport'] = (day) => call('export_day_report', { day });
  platformRates: Backend['platformRates'] = () => call('platform_rates');
  refreshPlatformRates: Backend['refreshPlatformRates'] = () => call('refresh_platform_rates');
  replyRates: Backend['replyRates'] = () => call('reply_rates');
  getAlertSettings: Backend['getAlertSettings'] = () => call('get_alert_settings');
  setAlertSettings: Backend['setAlertSettings'] = (settings) => call('set_alert_settings', { settings });
  setStoreMuted: Backend['setStoreMuted'] = (store, muted) => call('set_store_muted', { store, muted });
  storeIm: Backend['storeIm'] = (store) => call('store_im', { store });
  setStoreIm: Backend['setStoreIm'] = (store, open) => call('set_store_im', { store, open });
  robotSettings: Backend['robotSettings'] = (store) => call('robot_settings', { store });
  saveRobotSettings: Backend['saveRobotSettings'] = (stores, edit) => call('save_robot_settings', { stores, edit });
  storeReviews: Backend['storeReviews'] = (store, days) => call('store_reviews', { store, days });
  startReviewContact: Backend['startReviewContact'] = (store, commentId) =>
    call('start_review_contact', { store, commentId });
  storeFans: Backend['storeFans'] = (store) => call('store_fans', { store });
  createFansGroup: Backend['createFansGroup'] = (store, group) => call('create_fans_group', { store, group });
  startJoinCoupon: Backend['startJoinCoupon'] = (store, groupId, coupon) =>
    call('start_join_coupon', { store, groupId, coupon });
  sendFansCoupon: Backend['sendFansCoupon'] = (store, coupon) => call('send_fans_coupon', { store, coupon });
  pauseAlerts: Backend['pauseAlerts'] = (minutes) => call('pause_alerts', { minutes });
  alertsPausedUntil: Backend['alertsPausedUntil'] = () => call('alerts_paused_until');
  saveCredentials: Backend['saveCredentials'] = (form) => call('save_credentials', { form });
  getTeamSettings: Backend['getTeamSettings'] = () => call('get_team_settings');
  saveTeamSettings: Backend['saveTeamSettings'] = (form) => call('save_team_settings', { form });
  clearTeamSettings: Backend['clearTeamSettings'] = () => call('clear_team_settings');
  setUiLanguage: Backend['setUiLanguage'] = (code) => call('set_ui_language', { code });
  pendingCrashReport: Backend['pendingCrashReport'] = () => call('pending_crash_report');
  dismissCrashReport: Backend['dismissCrashReport'] = (file) => call('dismiss_crash_report', { file });
  updateStatus: Backend['updateStatus'] = () => call('update_status');
  installUpdate: Backend['installUpdate'] = (replying) => call('install_update', { replying });
  retentionSettings: Backend['retentionSettings'] = () => call('retention_settings');
  setRetentionSettings: Backend['setRetentionSettings'] = (settings) => call('set_retention_settings', { settings });
  pruneNow: Backend['pruneNow'] = () => call('prune_now');
  forgetCustomer: Backend['forgetCustomer'] = (conversationId) => call('forget_customer', { conversationId });
  wipeDesk: Backend['wipeDesk'] = () => call('wipe_desk');
  storedCredentials: Backend['storedCredentials'] = () => call('stored_credentials');
  exportDeskConfig: Backend['exportDeskConfig'] = () => call('export_desk_config');
  importDeskConfig: Backend['importDeskConfig'] = (text) => call('import_desk_config', { text });
  parseStoreCsv: Backend['parseStoreCsv'] = (text) => call('parse_store_csv', { text });
  claimConversation: Backend['claimConversation'] = (conversationId) => call('claim_conversation', { conversationId });
  transferConversation: Backend['transferConversation'] = (conversationId, to, revision) =>
    call('transfer_conversation', { conversationId, to, revision });
  setAgentStatus: Backend['setAgentStatus'] = (status) => call('set_agent_status', { status });
  setPresence: Backend['setPresence'] = (viewing, typing) => call('set_presence', { viewing, typing });
  listAgents: Backend['listAgents'] = () => call('list_agents');
  assignmentSettings: Backend['assignmentSettings'] = () => call('assignment_settings');
  setAssignmentSettings: Backend['setAssignmentSettings'] = (settings) => call('set_assignment_settings', { settings });
  saveSharedQuickReply: Backend['saveSharedQuickReply'] = (id, title, text) =>
    call('save_shared_quick_reply', { id, title, text });
  deleteSharedQuickReply: Backend['deleteSharedQuickReply'] = (id) => call('delete_shared_quick_reply', { id });
  supervisorWall: Backend['supervisorWall'] = () => call('supervisor_wall');

  onEvent(handler: (event: DeskEvent) => void): Unsubscribe {
    return subscribe(DESK_EVENT, handler);
  }

  onUpdateStatus(handler: (status: UpdateStatus) => void): Unsubscribe {
    return subscribe(UPDATE_EVENT, handler);
  }
}

function subscribe<T>(event: string, handler: (payload: T) => void): Unsubscribe {
  let active = true;
  // `listen` resolves asynchronously; remember the pending registration so an early
  // unsubscribe still detaches once it lands.
  const registration = listen<T>(event, (message) => {
    if (active) handler(message.payload);
  });
  return () => {
    if (!active) return;
    active = false;
    registration.then((unlisten) => unlisten()).catch(() => undefined);
  };
}
