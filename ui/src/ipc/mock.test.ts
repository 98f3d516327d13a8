import { describe, expect, it } from 'vitest';
import { isIpcError, type DeskEvent } from './backend';
import { MockBackend } from './mock';

describe('MockBackend', () => {
  it('resolves appInfo with the configured value and rejects with a configured error', async () => {
    const info = { version: '9.9.9', dataDir: '/tmp/imdesk', demo: false };
    await expect(new MockBackend({ appInfo: info }).appInfo()).resolves.toEqual(info);
    await expect(new MockBackend({ appInfo: { code: 'network', message: 'down' } }).appInfo()).rejects.toEqual({
      code: 'network',
      message: 'down',
    });
  });

  it('emits to live subscribers only', () => {
    const backend = new MockBackend();
    const seen: DeskEvent[] = [];
    const unsubscribe = backend.onEvent((event) => seen.push(event));
    backend.emit({ kind: 'a' });
    unsubscribe();
    backend.emit({ kind: 'b' });
    expect(seen).toEqual([{ kind: 'a' }]);
    expect(backend.subscriberCount).toBe(0);
  });
});

describe('isIpcError', () => {
  it('accepts only the { code, message } shape', () => {
    expect(isIpcError({ code: 'network', message: 'x' })).toBe(true);
    expect(isIpcError({ code: 'network' })).toBe(false);
    expect(isIpcError('network')).toBe(false);
    expect(isIpcError(null)).toBe(false);
    expect(isIpcError(new Error('x'))).toBe(false);
  });
});
