/** `Backend` over Tauri IPC: commands by `invoke`, core events by `listen`. */
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { DESK_EVENT, isIpcError, type AppInfo, type Backend, type DeskEvent, type IpcError, type Unsubscribe } from './backend';

/** Calls a command and normalises whatever it rejects with into an `IpcError`. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toIpcError(error);
  }
}

function toIpcError(error: unknown): IpcError {
  if (isIpcError(error)) return error;
  // Tauri itself rejects with a bare string when a command is missing or arguments do not deserialise.
  return { code: 'internal', message: typeof error === 'string' ? error : String(error) };
}

export class TauriBackend implements Backend {
  appInfo(): Promise<AppInfo> {
    return call<AppInfo>('app_info');
  }

  onEvent(handler: (event: DeskEvent) => void): Unsubscribe {
    let active = true;
    // `listen` resolves asynchronously; remember the pending registration so an early
    // unsubscribe still detaches once it lands.
    const registration = listen<DeskEvent>(DESK_EVENT, (message) => {
      if (active) handler(message.payload);
    });
    return () => {
      if (!active) return;
      active = false;
      registration.then((unlisten) => unlisten()).catch(() => undefined);
    };
  }
}
