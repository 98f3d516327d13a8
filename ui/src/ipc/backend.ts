/**
 * The one door between the UI and the Rust core.
 *
 * Components and state modules talk to a `Backend`, never to Tauri directly: `tauri.ts`
 * implements it over `invoke`/`listen`, `mock.ts` implements it in memory for unit tests
 * and for previewing the UI in a plain browser. A new core command becomes one method
 * here plus one line in each implementation; a new event becomes one variant of `DeskEvent`.
 */
import type { AppInfo } from './generated/AppInfo';

export type { AppInfo };

/**
 * An event pushed by the core (small: ids and counts; the UI fetches pages by command).
 *
 * Placeholder until the Rust side generates the event union with ts-rs; it is expected to
 * be an internally tagged enum (`#[serde(tag = "kind")]`), so handlers switch on `kind`.
 */
export type DeskEvent = { kind: string; [field: string]: unknown };

/** The single Tauri event name that carries every `DeskEvent`. */
export const DESK_EVENT = 'desk://event';

/** Stops a subscription. Safe to call more than once. */
export type Unsubscribe = () => void;

/**
 * The error shape that crosses IPC: `code` comes from a closed enum in Rust, `message` is a
 * developer-facing English sentence. The UI shows text from the catalogue (see `errorText`).
 */
export type IpcError = { code: string; message: string };

/** True when `value` has the `{ code, message }` shape of an IPC error. */
export function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.code === 'string' && typeof candidate.message === 'string';
}

/** Everything the UI can ask of, or hear from, the core. */
export interface Backend {
  /** Version, data directory and whether the app runs on the built-in demo sandbox. */
  appInfo(): Promise<AppInfo>;

  /**
   * Subscribe to core events. Returns synchronously so it can be the cleanup of a Svelte
   * `$effect`; events arriving after `unsubscribe()` are never delivered.
   */
  onEvent(handler: (event: DeskEvent) => void): Unsubscribe;
}
