// @vitest-environment jsdom
import { emit } from '@tauri-apps/api/event';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { DESK_EVENT, type AppInfo, type DeskEvent } from './backend';
import { TauriBackend } from './tauri';

afterEach(() => clearMocks());

describe('TauriBackend', () => {
  it('appInfo invokes app_info and returns the typed value', async () => {
    const calls: string[] = [];
    const info: AppInfo = { version: '1.2.3', dataDir: '/home/wang/.local/share/imdesk', demo: true };
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'app_info') return info;
      throw new Error(`unexpected command ${cmd}`);
    });

    await expect(new TauriBackend().appInfo()).resolves.toEqual(info);
    expect(calls).toEqual(['app_info']);
  });

  it('passes a { code, message } rejection through unchanged', async () => {
    mockIPC(() => {
      throw { code: 'storage', message: 'database is locked' };
    });
    await expect(new TauriBackend().appInfo()).rejects.toEqual({ code: 'storage', message: 'database is locked' });
  });

  it('turns a bare string rejection into an internal IpcError', async () => {
    mockIPC(() => {
      throw 'command app_info not found';
    });
    await expect(new TauriBackend().appInfo()).rejects.toEqual({
      code: 'internal',
      message: 'command app_info not found',
    });
  });

  it('delivers desk events until unsubscribed', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true });
    const received: DeskEvent[] = [];
    const unsubscribe = new TauriBackend().onEvent((event) => received.push(event));
    // Let the asynchronous listen registration land before emitting.
    await new Promise((resolve) => setTimeout(resolve, 0));

    await emit(DESK_EVENT, { kind: 'storesChanged', count: 3 });
    await emit('some://other-event', { kind: 'ignored' });
    expect(received).toEqual([{ kind: 'storesChanged', count: 3 }]);

    unsubscribe();
    unsubscribe();
    await emit(DESK_EVENT, { kind: 'storesChanged', count: 4 });
    expect(received).toHaveLength(1);
  });

  it('drops events when unsubscribed before the listener is registered', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true });
    const received: DeskEvent[] = [];
    new TauriBackend().onEvent((event) => received.push(event))();
    await new Promise((resolve) => setTimeout(resolve, 0));

    await emit(DESK_EVENT, { kind: 'storesChanged', count: 1 });
    expect(received).toEqual([]);
  });
});
