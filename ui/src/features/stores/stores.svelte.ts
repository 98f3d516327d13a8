/** The brand's stores with their unread, waiting and overdue counters (the rail). */
import type { Backend, StoreSummary } from '../../ipc/backend';
import { coalesce } from '../../lib/coalesce';

export class StoresState {
  list = $state.raw<StoreSummary[]>([]);
  error = $state<unknown>(null);
  readonly #backend: Backend;
  readonly refresh: () => Promise<void>;

  constructor(backend: Backend) {
    this.#backend = backend;
    this.refresh = coalesce(async () => {
      try {
        this.list = await this.#backend.listStores();
        this.error = null;
      } catch (error) {
        this.error = error;
      }
    });
  }

  name(epoiId: string | null): string | undefined {
    return this.list.find((s) => s.epoiId === epoiId)?.name;
  }
}
