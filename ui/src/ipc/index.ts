/**
 * Picks the backend for this window: Tauri IPC inside the app, the in-memory preview
 * backend when the UI is opened in a plain browser during development.
 */
import { isTauri } from '@tauri-apps/api/core';
import type { Backend } from './backend';
import { MockBackend } from './mock';
import { TauriBackend } from './tauri';

export * from './backend';

export function createBackend(): Backend {
  return isTauri() ? new TauriBackend() : new MockBackend();
}
