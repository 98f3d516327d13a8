import { describe, expect, it } from 'vitest';
import { errorText } from './errors';
import { setLocale } from './locale.svelte';

describe('errorText', () => {
  it('maps a known code to catalogue text, not the developer message', () => {
    const text = errorText({ code: 'network', message: 'connection reset by peer' });
    expect(text).toBe('网络中断，请检查网络后重试');
  });

  it('names an unknown code in the generic sentence', () => {
    expect(errorText({ code: 'store_frozen', message: 'x' })).toBe('操作失败（store_frozen），请稍后重试');
  });

  it('treats anything that is not an IpcError as internal', () => {
    expect(errorText(new Error('boom'))).toBe(errorText({ code: 'internal', message: '' }));
  });

  it('does not let the code select the generic entry itself', () => {
    expect(errorText({ code: 'unknown', message: '' })).toBe('操作失败（unknown），请稍后重试');
  });

  it('follows the language switch', () => {
    setLocale('en');
    expect(errorText({ code: 'auth', message: '' })).toBe('Store authorisation has expired; authorise the store again');
  });
});
