/** Quick replies (常用语) for the brand and per store, loaded once per store and cached. */
import type { Backend, QuickReply } from '../../ipc/backend';

export class QuickRepliesState {
  /** Brand replies plus those of the store last loaded. */
  list = $state.raw<QuickReply[]>([]);
  error = $state<unknown>(null);
  readonly #backend: Backend;
  readonly #cache = new Map<string, QuickReply[]>();
  #store: string | null = null;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  async load(store: string | null): Promise<void> {
    this.#store = store;
    const key = store ?? '';
    const cached = this.#cache.get(key);
    if (cached) {
      this.list = cached;
      return;
    }
    try {
      const replies = await this.#backend.listQuickReplies(store);
      this.#cache.set(key, replies);
      if (this.#store === store) this.list = replies;
      this.error = null;
    } catch (error) {
      this.error = error;
    }
  }

  async save(reply: QuickReply): Promise<void> {
    await this.#backend.saveQuickReply(reply);
    this.#cache.clear();
    await this.load(this.#store);
  }

  /** The team's shared replies changed (another desk, or a supervisor here): read again. */
  invalidate(): void {
    this.#cache.clear();
    void this.load(this.#store);
  }

  async saveShared(id: string | null, title: string, text: string): Promise<void> {
    await this.#backend.saveSharedQuickReply(id, title, text);
    this.invalidate();
  }

  async removeShared(id: string): Promise<void> {
    await this.#backend.deleteSharedQuickReply(id);
    this.invalidate();
  }

  async remove(id: number): Promise<void> {
    await this.#backend.deleteQuickReply(id);
    this.#cache.clear();
    await this.load(this.#store);
  }
}
