// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { markPlatform, platformOf } from './platform';

describe('platformOf', () => {
  it('names each desktop webview by its user agent', () => {
    expect(platformOf('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko)')).toBe('linux');
    expect(
      platformOf(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      ),
    ).toBe('windows');
    expect(platformOf('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)')).toBe(
      'macos',
    );
  });

  it('leaves anything else to the portable font list', () => {
    expect(platformOf('Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36')).toBe('other');
    expect(platformOf('')).toBe('other');
  });

  it('marks the root element for the stylesheet', () => {
    const root = document.createElement('html');
    markPlatform(root, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15');
    expect(root.dataset.os).toBe('linux');
  });
});
