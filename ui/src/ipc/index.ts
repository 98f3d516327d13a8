/**
 * Picks the backend for this window: Tauri IPC inside the app, the in-memory demo brand
 * (with customers writing every few seconds) when the UI is opened in a plain browser.
 */
import { isTauri } from '@tauri-apps/api/core';
import type { Backend } from './backend';
import { TauriBackend } from './tauri';

export * from './backend';

/**
 * The mock and its demo brand exist for the browser preview (`npm run dev`, or
 * `vite build --mode preview`) and for unit tests. The app's build (mode `production`) folds
 * this to `false`, so the dynamic import below and everything it reaches stay out of `dist`
 * (`npm run build` checks).
 */
const PREVIEW = import.meta.env.MODE !== 'production';

export async function createBackend(): Promise<Backend> {
  if (isTauri()) return new TauriBackend();
  if (!PREVIEW) throw new Error('this build runs inside the imdesk app; build with --mode preview for a browser');
  const [{ MockBackend }, { startDemoTraffic }] = await Promise.all([import('./mock/backend'), import('./mock/traffic')]);
  const preview = new MockBackend({ live: true });
  startDemoTraffic(preview);
  return preview;
}
