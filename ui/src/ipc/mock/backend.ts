/**
 * In-memory `Backend` for unit tests and for previewing the UI in a plain browser
 * (`npm run dev` outside Tauri). It never touches `@tauri-apps/api`. It behaves like the core
 * where the UI can tell: deadline ordering, filters, paging cursors, refusals with the same
 * error codes, coalesced `conversationsChanged` events, send states and read receipts, pictures
 * (sending → sent with a URL) and blocking customers.
 */
import type {
  AgentPresence,
  AgentView,
  AlertSettings,
  AppInfo,
  AssignmentView,
  ClaimResult,
  StoreEntryForm,
  StoredCredentials,
  SupervisorWall,
  TokenHealth,
  Backend,
  BlockRequest,
  BundleInfo,
  ChatMessage,
  ConnectionStatus,
  ConversationDetail,
  CredentialsForm,
  DeskEvent,
  DoctorReport,
  ExportFormat,
  ExportInfo,
  HistoryPage,
  InboxPage,
  InboxQuery,
  IpcError,
  PendingCrash,
  InstallGate,
  UpdateStatus,
  PlatformRatesPage,
  PictureFile,
  QuickReply,
  ReplyRates,
  RetentionRun,
  RobotEdit,
  RobotSaveResult,
  RobotSettings,
  StoreIm,
  FansCouponForm,
  JoinCouponForm,
  NewFansGroup,
  ReviewContact,
  SentFansCoupon,
  StoreFans,
  StoreReviews,
  RetentionSettings,
  RetentionView,
  SearchHit,
  SearchQuery,
  StoreSummary,
  TeamSettingsForm,
  TeamSettingsView,
  Unseen,
  Unsubscribe,
} from '../backend';
import { buildDemoBrand, nextMessageKey, previewOf, SCENES, type MockBrand, type MockConversation } from './brand';
import { canUpload, checkBlockRequest, checkPicture } from './pictures';
import { DEFAULT_ALERTS, MOCK_CLOCK } from './defaults';
import { demoBundle, demoDoctorReport } from './doctor';
import { compareRows, demoReplyRates, matchesFilter, rowAt } from './rules';
import { MockStoreAdmin } from './store-admin';
import { MockMarketing } from './marketing';
import { demoPlatformRates } from './platform-rates';

export type MockBackendOptions = {
  /** What `appInfo()` resolves with, or the `IpcError` it rejects with. */
  appInfo?: AppInfo | IpcError;
  /** The brand to serve; the seeded demo brand by default. */
  brand?: MockBrand;
  /** The core's clock (UTC ms). */
  clock?: () => number;
  /** Deliver sends, read receipts and customer replies on timers (browser preview). */
  live?: boolean;
};

/** A team as the mock keeps it (`MockBackend.team`; `null`: a solo desk). */
export type MockTeam = {
  me: string;
  supervisor: boolean;
  agents: AgentView[];
  owners: Map<string, { owner: string; revision: number }>;
  settings: AssignmentView;
  /** Colleagues on a conversation, by conversation id. */
  presence: Map<string, { viewing: string[]; typing: string[] }>;
  shared: QuickReply[];
  revision: number;
};

/** A small team: the agent `me`, two colleagues, manual assignment. */
export function mockTeam(me = '小王', supervisor = false): MockTeam {
  const agent = (name: string, status: AgentPresence, sup = false): AgentView => ({
    name,
    supervisor: sup,
    status,
    capacity: 8,
    open: 0,
    stores: [],
  });
  return {
    me,
    supervisor,
    agents: [agent(me, 'online', supervisor), agent('小李', 'online'), agent('老张', 'away')],
    owners: new Map(),
    settings: { mode: 'manual', graceSeconds: 60, closeAfterSeconds: 1800, revision: 1 },
    presence: new Map(),
    shared: [],
    revision: 1,
  };
}

export const PREVIEW_APP_INFO: AppInfo = { version: '0.0.0-preview', dataDir: '(browser preview)', demo: true };
export const MAX_TEXT = 500;

const isDay = (day: string) => /^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(Date.parse(`${day}T00:00:00Z`));
/** The local (webview) day of a UTC ms instant, `YYYY-MM-DD`. */
const localDay = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
const exportInfo = (name: string, format: ExportFormat, rows: number): Promise<ExportInfo> =>
  Promise.resolve({
    path: rows === 0 ? null : `/demo/data/exports/imdesk-${name}.${format === 'csv' ? 'csv' : 'jsonl'}`,
    rows,
  });
const fail = (code: string, message: string): Promise<never> => Promise.reject({ code, message } satisfies IpcError);
const copy = <T>(value: T): T => structuredClone(value);

export class MockBackend implements Backend {
  private readonly handlers = new Set<(event: DeskEvent) => void>();
  private readonly info: AppInfo | IpcError;
  readonly clock: () => number;
  readonly brand: MockBrand;
  private readonly byId = new Map<string, MockConversation>();
  private readonly live: boolean;
  private pendingIds = new Set<string>();
  private storesDirty = false;
  private flushScheduled = false;
  private failNext: string | null = null;
  /** How the next delivery ends in team mode instead of being sent (see `holdNextSend`). */
  private strandNext: { sendState: 'held'; unseen: Unseen } | { sendState: 'uncertain'; unseen: null } | null = null;
  private nextReplyId: number;
  /** Pictures queued but not yet "uploaded": message key → the URL they get once sent. */
  private readonly uploaded = new Map<string, string>();
  alerts: AlertSettings = copy(DEFAULT_ALERTS);
  /** Store token health by store, as the core reports it (tests set it). */
  readonly tokenHealth = new Map<string, TokenHealth>();
  /** Team mode (set by tests and the team preview); `null` is a solo desk. */
  team: MockTeam | null = null;
  /** End of the agent's notification pause (UTC ms), if one was asked for. */
  pausedUntil: number | null = null;
  connection: ConnectionStatus;
  /** Each store's IM switch and robot; `storeAdmin.failing` makes a store's token fail. */
  readonly storeAdmin: MockStoreAdmin;
  /** Reviews, review contacts and fans groups; `marketing.contactLocked` withholds the right. */
  readonly marketing: MockMarketing;
  /** Every command call, for tests that check what the UI asked (name and arguments). */
  readonly calls: { name: string; args: unknown[] }[] = [];

  constructor(options: MockBackendOptions = {}) {
    this.info = options.appInfo ?? PREVIEW_APP_INFO;
    this.clock = options.clock ?? (() => Date.now());
    this.brand = options.brand ?? buildDemoBrand({ now: this.clock() });
    for (const conversation of this.brand.conversations) this.byId.set(conversation.row.id, conversation);
    this.live = options.live ?? false;
    this.storeAdmin = new MockStoreAdmin(this.brand.stores, this.clock);
    this.marketing = new MockMarketing(this.brand.stores, this.clock, (store, groupId, commentId) =>
      this.addReviewContact(store, groupId, commentId),
    );
    this.nextReplyId = Math.max(0, ...this.brand.quickReplies.map((r) => r.id)) + 1;
    const sockets = [0, 1, 2].map((index) => ({ index, state: 'open' as const, lastFrameAt: this.clock(), reconnects: 0, quarantined: 0 }));
    this.connection = { state: 'online', sockets, quarantinedTotal: 0, team: null };
  }

  private record(name: string, ...args: unknown[]): void {
    this.calls.push({ name, args: copy(args) });
  }

  private conversation(id: string): MockConversation | undefined {
    return this.byId.get(id);
  }

  firstInboxPageShown(): Promise<void> {
    return Promise.resolve();
  }

  appInfo(): Promise<AppInfo> {
    this.record('appInfo');
    const info = this.info;
    return 'code' in info ? Promise.reject(info) : Promise.resolve({ ...info });
  }

  async listStores(): Promise<StoreSummary[]> {
    this.record('listStores');
    const now = this.clock();
    return this.brand.stores.map((store) => {
      const rows = this.brand.conversations.filter((c) => c.row.storeId === store.epoiId).map((c) => c.row);
      return {
        epoiId: store.epoiId,
        name: store.name,
        businessId: store.businessId,
        unread: rows.reduce((sum, row) => sum + row.unread, 0),
        waiting: rows.filter((row) => row.deadlineAt !== null).length,
        overdue: rows.filter((row) => row.deadlineAt !== null && row.deadlineAt < now).length,
        muted: this.alerts.mutedStores.includes(store.epoiId),
        imOpen: this.storeAdmin.imOpen(store.epoiId),
        ...(this.tokenHealth.has(store.epoiId) ? { token: this.tokenHealth.get(store.epoiId) } : {}),
      };
    });
  }

  async inboxPage(query: InboxQuery): Promise<InboxPage> {
    this.record('inboxPage', query);
    const now = this.clock();
    const rows = this.brand.conversations
      .map((c) => c.row)
      .filter((row) => (query.store === null || row.storeId === query.store) && matchesFilter(row, query.filter, now))
      .sort(compareRows);
    const team = this.team;
    const page = rows.slice(query.offset, query.offset + query.limit).map((row) => {
      const owner = team?.owners.get(row.id)?.owner;
      return owner === undefined ? rowAt(row, now) : { ...rowAt(row, now), owner };
    });
    return { total: rows.length, rows: copy(page), now };
  }

  async conversationHistory(conversationId: string, before: string | null, limit: number): Promise<HistoryPage> {
    this.record('conversationHistory', conversationId, before, limit);
    const conversation = this.conversation(conversationId);
    if (!conversation) return fail('notFound', `conversation ${conversationId}`);
    const { messages } = conversation;
    const end = before === null ? messages.length : messages.findIndex((m) => m.key === before);
    if (end < 0) return fail('notFound', `message ${before}`);
    const start = Math.max(0, end - limit);
    return { messages: copy(messages.slice(start, end)), olderCursor: start > 0 ? (messages[start]?.key ?? null) : null };
  }

  async conversationDetail(conversationId: string): Promise<ConversationDetail> {
    this.record('conversationDetail', conversationId);
    const c = this.conversation(conversationId);
    if (!c) return fail('notFound', `conversation ${conversationId}`);
    const uploads = this.uploads(c);
    const imClosed = this.storeAdmin.imOpen(c.row.storeId) === false;
    const composeBlock = c.row.blocked ? 'customerBlocked' : (c.composeBlock ?? (imClosed ? 'imClosed' : null));
    const { windowClosesAt, order, review, draft } = c;
    const row = rowAt(c.row, this.clock());
    const canSendImages = uploads && composeBlock === null;
    // In team mode the supervisor blocks (through a relay); agents do not.
    const canBlock = uploads && (this.team === null || this.team.supervisor) && row.kind === 'twoParty' && !row.blocked;
    const team = this.teamOf(conversationId);
    return copy({ row, composeBlock, windowClosesAt, order, review, draft, canSendImages, canBlock, ...(team ? { team } : {}) });
  }

  async sendText(conversationId: string, text: string): Promise<ChatMessage> {
    this.record('sendText', conversationId, text);
    const c = this.conversation(conversationId);
    if (!c) return fail('notFound', `conversation ${conversationId}`);
    if (text.trim() === '') return fail('emptyText', 'empty text');
    if ([...text].length > MAX_TEXT) return fail('textTooLong', `text longer than ${MAX_TEXT}`);
    const team = this.teamOf(conversationId);
    if (team && !team.canReply) return fail('notOwner', `owned by ${team.owner}`);
    if (this.team && team && team.owner === null) this.setOwner(conversationId, this.team.me);
    const refused = this.sendRefusal(c);
    if (refused) return Promise.reject(refused);
    return copy(this.queue(c, 'text', text));
  }

  async sendImage(conversationId: string, file: PictureFile): Promise<ChatMessage> {
    this.record('sendImage', conversationId, file);
    const c = this.conversation(conversationId);
    if (!c) return fail('notFound', `conversation ${conversationId}`);
    const refused = this.sendRefusal(c);
    if (refused) return Promise.reject(refused);
    if (!this.uploads(c)) return fail('unsupported', `store ${c.row.storeId}: its integration (businessId 2) has no image upload`);
    const checked = checkPicture(file);
    if ('code' in checked) return Promise.reject(checked);
    const message = this.queue(c, 'image', null);
    this.uploaded.set(message.key, checked.url);
    return copy(message);
  }

  async blockCustomer(conversationId: string, request: BlockRequest): Promise<null> {
    this.record('blockCustomer', conversationId, request);
    const c = this.conversation(conversationId);
    if (!c) return fail('notFound', `conversation ${conversationId}`);
    if (c.row.kind !== 'twoParty') return fail('invalid', `${conversationId} is not a two-party chat with a customer`);
    if (!this.uploads(c)) return fail('unsupported', `store ${c.row.storeId}: its integration (businessId 2) has no image upload`);
    const refused = checkBlockRequest(request);
    if (refused) return Promise.reject(refused);
    // The core uploads every evidence picture, then calls blockUser: the agent waits a moment.
    if (this.live) await new Promise((resolve) => setTimeout(resolve, 300 * request.evidence.length + 300));
    c.row.blocked = true;
    c.composeBlock = 'customerBlocked';
    this.changed([conversationId], true);
    return null;
  }

  async unblockCustomer(conversationId: string): Promise<null> {
    this.record('unblockCustomer', conversationId);
    const c = this.conversation(conversationId);
    if (!c) return fail('notFound', `conversation ${conversationId}`);
    if (c.row.kind !== 'twoParty') return fail('invalid', `${conversationId} is not a two-party chat with a customer`);
    if (this.live) await new Promise((resolve) => setTimeout(resolve, 400));
    c.row.blocked = false;
    if (c.composeBlock === 'customerBlocked') c.composeBlock = c.row.orderState === 'closed' ? 'windowClosed' : null;
    this.changed([conversationId], true);
    return null;
  }

  /** Why the core would refuse any send into `c` (blocked customer, closed window or IM). */
  private sendRefusal(c: MockConversation): IpcError | null {
    if (c.row.blocked) return { code: 'customerBlocked', message: `conversation ${c.row.id}` };
    if (c.composeBlock) return { code: c.composeBlock, message: `conversation ${c.row.id}` };
    return null;
  }

  /** Whether the store of `c` can upload pictures (its integration is businessId 16). */
  private uploads(c: MockConversation): boolean {
    return canUpload(this.brand.stores.find((store) => store.epoiId === c.row.storeId)?.businessId);
  }

  /** Writes our message to the "outbox": shown at once as 发送中, delivered by `deliverPending`. */
  private queue(c: MockConversation, body: 'text' | 'image', text: string | null): ChatMessage {
    const now = this.clock();
    const key = nextMessageKey(c.row.id);
    const message: ChatMessage = { key, msgId: String(now), author: 'merchant', body, text, at: now, sceneTag: null, sceneName: null, sendState: 'sending', failReason: null, unseen: null, read: false };
    c.messages.push(message);
    Object.assign(c.row, { ...previewOf(message), lastAt: now, lastFromCustomer: false, deadlineAt: null, awaitingSince: null, urgent: false, unread: 0 });
    if (body === 'text') c.draft = '';
    this.changed([c.row.id], true);
    if (this.live) setTimeout(() => this.deliverPending(), body === 'image' ? 1200 : 400);
    return message;
  }

  async retrySend(messageKey: string): Promise<ChatMessage> {
    this.record('retrySend', messageKey);
    for (const c of this.brand.conversations) {
      const message = c.messages.find((m) => m.key === messageKey);
      if (!message) continue;
      // As in the core: a held reply is resent once the agent confirms it; one whose fate is
      // unknown never is (it may have reached the customer).
      if (message.sendState === 'uncertain') return fail('invalid', `message ${messageKey} may have reached the customer`);
      if (message.sendState !== 'failed' && message.sendState !== 'held') return fail('invalid', `message ${messageKey} has not failed`);
      Object.assign(message, { sendState: 'sending', failReason: null, unseen: null, at: this.clock() });
      this.changed([c.row.id]);
      if (this.live) setTimeout(() => this.deliverPending(), 400);
      return copy(message);
    }
    return fail('notFound', `message ${messageKey}`);
  }

  async markRead(conversationId: string): Promise<null> {
    this.record('markRead', conversationId);
    const c = this.conversation(conversationId);
    if (!c) return fail('notFound', `conversation ${conversationId}`);
    if (c.row.unread > 0) {
      c.row.unread = 0;
      this.changed([conversationId], true);
    }
    return null;
  }

  async searchMessages(query: SearchQuery): Promise<SearchHit[]> {
    this.record('searchMessages', query);
    const needle = query.text.trim().toLowerCase();
    if (needle === '') return [];
    const hits: SearchHit[] = [];
    for (const c of this.brand.conversations) {
      if (query.store !== null && c.row.storeId !== query.store) continue;
      if (query.kind !== null && c.row.kind !== query.kind) continue;
      for (const m of c.messages) {
        if (m.body !== 'text' || !m.text?.toLowerCase().includes(needle)) continue;
        if ((query.since !== null && m.at < query.since) || (query.until !== null && m.at >= query.until)) continue;
        hits.push({ conversationId: c.row.id, messageKey: m.key, storeName: c.row.storeName, title: c.row.title, text: m.text, at: m.at, author: m.author });
      }
    }
    return hits.sort((a, b) => b.at - a.at).slice(0, query.limit);
  }

  async listQuickReplies(store: string | null): Promise<QuickReply[]> {
    this.record('listQuickReplies', store);
    const shared = this.team?.shared ?? [];
    return copy([...shared, ...this.brand.quickReplies.filter((r) => r.store === null || r.store === store)]);
  }

  async saveQuickReply(reply: QuickReply): Promise<QuickReply> {
    this.record('saveQuickReply', reply);
    if (reply.title.trim() === '' || reply.text.trim() === '') return fail('invalid', 'empty quick reply');
    const saved = { ...reply, id: reply.id === 0 ? this.nextReplyId++ : reply.id };
    const at = this.brand.quickReplies.findIndex((r) => r.id === saved.id);
    if (at >= 0) this.brand.quickReplies[at] = saved;
    else this.brand.quickReplies.push(saved);
    return copy(saved);
  }

  async deleteQuickReply(id: number): Promise<null> {
    this.record('deleteQuickReply', id);
    const at = this.brand.quickReplies.findIndex((r) => r.id === id);
    if (at < 0) return fail('notFound', `quick reply ${id}`);
    this.brand.quickReplies.splice(at, 1);
    return null;
  }

  async setDraft(conversationId: string, text: string): Promise<null> {
    this.record('setDraft', conversationId, text);
    const c = this.conversation(conversationId);
    if (!c) return fail('notFound', `conversation ${conversationId}`);
    c.draft = text;
    return null;
  }

  async connectionStatus(): Promise<ConnectionStatus> {
    this.record('connectionStatus');
    return copy(this.connection);
  }

  async connectionDoctor(): Promise<DoctorReport> {
    this.record('connectionDoctor');
    return demoDoctorReport(this.brand.stores, this.clock());
  }

  async diagnosticBundle(): Promise<BundleInfo> {
    this.record('diagnosticBundle');
    return demoBundle(this.clock());
  }

  async exportConversation(conversationId: string, format: ExportFormat): Promise<ExportInfo> {
    this.record('exportConversation', conversationId, format);
    const c = this.conversation(conversationId);
    if (!c) return fail('notFound', `conversation ${conversationId} not found`);
    return exportInfo(`conversation-${c.row.storeId}-${this.clock()}`, format, c.messages.length);
  }

  async exportStoreRange(store: string, from: string, to: string, format: ExportFormat): Promise<ExportInfo> {
    this.record('exportStoreRange', store, from, to, format);
    if (!this.brand.stores.some((s) => s.epoiId === store)) return fail('notFound', `store ${store} not found`);
    for (const [field, day] of [['from', from], ['to', to]] as const) {
      if (!isDay(day)) return fail('invalid', `${field} '${day}' is not a date (YYYY-MM-DD)`);
    }
    if (from > to) return fail('invalid', `the range is empty: from ${from} is after to ${to}`);
    let rows = 0;
    for (const c of this.byId.values()) {
      if (c.row.storeId !== store) continue;
      rows += c.messages.filter((m) => {
        const day = localDay(m.at);
        return day >= from && day <= to;
      }).length;
    }
    return exportInfo(`${store}-${from}_${to}`, format, rows);
  }

  async exportDayReport(day: string): Promise<ExportInfo> {
    this.record('exportDayReport', day);
    if (!isDay(day)) return fail('invalid', `day '${day}' is not a date (YYYY-MM-DD)`);
    return exportInfo(`report-${day}`, 'csv', this.brand.stores.length + 1);
  }

  async platformRates(): Promise<PlatformRatesPage> {
    this.record('platformRates');
    return demoPlatformRates(this.brand.stores, this.clock());
  }

  async refreshPlatformRates(): Promise<PlatformRatesPage> {
    this.record('refreshPlatformRates');
    return demoPlatformRates(this.brand.stores, this.clock());
  }

  async replyRates(): Promise<ReplyRates[]> {
    this.record('replyRates');
    return demoReplyRates(this.brand.stores.map((store) => store.epoiId));
  }

  async getAlertSettings(): Promise<AlertSettings> {
    this.record('getAlertSettings');
    return copy(this.alerts);
  }

  async setAlertSettings(settings: AlertSettings): Promise<null> {
    this.record('setAlertSettings', settings);
    this.alerts = copy(settings);
    return null;
  }

  async setUiLanguage(code: string): Promise<null> {
    this.record('setUiLanguage', code);
    return null;
  }

  /** A crash report left by an "earlier run"; tests set it to show the notice. */
  pendingCrash: PendingCrash | null = null;

  async pendingCrashReport(): Promise<PendingCrash | null> {
    this.record('pendingCrashReport');
    return this.pendingCrash ? { ...this.pendingCrash } : null;
  }

  retention: RetentionView = { settings: { messageDays: 180, orderDays: 30 }, lastRun: null };
  /** Test hook: the next `pruneNow` fails as on a full disk. */
  diskFull = false;
  /** Set once `wipeDesk` was called (the real app quits). */
  wiped = false;

  async retentionSettings(): Promise<RetentionView> {
    this.record('retentionSettings');
    return copy(this.retention);
  }

  async setRetentionSettings(settings: RetentionSettings): Promise<RetentionView> {
    this.record('setRetentionSettings', settings);
    for (const days of [settings.messageDays, settings.orderDays]) {
      if (!Number.isInteger(days) || days < 1 || days > 3650) {
        return fail('invalid', `retention of ${days} days is outside 1..=3650`);
      }
    }
    this.retention = { ...this.retention, settings: { ...settings } };
    return copy(this.retention);
  }

  async pruneNow(): Promise<RetentionRun> {
    this.record('pruneNow');
    if (this.diskFull) return fail('diskFull', 'sqlite: database or disk is full');
    const run: RetentionRun = { at: Date.now(), messages: 0, orders: 0, error: null };
    this.retention = { ...this.retention, lastRun: run };
    return copy(run);
  }

  async forgetCustomer(conversationId: string): Promise<null> {
    this.record('forgetCustomer', conversationId);
    const at = this.brand.conversations.findIndex((c) => c.row.id === conversationId);
    if (at < 0) return fail('notFound', `conversation ${conversationId}`);
    this.brand.conversations.splice(at, 1);
    this.byId.delete(conversationId);
    return null;
  }

  async wipeDesk(): Promise<null> {
    this.record('wipeDesk');
    this.wiped = true;
    return null;
  }

  async dismissCrashReport(file: string): Promise<null> {
    this.record('dismissCrashReport', file);
    if (this.pendingCrash?.file === file) this.pendingCrash = null;
    return null;
  }

  /** The updater's status; tests change it with `setUpdateStatus`. */
  update: UpdateStatus = { state: 'idle' };
  /** What `installUpdate` answers when the agent is not replying (tests set a peak). */
  installGate: InstallGate = { gate: 'now' };
  private readonly updateHandlers = new Set<(status: UpdateStatus) => void>();

  async updateStatus(): Promise<UpdateStatus> {
    this.record('updateStatus');
    return copy(this.update);
  }

  async installUpdate(replying: boolean): Promise<InstallGate> {
    this.record('installUpdate', replying);
    if (this.installGate.gate === 'now' && replying) return { gate: 'replying' };
    return copy(this.installGate);
  }

  onUpdateStatus(handler: (status: UpdateStatus) => void): Unsubscribe {
    const own = (status: UpdateStatus) => handler(status);
    this.updateHandlers.add(own);
    return () => this.updateHandlers.delete(own);
  }

  /** Test hook: the updater moved on; every subscriber hears it now. */
  setUpdateStatus(status: UpdateStatus): void {
    this.update = copy(status);
    for (const handler of [...this.updateHandlers]) handler(copy(status));
  }

  async setStoreMuted(store: string, muted: boolean): Promise<null> {
    this.record('setStoreMuted', store, muted);
    const others = this.alerts.mutedStores.filter((id) => id !== store);
    this.alerts.mutedStores = muted ? [...others, store] : others;
    this.changed([], true);
    return null;
  }

  async storeIm(store: string): Promise<StoreIm> {
    this.record('storeIm', store);
    const shown = this.storeAdmin.storeIm(store);
    return 'code' in shown ? Promise.reject(shown) : shown;
  }

  async setStoreIm(store: string, open: boolean): Promise<StoreIm> {
    this.record('setStoreIm', store, open);
    const shown = this.storeAdmin.setStoreIm(store, open);
    if ('code' in shown) return Promise.reject(shown);
    this.changed([], true);
    return shown;
  }

  async robotSettings(store: string): Promise<RobotSettings> {
    this.record('robotSettings', store);
    const shown = this.storeAdmin.robotSettings(store);
    return 'code' in shown ? Promise.reject(shown) : shown;
  }

  async saveRobotSettings(stores: string[], edit: RobotEdit): Promise<RobotSaveResult[]> {
    this.record('saveRobotSettings', stores, edit);
    const results = this.storeAdmin.saveRobotSettings(stores, edit);
    return 'code' in results ? Promise.reject(results) : results;
  }

  /** A started review contact's conversation, empty, at the top of the recent ones. */
  private addReviewContact(store: string, groupId: string, commentId: string): string {
    const id = `${store}|4|${groupId}`;
    const storeName = this.brand.stores.find((s) => s.epoiId === store)?.name ?? store;
    const conversation: MockConversation = {
      row: {
        id,
        storeId: store,
        storeName,
        kind: 'reviewContact',
        title: { kind: 'review', commentId },
        lastBody: 'text',
        lastText: '',
        lastAt: this.clock(),
        lastFromCustomer: false,
        orderState: null,
        sceneTag: null,
        sceneName: null,
        urgent: false,
        attention: false,
        unread: 0,
        deadlineAt: null,
        awaitingSince: null,
        blocked: false,
      },
      messages: [],
      order: null,
      review: null,
      draft: '',
      composeBlock: null,
      windowClosesAt: null,
    };
    this.brand.conversations.push(conversation);
    this.byId.set(id, conversation);
    this.changed([id], true);
    return id;
  }

  async storeReviews(store: string, days: number | null): Promise<StoreReviews> {
    this.record('storeReviews', store, days);
    const shown = this.marketing.storeReviews(store, days);
    return 'code' in shown ? Promise.reject(shown) : shown;
  }

  async startReviewContact(store: string, commentId: string): Promise<ReviewContact> {
    this.record('startReviewContact', store, commentId);
    const shown = this.marketing.startReviewContact(store, commentId);
    return 'code' in shown ? Promise.reject(shown) : shown;
  }

  async storeFans(store: string): Promise<StoreFans> {
    this.record('storeFans', store);
    const shown = this.marketing.storeFans(store);
    return 'code' in shown ? Promise.reject(shown) : shown;
  }

  async createFansGroup(store: string, group: NewFansGroup): Promise<StoreFans> {
    this.record('createFansGroup', store, group);
    const shown = this.marketing.createFansGroup(store, group);
    return 'code' in shown ? Promise.reject(shown) : shown;
  }

  async startJoinCoupon(store: string, groupId: string, coupon: JoinCouponForm): Promise<StoreFans> {
    this.record('startJoinCoupon', store, groupId, coupon);
    const shown = this.marketing.startJoinCoupon(store, groupId, coupon);
    return 'code' in shown ? Promise.reject(shown) : shown;
  }

  async sendFansCoupon(store: string, coupon: FansCouponForm): Promise<SentFansCoupon> {
    this.record('sendFansCoupon', store, coupon);
    const shown = this.marketing.sendFansCoupon(store, coupon);
    return 'code' in shown ? Promise.reject(shown) : shown;
  }

  async pauseAlerts(minutes: number | null): Promise<number | null> {
    this.record('pauseAlerts', minutes);
    this.pausedUntil = minutes === null ? null : this.clock() + minutes * 60_000;
    this.emit({ kind: 'alertsPaused', until: this.pausedUntil });
    return this.pausedUntil;
  }

  async alertsPausedUntil(): Promise<number | null> {
    this.record('alertsPausedUntil');
    return this.pausedUntil !== null && this.pausedUntil > this.clock() ? this.pausedUntil : null;
  }

  /** What 接入真实门店 has stored (the mock's keyring and config file; secrets never leave it). */
  credentialsStored: StoredCredentials = { developerId: null, signKeyStored: false, stores: [] };

  async storedCredentials(): Promise<StoredCredentials> {
    this.record('storedCredentials');
    return copy(this.credentialsStored);
  }

  async saveCredentials(form: CredentialsForm): Promise<null> {
    this.record('saveCredentials', form);
    if (!/^\d+$/.test(form.developerId.trim())) return fail('invalid', 'credentials: developerId must be a positive integer');
    const kept = this.credentialsStored;
    if (form.signKey.trim() === '' && !(kept.signKeyStored && kept.developerId === form.developerId.trim())) {
      return fail('invalid', 'credentials: signKey is empty');
    }
    if (form.stores.length === 0) return fail('invalid', 'credentials: at least one store is needed');
    const tokenKept = (id: string, biz: number) => kept.stores.some((s) => s.epoiId === id && s.businessId === biz && s.tokenStored);
    const missing = form.stores.find(
      (s) => s.appAuthToken.trim() === '' && s.authCode.trim() === '' && !tokenKept(s.epoiId.trim(), s.businessId),
    );
    if (missing) return fail('invalid', `credentials: store ${missing.epoiId.trim()}: enter its appAuthToken or an authorisation code`);
    // The core checks each new token with the platform: the mock refuses the token `bad`.
    const refused = form.stores.find((s) => s.appAuthToken.trim() === 'bad');
    if (refused) return fail('invalid', `credentials: store ${refused.epoiId.trim()}: the token does not work: token invalid (OP_AUTH_TOKEN_INVALID)`);
    this.credentialsStored = {
      developerId: form.developerId.trim(),
      signKeyStored: true,
      stores: form.stores.map((s) => ({ epoiId: s.epoiId.trim(), name: s.name.trim(), businessId: s.businessId, tokenStored: true })),
    };
    return null;
  }

  /** What 设置 → 团队模式 has stored (the mock's keyring; only masked values leave it). */
  teamStored: { url: string | null; creds: boolean; agent: string | null; role: string; capacity: number; stores: string[] } = {
    url: null,
    creds: false,
    agent: null,
    role: 'agent',
    capacity: 8,
    stores: [],
  };

  private teamView(): TeamSettingsView {
    return {
      url: this.teamStored.url === null ? null : maskUrl(this.teamStored.url),
      credsStored: this.teamStored.creds,
      agent: this.teamStored.agent,
      role: this.teamStored.role,
      capacity: this.teamStored.capacity,
      stores: [...this.teamStored.stores],
      running: this.connection.team ? 'nats://127.0.0.1:4222' : null,
    };
  }

  async getTeamSettings(): Promise<TeamSettingsView> {
    this.record('getTeamSettings');
    return this.teamView();
  }

  async saveTeamSettings(form: TeamSettingsForm): Promise<TeamSettingsView> {
    this.record('saveTeamSettings', form);
    const url = form.url.trim();
    if (!/^(nats|tls|wss?):\/\/[^\s,]+(,\s*(nats|tls|wss?):\/\/[^\s,]+)*$/.test(url)) {
      return fail('invalid', 'credentials: team server URL 1: the scheme must be nats, tls, ws or wss');
    }
    const creds = form.credsText ?? null;
    if (creds !== null && creds.trim() !== '' && !creds.includes('BEGIN NATS USER JWT')) {
      return fail('invalid', 'credentials: not a NATS credentials file (it needs a user JWT and an nkey seed)');
    }
    this.teamStored = {
      url,
      creds: this.teamStored.creds || (creds ?? '').trim() !== '' || (form.credsPath ?? '').trim() !== '',
      agent: form.agent.trim() || null,
      role: form.role ?? this.teamStored.role,
      capacity: form.capacity ?? this.teamStored.capacity,
      stores: form.stores ?? this.teamStored.stores,
    };
    return this.teamView();
  }

  async clearTeamSettings(): Promise<TeamSettingsView> {
    this.record('clearTeamSettings');
    this.teamStored = { url: null, creds: false, agent: null, role: 'agent', capacity: 8, stores: [] };
    return this.teamView();
  }

  onEvent(handler: (event: DeskEvent) => void): Unsubscribe {
    const own = (event: DeskEvent) => handler(event);
    this.handlers.add(own);
    return () => this.handlers.delete(own);
  }

  private teamOf(conversationId: string) {
    const team = this.team;
    if (!team) return null;
    const owned = team.owners.get(conversationId);
    const owner = owned?.owner ?? null;
    const mine = owner === team.me;
    const here = team.presence.get(conversationId) ?? { viewing: [], typing: [] };
    return {
      owner,
      revision: owned?.revision ?? null,
      mine,
      viewing: [...here.viewing],
      typing: [...here.typing],
      canReply: owner === null || mine || team.supervisor,
      asSupervisor: team.supervisor && owner !== null && !mine,
    };
  }

  private setOwner(conversationId: string, owner: string | null): ClaimResult {
    const team = this.team;
    if (!team) throw new Error('not a team desk');
    team.revision += 1;
    if (owner === null) team.owners.delete(conversationId);
    else team.owners.set(conversationId, { owner, revision: team.revision });
    for (const a of team.agents) a.open = [...team.owners.values()].filter((o) => o.owner === a.name).length;
    this.changed([conversationId]);
    return { owner, claimed: true };
  }

  /** Test hook: a colleague on a conversation (viewing, typing) as the core reports it. */
  setColleagues(conversationId: string, viewing: string[], typing: string[]): void {
    this.team?.presence.set(conversationId, { viewing, typing });
    this.changed([conversationId]);
  }

  /** Test hook: someone else claims a conversation. */
  claimAs(conversationId: string, owner: string): void {
    this.setOwner(conversationId, owner);
  }

  async exportDeskConfig(): Promise<string> {
    this.record('exportDeskConfig');
    return '/home/agent/.local/share/imdesk/exports/imdesk-desk-config.toml';
  }

  async importDeskConfig(text: string): Promise<null> {
    this.record('importDeskConfig', text);
    if (/^\s*(sign_key|app_auth_token|refresh_token)\s*=/m.test(text)) {
      return fail('invalid', 'credentials: the configuration file carries a secret: secrets are entered on each desk');
    }
    return null;
  }

  async parseStoreCsv(text: string): Promise<StoreEntryForm[]> {
    this.record('parseStoreCsv', text);
    const rows = text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .map((line) => line.split(',').map((cell) => cell.trim()));
    const out: StoreEntryForm[] = [];
    for (const [i, cells] of rows.entries()) {
      if (cells.every((c) => c === '')) continue;
      if (i === 0 && cells.some((c) => c.toLowerCase().replace(/[_ -]/g, '') === 'epoiid')) continue;
      const [epoiId = '', name = '', business = ''] = cells;
      if (epoiId === '' || business === '') return fail('invalid', `credentials: CSV row ${i + 1}: needs epoi_id, name and businessId`);
      if (business !== '2' && business !== '16') return fail('invalid', `credentials: CSV row ${i + 1}: businessId ${business} is not 2 or 16`);
      out.push({ epoiId, name, businessId: Number(business), appAuthToken: '', authCode: '' });
    }
    return out.length > 0 ? out : fail('invalid', 'credentials: the CSV file lists no store');
  }

  async claimConversation(conversationId: string): Promise<ClaimResult> {
    this.record('claimConversation', conversationId);
    const team = this.team;
    if (!team) return fail('invalid', 'not in team mode');
    if (!this.conversation(conversationId)) return fail('notFound', `conversation ${conversationId}`);
    const owner = team.owners.get(conversationId)?.owner;
    if (owner !== undefined) return { owner, claimed: owner === team.me };
    return this.setOwner(conversationId, team.me);
  }

  async transferConversation(conversationId: string, to: string | null, revision: number | null): Promise<ClaimResult> {
    this.record('transferConversation', conversationId, to, revision);
    const team = this.team;
    if (!team) return fail('invalid', 'not in team mode');
    const owned = team.owners.get(conversationId);
    if (to !== null && !team.agents.some((a) => a.name === to)) return fail('invalid', `no agent is named ${to}`);
    if (owned && revision !== null && owned.revision !== revision) return fail('conflict', 'the owner changed');
    if (owned && owned.owner !== team.me && !team.supervisor) return fail('notOwner', `owned by ${owned.owner}`);
    return this.setOwner(conversationId, to);
  }

  async setAgentStatus(status: AgentPresence): Promise<null> {
    this.record('setAgentStatus', status);
    const me = this.team?.agents.find((a) => a.name === this.team?.me);
    if (!me) return fail('invalid', 'not in team mode');
    me.status = status;
    return null;
  }

  async setPresence(viewing: string | null, typing: string | null): Promise<null> {
    this.record('setPresence', viewing, typing);
    return null;
  }

  async listAgents(): Promise<AgentView[]> {
    this.record('listAgents');
    if (!this.team) return fail('invalid', 'not in team mode');
    return copy(this.team.agents);
  }

  async assignmentSettings(): Promise<AssignmentView> {
    this.record('assignmentSettings');
    if (!this.team) return fail('invalid', 'not in team mode');
    return copy(this.team.settings);
  }

  async setAssignmentSettings(settings: AssignmentView): Promise<AssignmentView> {
    this.record('setAssignmentSettings', settings);
    const team = this.team;
    if (!team) return fail('invalid', 'not in team mode');
    if (!team.supervisor) return fail('invalid', 'only a supervisor may change the assignment settings');
    if (settings.revision !== team.settings.revision) return fail('conflict', 'changed by another supervisor');
    team.settings = { ...settings, revision: settings.revision + 1 };
    return copy(team.settings);
  }

  async saveSharedQuickReply(id: string | null, title: string, text: string): Promise<QuickReply> {
    this.record('saveSharedQuickReply', id, title, text);
    const team = this.team;
    if (!team?.supervisor) return fail('invalid', 'only a supervisor may edit the brand quick replies');
    if (title.trim() === '' || text.trim() === '') return fail('invalid', 'empty quick reply');
    const shared = id ?? `q${this.clock()}`;
    const reply: QuickReply = { id: 0, store: null, title, text, shared };
    team.shared = [...team.shared.filter((q) => q.shared !== shared), reply];
    return copy(reply);
  }

  async deleteSharedQuickReply(id: string): Promise<null> {
    this.record('deleteSharedQuickReply', id);
    const team = this.team;
    if (!team?.supervisor) return fail('invalid', 'only a supervisor may edit the brand quick replies');
    team.shared = team.shared.filter((q) => q.shared !== id);
    return null;
  }

  async supervisorWall(): Promise<SupervisorWall> {
    this.record('supervisorWall');
    const team = this.team;
    if (!team) return fail('invalid', 'not in team mode');
    const now = this.clock();
    const stores = await this.listStores();
    const waiting = this.brand.conversations.map((c) => rowAt(c.row, now)).filter((r) => r.deadlineAt !== null);
    waiting.sort((a, b) => (a.deadlineAt ?? 0) - (b.deadlineAt ?? 0));
    const dayStart = now - (now % 86_400_000);
    const chart = [];
    for (let at = dayStart; at <= now; at += 600_000) {
      const n = Math.round(4 + 3 * Math.sin(at / 3_600_000));
      chart.push({ at, waiting: n, overdue: Math.max(0, n - 5) });
    }
    return copy({
      agents: team.agents.map((agent, i) => ({
        agent,
        repliesToday: 10 + i * 3,
        medianFirstReplySeconds: agent.status === 'offline' ? null : 40 + i * 15,
        fiveMinRate: 0.9 - i * 0.05,
        urgentRate: 0.8,
      })),
      stores: stores.map((s) => ({ epoiId: s.epoiId, name: s.name, waiting: s.waiting, overdue: s.overdue, fiveMinRate: 0.9, platformFiveMin: '96.5%', platformUrgent: '90.0%' })),
      queue: waiting.map((r) => ({
        conversationId: r.id,
        storeName: r.storeName,
        title: r.title,
        deadlineAt: r.deadlineAt ?? now,
        urgent: r.urgent,
        owner: team.owners.get(r.id)?.owner ?? null,
        revision: team.owners.get(r.id)?.revision ?? null,
      })),
      chart,
      assignment: team.settings,
      now,
    });
  }

  /** Test hook: deliver `event` to every current subscriber now. */
  emit(event: DeskEvent): void {
    for (const handler of [...this.handlers]) handler(event);
  }

  /** Test hook: how many subscriptions are live (catches leaked listeners). */
  get subscriberCount(): number {
    return this.handlers.size;
  }

  /** Coalesce changes into one event per microtask, as the core batches its notices. */
  private changed(ids: string[], stores = false): void {
    for (const id of ids) this.pendingIds.add(id);
    this.storesDirty ||= stores;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Sends the pending notices now (tests may call it instead of awaiting a microtask). */
  flush(): void {
    this.flushScheduled = false;
    const ids = [...this.pendingIds];
    this.pendingIds = new Set();
    if (ids.length > 0) this.emit({ kind: 'conversationsChanged', ids });
    if (this.storesDirty) this.emit({ kind: 'storesChanged' });
    this.storesDirty = false;
  }

  /** Simulates a customer (or rider) message arriving from the platform. */
  simulateIncoming(
    conversationId: string,
    incoming: { text?: string; sceneTag?: number; author?: 'customer' | 'rider'; image?: string } = {},
  ): ChatMessage {
    const c = this.conversation(conversationId);
    if (!c) throw new Error(`no conversation ${conversationId}`);
    const now = this.clock();
    const sceneTag = incoming.sceneTag ?? null;
    const message: ChatMessage = {
      key: nextMessageKey(conversationId),
      msgId: String(now),
      author: incoming.author ?? 'customer',
      body: incoming.image ? 'image' : 'text',
      text: incoming.image ?? incoming.text ?? '在吗？',
      at: now,
      sceneTag,
      sceneName: sceneTag ? (SCENES[sceneTag] ?? null) : null,
      sendState: null,
      failReason: null,
      unseen: null,
      read: false,
    };
    c.messages.push(message);
    const row = c.row;
    const urgent = sceneTag !== null && (MOCK_CLOCK.urgentTags as readonly number[]).includes(sceneTag);
    const deadline = now + (urgent ? MOCK_CLOCK.urgentMs : MOCK_CLOCK.normalMs);
    Object.assign(row, { ...previewOf(message), lastAt: now, lastFromCustomer: true, unread: row.unread + 1 });
    if (row.deadlineAt === null) Object.assign(row, { deadlineAt: deadline, awaitingSince: now, urgent });
    else if (urgent) Object.assign(row, { deadlineAt: Math.min(row.deadlineAt, deadline), urgent: true });
    if (sceneTag !== null) Object.assign(row, { sceneTag, sceneName: message.sceneName });
    this.changed([conversationId], true);
    return copy(message);
  }

  /** Makes the next delivery of a sending message fail with `reason`. */
  failNextSend(reason: string): void {
    this.failNext = reason;
  }

  /** Team mode: the next delivery is held back because the desk had not seen something new. */
  holdNextSend(unseen: Unseen): void {
    this.strandNext = { sendState: 'held', unseen };
  }

  /** Team mode: the relay took the next delivery and went away before knowing its fate. */
  loseNextSend(): void {
    this.strandNext = { sendState: 'uncertain', unseen: null };
  }

  /** Moves every `sending` message to `sent` (or `failed`, `held`, `uncertain`: see `failNextSend`, `holdNextSend`, `loseNextSend`). */
  deliverPending(): void {
    for (const c of this.brand.conversations) {
      for (const m of c.messages) {
        if (m.sendState !== 'sending' && m.sendState !== 'queued') continue;
        if (this.failNext !== null) {
          Object.assign(m, { sendState: 'failed', failReason: this.failNext });
        } else if (this.strandNext !== null) {
          Object.assign(m, this.strandNext);
        } else {
          m.sendState = 'sent';
          // A picture has its URL once uploaded.
          if (m.body === 'image' && m.text === null) m.text = this.uploaded.get(m.key) ?? null;
          this.uploaded.delete(m.key);
          // As in the core: once sent, the message is a history row with a key of its own (the
          // outbox item's key is gone); its msgId stays.
          m.key = nextMessageKey(c.row.id);
        }
        this.failNext = null;
        this.strandNext = null;
        this.changed([c.row.id]);
        if (this.live && m.sendState === 'sent') setTimeout(() => this.markCustomerRead(c.row.id), 2500);
      }
    }
  }

  /** The customer opened the chat: our sent messages read 已读. */
  markCustomerRead(conversationId: string): void {
    const c = this.conversation(conversationId);
    if (!c) return;
    for (const m of c.messages) if (m.author === 'merchant' && m.sendState === 'sent') m.read = true;
    this.changed([conversationId]);
  }

  /** Replaces the connection status and tells subscribers. */
  setConnection(status: ConnectionStatus): void {
    this.connection = copy(status);
    this.emit({ kind: 'connection', status: copy(status) });
  }
}

/** The core's `mask_url`: a URL's password (or bare token) shown as `****`. */
export function maskUrl(url: string): string {
  return url
    .split(',')
    .map((one) => {
      const trimmed = one.trim();
      const at = trimmed.indexOf('://');
      const scheme = at >= 0 ? trimmed.slice(0, at + 3) : '';
      const rest = at >= 0 ? trimmed.slice(at + 3) : trimmed;
      const sign = rest.lastIndexOf('@');
      if (sign < 0) return scheme + rest;
      const userInfo = rest.slice(0, sign);
      const colon = userInfo.indexOf(':');
      return scheme + (colon >= 0 ? `${userInfo.slice(0, colon)}:****` : '****') + rest.slice(sign);
    })
    .join(',');
}
