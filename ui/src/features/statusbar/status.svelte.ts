/** What the status bar shows: app facts, the push connection and the reply rates. */
import type { AppInfo, Backend, ConnectionStatus, ReplyRates } from '../../ipc/backend';
import { coalesce } from '../../lib/coalesce';

export class StatusState {
  info = $state<AppInfo | null>(null);
  /** What `appInfo()` rejected with, if it did (shown via `errorText`). */
  error = $state<unknown>(null);
  connection = $state.raw<ConnectionStatus | null>(null);
  rates = $state.raw<ReplyRates[]>([]);
  /** End of the notification pause (UTC ms) as the core last said, or null. */
  pausedUntil = $state<number | null>(null);
  /** What the last pause or resume rejected with. */
  pauseError = $state<unknown>(null);
  readonly #backend: Backend;
  readonly refreshRates: () => Promise<void>;

  constructor(backend: Backend) {
    this.#backend = backend;
    this.refreshRates = coalesce(async () => {
      try {
        this.rates = await this.#backend.replyRates();
      } catch {
        // Rates are informational; the bar keeps the last figures rather than flashing an error.
      }
    });
  }

  get brandRates(): ReplyRates | undefined {
    return this.rates.find((r) => r.store === null);
  }

  async load(): Promise<void> {
    const info = this.#backend.appInfo().then(
      (info) => {
        this.info = info;
        this.error = null;
      },
      (error: unknown) => (this.error = error),
    );
    const connection = this.#backend.connectionStatus().then(
      (status) => (this.connection = status),
      () => undefined,
    );
    const paused = this.#backend.alertsPausedUntil().then(
      (until) => (this.pausedUntil = until),
      () => undefined,
    );
    await Promise.all([info, connection, paused, this.refreshRates()]);
  }

  /** Whether a pause is in force at `now`. */
  paused(now: number): boolean {
    return this.pausedUntil !== null && this.pausedUntil > now;
  }

  /** Pauses non-urgent notifications for `minutes`, or resumes them with null. */
  async pause(minutes: number | null): Promise<void> {
    try {
      this.pausedUntil = await this.#backend.pauseAlerts(minutes);
      this.pauseError = null;
    } catch (error) {
      this.pauseError = error;
    }
  }
}
