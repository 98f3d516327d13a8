/** The app facts the status bar shows: loaded once from `Backend.appInfo()` at start. */
import type { AppInfo, Backend } from '../../ipc/backend';
import { OFFLINE, type ConnectionSummary } from './connection';

export class AppStatus {
  info = $state<AppInfo | null>(null);
  /** What `appInfo()` rejected with, if it did (shown via `errorText`). */
  error = $state<unknown>(null);
  connection = $state<ConnectionSummary>(OFFLINE);

  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  async load(): Promise<void> {
    try {
      this.info = await this.#backend.appInfo();
      this.error = null;
    } catch (error) {
      this.error = error;
    }
  }
}
