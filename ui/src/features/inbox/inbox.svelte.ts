/**
 * The inbox as the virtual list sees it: `total` rows, of which pages of `PAGE_SIZE` are
 * fetched on demand by offset. Selection is a conversation id, so rows can move under it.
 * When a refresh moves the row at the top of the viewport, `scrollShift` says by how many
 * rows, so the list can keep the agent's place instead of jumping.
 */
import type { Backend, ConversationRow, InboxFilter } from '../../ipc/backend';
import { coalesce } from '../../lib/coalesce';
import type { CoreClock } from './countdown';

export const PAGE_SIZE = 100;

export const FILTERS: readonly InboxFilter[] = [
  'all',
  'urgent',
  'preOrder',
  'inProgress',
  'afterSale',
  'reviewContact',
  'fansGroup',
  'riderGroup',
  'blocked',
];

export class InboxState {
  store = $state<string | null>(null);
  filter = $state<InboxFilter>('all');
  total = $state(0);
  /** Loaded pages by page number; replaced (not mutated) so readers re-render. */
  pages = $state.raw(new Map<number, ConversationRow[]>());
  clock = $state.raw<CoreClock>({ now: Date.now(), receivedAt: Date.now() });
  selectedId = $state<string | null>(null);
  loaded = $state(false);
  error = $state<unknown>(null);
  /** Rows the anchor moved by in the last refresh, with a sequence number to react to. */
  scrollShift = $state.raw({ rows: 0, seq: 0 });

  readonly #backend: Backend;
  #range = { start: 0, end: PAGE_SIZE };
  #anchor: { id: string; index: number } | null = null;
  #generation = 0;
  readonly refresh: () => Promise<void>;

  constructor(backend: Backend) {
    this.#backend = backend;
    this.refresh = coalesce(() => this.#reload());
  }

  rowAt(index: number): ConversationRow | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Index of a loaded row, or -1. */
  indexOf(id: string): number {
    for (const [page, rows] of this.pages) {
      const at = rows.findIndex((row) => row.id === id);
      if (at >= 0) return page * PAGE_SIZE + at;
    }
    return -1;
  }

  /** Changes store or filter: starts again from the top. */
  async setQuery(store: string | null, filter: InboxFilter): Promise<void> {
    this.store = store;
    this.filter = filter;
    this.#generation += 1;
    this.pages = new Map();
    this.#range = { start: 0, end: PAGE_SIZE };
    this.#anchor = null;
    this.loaded = false;
    await this.refresh();
  }

  /** The list shows rows [start, end): fetch any page not loaded yet. */
  async showRange(start: number, end: number): Promise<void> {
    this.#range = { start, end };
    const anchor = this.rowAt(start);
    this.#anchor = anchor ? { id: anchor.id, index: start } : null;
    const missing = this.#pagesOf(start, end).filter((page) => !this.pages.has(page));
    if (missing.length === 0) return;
    const generation = this.#generation;
    const fetched = await Promise.all(missing.map((page) => this.#fetch(page)));
    if (generation !== this.#generation) return;
    const pages = new Map(this.pages);
    for (const [i, page] of missing.entries()) {
      const result = fetched[i];
      if (result) pages.set(page, result);
    }
    this.pages = pages;
  }

  select(id: string | null): void {
    this.selectedId = id;
  }

  #pagesOf(start: number, end: number): number[] {
    const first = Math.floor(start / PAGE_SIZE);
    const last = Math.floor(Math.max(start, end - 1) / PAGE_SIZE);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }

  async #fetch(page: number): Promise<ConversationRow[] | null> {
    try {
      const result = await this.#backend.inboxPage({ store: this.store, filter: this.filter, offset: page * PAGE_SIZE, limit: PAGE_SIZE });
      this.total = result.total;
      this.clock = { now: result.now, receivedAt: Date.now() };
      this.error = null;
      return result.rows;
    } catch (error) {
      this.error = error;
      return null;
    }
  }

  /** Re-fetches the pages in view and forgets the others (they are stale now). */
  async #reload(): Promise<void> {
    const generation = this.#generation;
    const wanted = this.#pagesOf(this.#range.start, this.#range.end);
    const fetched = await Promise.all(wanted.map((page) => this.#fetch(page)));
    if (generation !== this.#generation) return;
    const pages = new Map<number, ConversationRow[]>();
    for (const [i, page] of wanted.entries()) {
      const rows = fetched[i] ?? this.pages.get(page);
      if (rows) pages.set(page, rows);
    }
    const anchor = this.#anchor;
    this.pages = pages;
    this.loaded = true;
    if (anchor) {
      const moved = this.indexOf(anchor.id);
      if (moved >= 0 && moved !== anchor.index) {
        this.scrollShift = { rows: moved - anchor.index, seq: this.scrollShift.seq + 1 };
        this.#anchor = { id: anchor.id, index: moved };
      }
    }
  }
}
