/** Search across every store's cached history, with store, date and kind filters. */
import type { Backend, ConversationKind, SearchHit } from '../../ipc/backend';
import { coalesce } from '../../lib/coalesce';

export const SEARCH_LIMIT = 200;

/** Local midnight of a `YYYY-MM-DD` date input, as UTC ms; `dayAfter` for an exclusive end. */
export function dayStart(date: string, dayAfter = false): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + (dayAfter ? 1 : 0)).getTime();
}

export class SearchState {
  text = $state('');
  store = $state<string | null>(null);
  kind = $state<ConversationKind | null>(null);
  since = $state('');
  until = $state('');
  hits = $state.raw<SearchHit[]>([]);
  searching = $state(false);
  /** The query the hits belong to (so "no results" is not shown for a query still running). */
  searched = $state<string | null>(null);
  error = $state<unknown>(null);
  readonly #backend: Backend;
  readonly run: () => Promise<void>;

  constructor(backend: Backend) {
    this.#backend = backend;
    this.run = coalesce(() => this.#search());
  }

  get active(): boolean {
    return this.text.trim() !== '';
  }

  clear(): void {
    this.text = '';
    this.hits = [];
    this.searched = null;
    this.error = null;
  }

  async #search(): Promise<void> {
    const text = this.text.trim();
    if (text === '') {
      this.hits = [];
      this.searched = null;
      return;
    }
    this.searching = true;
    try {
      this.hits = await this.#backend.searchMessages({
        text,
        store: this.store,
        kind: this.kind,
        since: dayStart(this.since),
        until: dayStart(this.until, true),
        limit: SEARCH_LIMIT,
      });
      this.searched = text;
      this.error = null;
    } catch (error) {
      this.error = error;
    } finally {
      this.searching = false;
    }
  }
}
