/** `Backend` over Tauri IPC: commands by `invoke`, core events by `listen`. */
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import {
  DESK_EVENT,
  isIpcError,
  type AlertSettings,
  type AppInfo,
  type Backend,
  type BlockRequest,
  type ChatMessage,
  type ConnectionStatus,
  type ConversationDetail,
  type CredentialsForm,
  type DeskEvent,
  type HistoryPage,
  type InboxPage,
  type InboxQuery,
  type IpcError,
  type PictureFile,
  type QuickReply,
  type ReplyRates,
  type SearchHit,
  type SearchQuery,
  type StoreSummary,
  type Unsubscribe,
} from './backend';

/** Calls a command and normalises whatever it rejects with into an `IpcError`. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
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
  appInfo = () => call<AppInfo>('app_info');
  listStores = () => call<StoreSummary[]>('list_stores');
  inboxPage = (query: InboxQuery) => call<InboxPage>('inbox_page', { query });
  conversationHistory = (conversationId: string, before: string | null, limit: number) =>
    call<HistoryPage>('conversation_history', { conversationId, before, limit });
  conversationDetail = (conversationId: string) => call<ConversationDetail>('conversation_detail', { conversationId });
  sendText = (conversationId: string, text: string) => call<ChatMessage>('send_text', { conversationId, text });
  sendImage = (conversationId: string, file: PictureFile) => call<ChatMessage>('send_image', { conversationId, file });
  blockCustomer = (conversationId: string, request: BlockRequest) => call<null>('block_customer', { conversationId, request });
  unblockCustomer = (conversationId: string) => call<null>('unblock_customer', { conversationId });
  retrySend = (messageKey: string) => call<ChatMessage>('retry_send', { messageKey });
  markRead = (conversationId: string) => call<null>('mark_read', { conversationId });
  searchMessages = (query: SearchQuery) => call<SearchHit[]>('search_messages', { query });
  listQuickReplies = (store: string | null) => call<QuickReply[]>('list_quick_replies', { store });
  saveQuickReply = (reply: QuickReply) => call<QuickReply>('save_quick_reply', { reply });
  deleteQuickReply = (id: number) => call<null>('delete_quick_reply', { id });
  setDraft = (conversationId: string, text: string) => call<null>('set_draft', { conversationId, text });
  connectionStatus = () => call<ConnectionStatus>('connection_status');
  replyRates = () => call<ReplyRates[]>('reply_rates');
  getAlertSettings = () => call<AlertSettings>('get_alert_settings');
  setAlertSettings = (settings: AlertSettings) => call<null>('set_alert_settings', { settings });
  setStoreMuted = (store: string, muted: boolean) => call<null>('set_store_muted', { store, muted });
  pauseAlerts = (minutes: number | null) => call<number | null>('pause_alerts', { minutes });
  alertsPausedUntil = () => call<number | null>('alerts_paused_until', {});
  saveCredentials = (form: CredentialsForm) => call<null>('save_credentials', { form });
  setUiLanguage = (code: string) => call<null>('set_ui_language', { code });

  onEvent(handler: (event: DeskEvent) => void): Unsubscribe {
    let active = true;
    // `listen` resolves asynchronously; remember the pending registration so an early
    // unsubscribe still detaches once it lands.
    const registration = listen<DeskEvent>(DESK_EVENT, (message) => {
      if (active) handler(message.payload);
    });
    return () => {
      if (!active) return;
      active = false;
      registration.then((unlisten) => unlisten()).catch(() => undefined);
    };
  }
}
