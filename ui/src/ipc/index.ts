/**
 * Picks the backend for this window: Tauri IPC inside the app, the in-memory demo brand
 * (with customers writing every few seconds) when the UI is opened in a plain browser.
 */
import { isTauri } from '@tauri-apps/api/core';
import type { Backend } from './backend';
import { MockBackend } from './mock/backend';
import { startDemoTraffic } from './mock/traffic';
import { TauriBackend } from './tauri';

export * from './backend';

export function createBackend(): Backend {
  if (isTauri()) return new TauriBackend();
  const preview = new MockBackend({ live: true });
  startDemoTraffic(preview);
  return preview;
}
