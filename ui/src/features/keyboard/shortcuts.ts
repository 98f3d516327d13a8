/**
 * The desk's keyboard map. Chosen to survive WebKitGTK and WebView2: no Ctrl+W/T/N/Tab (the
 * shell or the OS takes them); letters are read from `key`, digits from `code` (Alt+digit
 * types other characters on some layouts).
 */
export type ShortcutAction =
  | { kind: 'nextUrgent' }
  | { kind: 'nextUnread' }
  | { kind: 'filter'; index: number }
  | { kind: 'focusSearch' }
  | { kind: 'quickReplies' }
  | { kind: 'help' }
  | { kind: 'escape' };

export type KeyInput = Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'altKey' | 'metaKey' | 'shiftKey'> & {
  isComposing?: boolean;
};

/** `typing`: the focus is in a text field (plain keys such as `/` and `?` belong to it then). */
export function shortcutFor(event: KeyInput, typing: boolean): ShortcutAction | null {
  if (event.isComposing) return null;
  const ctrl = event.ctrlKey || event.metaKey;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (event.key === 'Escape') return { kind: 'escape' };
  if (event.key === 'F1') return { kind: 'help' };
  if ((event.altKey && event.key === 'ArrowDown') || (ctrl && !event.altKey && key === 'j')) return { kind: 'nextUrgent' };
  if (ctrl && !event.altKey && key === 'u') return { kind: 'nextUnread' };
  if (ctrl && !event.altKey && key === 'k') return { kind: 'focusSearch' };
  if (ctrl && !event.altKey && (key === '/' || event.code === 'Slash')) return { kind: 'quickReplies' };
  if (event.altKey && !ctrl) {
    const digit = /^Digit([1-9])$/.exec(event.code);
    if (digit) return { kind: 'filter', index: Number(digit[1]) - 1 };
  }
  if (!typing && !ctrl && !event.altKey) {
    if (event.key === '/') return { kind: 'focusSearch' };
    if (event.key === '?') return { kind: 'help' };
  }
  return null;
}

/** The help overlay's rows: keys and the catalogue key of what they do. */
export const SHORTCUT_HELP = [
  { keys: ['Alt+↓', 'Ctrl+J'], label: 'help.nextUrgent' },
  { keys: ['Ctrl+U'], label: 'help.nextUnread' },
  { keys: ['Alt+1 … Alt+9'], label: 'help.filter' },
  { keys: ['Ctrl+K', '/'], label: 'help.search' },
  { keys: ['Ctrl+/'], label: 'help.quickReplies' },
  { keys: ['F1', '?'], label: 'help.help' },
  { keys: ['Enter'], label: 'help.send' },
  { keys: ['Shift+Enter'], label: 'help.newline' },
  { keys: ['Esc'], label: 'help.close' },
] as const;
