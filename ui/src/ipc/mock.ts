/**
 * In-memory `Backend` for unit tests and for previewing the UI in a plain browser
 * (`npm run dev` outside Tauri). It never touches `@tauri-apps/api`.
 */
import type { AppInfo, Backend, DeskEvent, IpcError, Unsubscribe } from './backend';

export type MockBackendOptions = {
  /** What `appInfo()` resolves with, or the `IpcError` it rejects with. */
  appInfo?: AppInfo | IpcError;
};

export const PREVIEW_APP_INFO: AppInfo = { version: '0.0.0-preview', dataDir: '(browser preview)', demo: true };

export class MockBackend implements Backend {
  private readonly handlers = new Set<(event: DeskEvent) => void>();
  private readonly info: AppInfo | IpcError;

  constructor(options: MockBackendOptions = {}) {
    this.info = options.appInfo ?? PREVIEW_APP_INFO;
  }

  appInfo(): Promise<AppInfo> {
    const info = this.info;
    return 'code' in info ? Promise.reject(info) : Promise.resolve({ ...info });
  }

  onEvent(handler: (event: DeskEvent) => void): Unsubscribe {
    const own = (event: DeskEvent) => handler(event);
    this.handlers.add(own);
    return () => this.handlers.delete(own);
  }

  /** Test hook: deliver `event` to every current subscriber. */
  emit(event: DeskEvent): void {
    for (const handler of [...this.handlers]) handler(event);
  }

  /** Test hook: how many subscriptions are live (catches leaked listeners). */
  get subscriberCount(): number {
    return this.handlers.size;
  }
}
