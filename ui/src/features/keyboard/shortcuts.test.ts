import { describe, expect, it } from 'vitest';
import { shortcutFor, type KeyInput } from './shortcuts';

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({
  key: k,
  code: mods.code ?? '',
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  shiftKey: false,
  ...mods,
});

describe('shortcutFor', () => {
  it('maps next urgent to Alt+↓ and Ctrl+J, even while typing', () => {
    expect(shortcutFor(key('ArrowDown', { altKey: true }), true)).toEqual({ kind: 'nextUrgent' });
    expect(shortcutFor(key('j', { ctrlKey: true }), true)).toEqual({ kind: 'nextUrgent' });
    expect(shortcutFor(key('J', { ctrlKey: true, shiftKey: true }), false)).toEqual({ kind: 'nextUrgent' });
  });

  it('maps Ctrl+U, Ctrl+K, Ctrl+/ and F1', () => {
    expect(shortcutFor(key('u', { ctrlKey: true }), true)).toEqual({ kind: 'nextUnread' });
    expect(shortcutFor(key('k', { ctrlKey: true }), true)).toEqual({ kind: 'focusSearch' });
    expect(shortcutFor(key('/', { ctrlKey: true, code: 'Slash' }), true)).toEqual({ kind: 'quickReplies' });
    expect(shortcutFor(key('F1'), true)).toEqual({ kind: 'help' });
  });

  it('reads Alt+digit from the physical key', () => {
    expect(shortcutFor(key('¡', { altKey: true, code: 'Digit1' }), true)).toEqual({ kind: 'filter', index: 0 });
    expect(shortcutFor(key('9', { altKey: true, code: 'Digit9' }), false)).toEqual({ kind: 'filter', index: 8 });
    expect(shortcutFor(key('0', { altKey: true, code: 'Digit0' }), false)).toBeNull();
  });

  it('leaves / and ? to a text field but uses them elsewhere', () => {
    expect(shortcutFor(key('/'), true)).toBeNull();
    expect(shortcutFor(key('?', { shiftKey: true }), true)).toBeNull();
    expect(shortcutFor(key('/'), false)).toEqual({ kind: 'focusSearch' });
    expect(shortcutFor(key('?', { shiftKey: true }), false)).toEqual({ kind: 'help' });
  });

  it('ignores keys while an IME is composing', () => {
    expect(shortcutFor(key('j', { ctrlKey: true, isComposing: true }), true)).toBeNull();
  });

  it('ignores plain letters', () => {
    expect(shortcutFor(key('a'), false)).toBeNull();
  });
});
