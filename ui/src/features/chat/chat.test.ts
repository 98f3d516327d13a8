import { describe, expect, it } from 'vitest';
import { settle, testBackend } from '../../test/brand';
import { ChatState, HISTORY_PAGE } from './chat.svelte';

describe('ChatState', () => {
  it('opens with the newest page and the detail, and marks the conversation read', async () => {
    const { backend } = testBackend();
    const chat = new ChatState(backend, () => true);
    await chat.open('c0001');
    const all = backend.brand.conversations[0]?.messages ?? [];
    expect(chat.messages.map((m) => m.key)).toEqual(all.slice(-HISTORY_PAGE).map((m) => m.key));
    expect(chat.detail?.row.id).toBe('c0001');
    expect(chat.detail?.order).not.toBeNull();
    expect(backend.calls.filter((c) => c.name === 'markRead').map((c) => c.args)).toEqual([['c0001']]);
  });

  it('does not mark read while the window is hidden', async () => {
    const { backend } = testBackend();
    await new ChatState(backend, () => false).open('c0001');
    expect(backend.calls.some((c) => c.name === 'markRead')).toBe(false);
  });

  it('pages older history upward without duplicates until the beginning', async () => {
    const { backend } = testBackend();
    const chat = new ChatState(backend, () => true);
    await chat.open('c0001');
    while (await chat.loadOlder());
    const all = backend.brand.conversations[0]?.messages ?? [];
    expect(chat.messages.map((m) => m.key)).toEqual(all.map((m) => m.key));
    expect(chat.olderCursor).toBeNull();
  });

  it('jumps to an old message by loading pages until it is present', async () => {
    const { backend } = testBackend();
    const chat = new ChatState(backend, () => true);
    const old = backend.brand.conversations[0]?.messages[3]?.key ?? '';
    expect(await chat.jumpTo('c0001', old)).toBe(true);
    expect(chat.messages.some((m) => m.key === old)).toBe(true);
    expect(chat.highlightKey).toBe(old);
  });

  it('shows the sent message at once and replaces it by its history row once sent', async () => {
    const { backend } = testBackend();
    const chat = new ChatState(backend, () => true);
    await chat.open('c0001');
    expect(await chat.send('马上为您处理')).toBe(true);
    const mine = chat.messages.at(-1);
    expect(mine).toMatchObject({ text: '马上为您处理', sendState: 'sending', author: 'merchant' });
    backend.deliverPending();
    await chat.refresh();
    // Sent, it is a history row (a key of its own, the same msgId), shown once.
    expect(chat.messages.filter((m) => m.msgId === mine?.msgId)).toEqual([expect.objectContaining({ sendState: 'sent' })]);
    expect(chat.messages.some((m) => m.key === mine?.key)).toBe(false);
  });

  it('refreshes on new customer messages and keeps the error of a refused send', async () => {
    const { backend } = testBackend();
    const chat = new ChatState(backend, () => true);
    await chat.open('c0001');
    backend.simulateIncoming('c0001', { text: '还要多久？' });
    await chat.refresh();
    expect(chat.messages.at(-1)?.text).toBe('还要多久？');
    expect(await chat.send('   ')).toBe(false);
    expect(chat.sendError).toMatchObject({ code: 'emptyText' });
  });

  it('drops a slow answer for a conversation the agent already left', async () => {
    const { backend } = testBackend();
    const chat = new ChatState(backend, () => true);
    const first = chat.open('c0001');
    const second = chat.open('c0002');
    await Promise.all([first, second]);
    await settle();
    expect(chat.id).toBe('c0002');
    expect(chat.detail?.row.id).toBe('c0002');
  });
});
