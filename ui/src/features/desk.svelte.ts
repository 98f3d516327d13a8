/**
 * The workstation: every feature's state, wired to the core's events, plus the few actions that
 * cross features (open a conversation, next urgent, jump to a search hit). One per window,
 * handed to components through context.
 */
import { createContext } from 'svelte';
import type { Backend, ConversationRow, DeskEvent, InboxFilter, SearchHit } from '../ipc/backend';
import { afterNextPaint } from '../lib/paint';
import { DisplayTick } from '../lib/tick.svelte';
import { ChatState } from './chat/chat.svelte';
import { FILTERS, InboxState } from './inbox/inbox.svelte';
import { QuickRepliesState } from './quick-replies/quick-replies.svelte';
import { SearchState } from './search/search.svelte';
import { StatusState } from './statusbar/status.svelte';
import { StoresState } from './stores/stores.svelte';
import { TeamState } from './team/team.svelte';

const VIEW_KEY = 'imdesk.view';
/** How far down the deadline-ordered list "next urgent/unread" looks. */
const SCAN_LIMIT = 300;

type SavedView = { store: string | null; filter: InboxFilter; last: string | null };

function loadView(): SavedView {
  try {
    const saved = JSON.parse(globalThis.localStorage?.getItem(VIEW_KEY) ?? 'null') as Partial<SavedView> | null;
    return {
      store: typeof saved?.store === 'string' ? saved.store : null,
      filter: FILTERS.includes(saved?.filter as InboxFilter) ? (saved?.filter as InboxFilter) : 'all',
      last: typeof saved?.last === 'string' ? saved.last : null,
    };
  } catch {
    return { store: null, filter: 'all', last: null };
  }
}

export class Desk {
  readonly stores: StoresState;
  readonly inbox: InboxState;
  readonly chat: ChatState;
  readonly quickReplies: QuickRepliesState;
  readonly search: SearchState;
  readonly status: StatusState;
  readonly team: TeamState;
  readonly tick = new DisplayTick();
  helpOpen = $state(false);
  settingsOpen = $state(false);
  /** The rates page (平台回复率与权益) is open. */
  ratesOpen = $state(false);
  /** The store whose settings page (IM switch, robot) is open, if any. */
  storePage = $state<string | null>(null);
  /** The store whose review-contact page (评价联系) or fans page (粉丝群) is open, if any. */
  reviewsPage = $state<string | null>(null);
  fansPage = $state<string | null>(null);
  /** Bumped to ask the search box / quick-reply picker to take focus. */
  searchFocus = $state(0);
  quickReplyOpen = $state(0);

  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
    this.stores = new StoresState(backend);
    this.inbox = new InboxState(backend);
    this.chat = new ChatState(backend);
    this.quickReplies = new QuickRepliesState(backend);
    this.search = new SearchState(backend);
    this.status = new StatusState(backend);
    this.team = new TeamState(backend, this.status);
  }

  get backend(): Backend {
    return this.#backend;
  }

  /** Subscribes to events and loads everything; returns the cleanup. */
  start(): () => void {
    const unsubscribe = this.#backend.onEvent((event) => this.#onEvent(event));
    const view = loadView();
    // The inbox first, alone, and on screen before anything else is asked: the agent's
    // first look is at it, and every other read (the rail's counts, the rates, the last
    // chat) would share the engine's readers, and its answer the webview's first frames.
    void this.inbox
      .setQuery(view.store, view.filter)
      .then(afterNextPaint, afterNextPaint)
      .then(() => {
        void this.status.load();
        void this.stores.refresh();
        // Unless the agent (or a notification) opened one meanwhile.
        if (view.last && this.inbox.selectedId === null && this.chat.id === null) void this.open(view.last);
      });
    const stopTick = this.tick.start();
    return () => {
      unsubscribe();
      stopTick();
    };
  }

  /** The engine was replaced (credentials saved, demo left): everything is read again. */
  async engineReloaded(): Promise<void> {
    this.quickReplies.invalidate();
    await Promise.all([this.status.load(), this.stores.refresh(), this.inbox.refresh()]);
    if (this.chat.id !== null) await this.chat.refresh();
  }

  #onEvent(event: DeskEvent): void {
    switch (event.kind) {
      case 'conversationsChanged':
        void this.inbox.refresh();
        void this.stores.refresh();
        void this.status.refreshRates();
        if (this.chat.id !== null && event.ids.includes(this.chat.id)) void this.chat.refresh();
        if (this.team.wallOpen) void this.team.refreshWall();
        break;
      case 'storesChanged':
        void this.stores.refresh().then(() => this.#imSwitched());
        // In team mode this also says the team's agents or shared quick replies changed.
        if (this.team.active) {
          this.quickReplies.invalidate();
          void this.team.loadAgents();
        }
        // The core may still have been starting when the first inbox page was asked for.
        if (!this.inbox.loaded || this.inbox.error) void this.inbox.refresh();
        break;
      case 'connection':
        this.status.connection = event.status;
        break;
      case 'alertsPaused':
        this.status.pausedUntil = event.until;
        break;
      case 'focus':
        void this.open(event.conversationId);
        break;
    }
  }

  /** The open chat's composer follows its store's IM switch as soon as the rail learns it. */
  #imSwitched(): void {
    const detail = this.chat.detail;
    if (!detail || (detail.composeBlock !== null && detail.composeBlock !== 'imClosed')) return;
    const open = this.stores.list.find((s) => s.epoiId === detail.row.storeId)?.imOpen;
    if ((open === false) !== (detail.composeBlock === 'imClosed')) void this.chat.refresh();
  }

  #save(): void {
    try {
      const view: SavedView = { store: this.inbox.store, filter: this.inbox.filter, last: this.inbox.selectedId };
      globalThis.localStorage?.setItem(VIEW_KEY, JSON.stringify(view));
    } catch {
      // Forgetting the view across restarts is harmless.
    }
  }

  async open(id: string): Promise<void> {
    if (this.chat.id === id && this.chat.detail) return;
    this.inbox.select(id);
    this.#save();
    this.team.viewing(id);
    await this.chat.open(id);
    if (this.chat.id === id) await this.quickReplies.load(this.chat.detail?.row.storeId ?? null);
  }

  /** 忘记此顾客: deletes the open two-party conversation's customer; rejects with the IPC error. */
  async forgetCustomer(id: string): Promise<void> {
    await this.backend.forgetCustomer(id);
    if (this.chat.id === id) this.chat.close();
    if (this.inbox.selectedId === id) this.inbox.select(null);
    this.#save();
    await this.inbox.refresh();
  }

  async setFilter(filter: InboxFilter): Promise<void> {
    await this.inbox.setQuery(this.inbox.store, filter);
    this.#save();
  }

  async setStore(store: string | null): Promise<void> {
    await this.inbox.setQuery(store, this.inbox.filter);
    this.#save();
  }

  /** Opens the most pressing urgent or overdue conversation after the current one. */
  async nextUrgent(): Promise<void> {
    await this.#next((row) => row.attention);
  }

  async nextUnread(): Promise<void> {
    await this.#next((row) => row.unread > 0);
  }

  async #next(wanted: (row: ConversationRow) => boolean): Promise<void> {
    try {
      const page = await this.#backend.inboxPage({ store: this.inbox.store, filter: 'all', offset: 0, limit: SCAN_LIMIT });
      const candidates = page.rows.filter(wanted);
      const current = candidates.findIndex((row) => row.id === this.chat.id);
      const target = candidates[(current + 1) % Math.max(1, candidates.length)];
      if (target && target.id !== this.chat.id) await this.open(target.id);
    } catch (error) {
      this.inbox.error = error;
    }
  }

  /** Opens the hit's conversation and scrolls to the message. */
  async openHit(hit: SearchHit): Promise<void> {
    this.inbox.select(hit.conversationId);
    this.#save();
    await this.chat.jumpTo(hit.conversationId, hit.messageKey);
    await this.quickReplies.load(this.chat.detail?.row.storeId ?? null);
  }
}

export const [getDesk, setDesk] = createContext<Desk>();
