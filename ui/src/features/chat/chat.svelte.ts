/**
 * The open conversation: its detail (composer block, order card, review, draft) and its history,
 * paged upward from the local cache. New messages arrive as `conversationsChanged` events and
 * are merged by key, so an optimistic bubble from `send_text` is never duplicated. Pictures the
 * agent sent keep a local preview (object URL, this session only) until the core has their URL.
 */
import { SvelteMap } from 'svelte/reactivity';
import type { Backend, BlockRequest, ChatMessage, ConversationDetail } from '../../ipc/backend';
import { coalesce } from '../../lib/coalesce';
import { previewUrl, readPicture, revokePreview } from '../../lib/pictures';

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
  /**
   * Local previews of our pictures still being uploaded (msgId → object URL: the msgId stays
   * when the sent message becomes a history row with another key). Kept across conversation
   * switches; revoked once the message shows its uploaded URL.
   */
  readonly previews = new SvelteMap<string, string>();
  /** The message a search jump landed on. */
  highlightKey = $state<string | null>(null);
  /**
   * Text the agent asked to take back into the composer (修改 on a held reply, or an uncertain
   * one to send again after checking); the composer takes it and clears this. A new object each
   * time, so asking twice for the same text still counts.
   */
  refill = $state.raw<{ text: string } | null>(null);
  /** The composer holds text the agent has not sent yet (set by the composer). */
  composing = $state(false);

  /** The agent is in the middle of a reply: text in the composer or a reply still going out. */
  get replying(): boolean {
    return this.composing || this.messages.some((m) => m.sendState === 'queued' || m.sendState === 'sending');
  }

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
    this.refill = null;
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

  /**
   * Sends each picture as its own message, in order. A refused picture (wrong format, too big)
   * does not stop the others; the first refusal is shown. Where pictures cannot be sent at all
   * the reason is shown and nothing is read.
   */
  async sendPictures(files: readonly File[]): Promise<void> {
    const id = this.id;
    const detail = this.detail;
    if (!id || !detail || files.length === 0) return;
    this.sendError = null;
    if (!detail.canSendImages) {
      this.sendError = { code: detail.composeBlock ?? 'unsupported', message: `pictures cannot be sent in ${id}` };
      return;
    }
    let refused: unknown = null;
    for (const file of files) {
      try {
        const message = await this.#backend.sendImage(id, await readPicture(file));
        if (message.text === null) {
          const url = previewUrl(file);
          if (url) this.previews.set(message.msgId, url);
        }
        if (this.id === id) this.#upsert(message);
      } catch (error) {
        refused ??= error;
      }
    }
    if (refused !== null && this.id === id) this.sendError = refused;
  }

  /** Blocks the customer (the core uploads the evidence first); rejects with the IPC error. */
  async blockCustomer(request: BlockRequest): Promise<void> {
    const id = this.id;
    if (!id) return;
    await this.#backend.blockCustomer(id, request);
    if (this.id === id) await this.refresh();
  }

  /** Lifts the block; rejects with the IPC error. */
  async unblockCustomer(): Promise<void> {
    const id = this.id;
    if (!id) return;
    await this.#backend.unblockCustomer(id);
    if (this.id === id) await this.refresh();
  }

  async retry(messageKey: string): Promise<void> {
    this.sendError = null;
    try {
      this.#upsert(await this.#backend.retrySend(messageKey));
    } catch (error) {
      this.sendError = error;
    }
  }

  /** Puts a reply's text into the composer to be edited and sent as a new message. */
  edit(text: string): void {
    this.refill = { text };
  }

  /** The window became visible again: what is on screen has now been read. */
  seen(): void {
    this.#markReadIfSeen(false);
  }

  #upsert(message: ChatMessage): void {
    const at = this.messages.findIndex((m) => m.key === message.key);
    this.messages = at >= 0 ? this.messages.map((m, i) => (i === at ? message : m)) : [...this.messages, message];
    this.#releasePreviews();
  }

  /** Revokes the previews of pictures that now show their uploaded URL. */
  #releasePreviews(): void {
    if (this.previews.size === 0) return;
    for (const m of this.messages) {
      const url = m.text !== null ? this.previews.get(m.msgId) : undefined;
      if (url === undefined) continue;
      revokePreview(url);
      this.previews.delete(m.msgId);
    }
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
      this.#releasePreviews();
      this.#markReadIfSeen(false);
    } catch (error) {
      if (generation === this.#generation) this.error = error;
    }
  }
}
