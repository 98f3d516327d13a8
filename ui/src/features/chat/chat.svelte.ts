/**
 * The open conversation: its detail (composer block, order card, review, draft) and its history,
 * paged upward from the local cache. New messages arrive as `conversationsChanged` events and
 * are merged by key, so an optimistic bubble from `send_text` is never duplicated.
 */
import type { Backend, ChatMessage, ConversationDetail } from '../../ipc/backend';
import { coalesce } from '../../lib/coalesce';

export const HISTORY_PAGE = 30;

/** Whether the agent can see the window (marking read while it is hidden would lie to the customer). */
const windowVisible = () => typeof document === 'undefined' || document.visibilityState !== 'hidden';

export class ChatState {
  id = $state<string | null>(null);
  detail = $state.raw<ConversationDetail | null>(null);
  messages = $state.raw<ChatMessage[]>([]);
  olderCursor = $state<string | null>(null);
  loading = $state(false);
  loadingOlder = $state(false);
  error = $state<unknown>(null);
  sendError = $state<unknown>(null);
  /** The message a search jump landed on. */
  highlightKey = $state<string | null>(null);

  readonly #backend: Backend;
  readonly #visible: () => boolean;
  #generation = 0;
  readonly refresh: () => Promise<void>;

  constructor(backend: Backend, visible: () => boolean = windowVisible) {
    this.#backend = backend;
    this.#visible = visible;
    this.refresh = coalesce(() => this.#reload());
  }

  async open(id: string): Promise<void> {
    const generation = ++this.#generation;
    this.id = id;
    this.detail = null;
    this.messages = [];
    this.olderCursor = null;
    this.highlightKey = null;
    this.error = null;
    this.sendError = null;
    this.loading = true;
    try {
      const [detail, page] = await Promise.all([
        this.#backend.conversationDetail(id),
        this.#backend.conversationHistory(id, null, HISTORY_PAGE),
      ]);
      if (generation !== this.#generation) return;
      this.detail = detail;
      this.messages = page.messages;
      this.olderCursor = page.olderCursor;
      this.#markReadIfSeen(true);
    } catch (error) {
      if (generation === this.#generation) this.error = error;
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  close(): void {
    this.#generation += 1;
    this.id = null;
    this.detail = null;
    this.messages = [];
  }

  /** Loads the page before the oldest shown message; false when there is nothing older. */
  async loadOlder(): Promise<boolean> {
    const id = this.id;
    const cursor = this.olderCursor;
    if (!id || !cursor || this.loadingOlder) return false;
    const generation = this.#generation;
    this.loadingOlder = true;
    try {
      const page = await this.#backend.conversationHistory(id, cursor, HISTORY_PAGE);
      if (generation !== this.#generation) return false;
      const known = new Set(this.messages.map((m) => m.key));
      this.messages = [...page.messages.filter((m) => !known.has(m.key)), ...this.messages];
      this.olderCursor = page.olderCursor;
      return true;
    } catch (error) {
      if (generation === this.#generation) this.error = error;
      return false;
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Opens `id` (if needed) and pages back until `messageKey` is loaded, then highlights it. */
  async jumpTo(id: string, messageKey: string): Promise<boolean> {
    if (this.id !== id || this.detail === null) await this.open(id);
    while (!this.messages.some((m) => m.key === messageKey)) {
      if (!(await this.loadOlder())) return false;
    }
    this.highlightKey = messageKey;
    return true;
  }

  /** Sends `text`; the returned message is shown at once as our bubble (发送中). */
  async send(text: string): Promise<boolean> {
    const id = this.id;
    if (!id) return false;
    this.sendError = null;
    try {
      const message = await this.#backend.sendText(id, text);
      if (this.id === id) this.#upsert(message);
      return true;
    } catch (error) {
      if (this.id === id) this.sendError = error;
      return false;
    }
  }

  async retry(messageKey: string): Promise<void> {
    this.sendError = null;
    try {
      this.#upsert(await this.#backend.retrySend(messageKey));
    } catch (error) {
      this.sendError = error;
    }
  }

  /** The window became visible again: what is on screen has now been read. */
  seen(): void {
    this.#markReadIfSeen(false);
  }

  #upsert(message: ChatMessage): void {
    const at = this.messages.findIndex((m) => m.key === message.key);
    this.messages = at >= 0 ? this.messages.map((m, i) => (i === at ? message : m)) : [...this.messages, message];
  }

  #markReadIfSeen(opening: boolean): void {
    const id = this.id;
    if (!id || !this.#visible()) return;
    if (!opening && (this.detail?.row.unread ?? 0) === 0) return;
    this.#backend.markRead(id).catch((error: unknown) => (this.error = error));
  }

  async #reload(): Promise<void> {
    const id = this.id;
    if (!id) return;
    const generation = this.#generation;
    try {
      const [detail, page] = await Promise.all([
        this.#backend.conversationDetail(id),
        this.#backend.conversationHistory(id, null, HISTORY_PAGE),
      ]);
      if (generation !== this.#generation) return;
      this.detail = detail;
      const first = page.messages[0];
      const overlap = first ? this.messages.findIndex((m) => m.key === first.key) : -1;
      if (overlap >= 0) {
        this.messages = [...this.messages.slice(0, overlap), ...page.messages];
      } else {
        // More than a page arrived since: start again from the newest page.
        this.messages = page.messages;
        this.olderCursor = page.olderCursor;
      }
      this.#markReadIfSeen(false);
    } catch (error) {
      if (generation === this.#generation) this.error = error;
    }
  }
}
