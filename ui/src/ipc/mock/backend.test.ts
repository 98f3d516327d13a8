import { describe, expect, it } from 'vitest';
import { isIpcError, type DeskEvent } from '../backend';
import { MockBackend } from './backend';
import { buildDemoBrand } from './brand';

const NOW = Date.UTC(2026, 10, 28, 10, 2);
const mock = () => new MockBackend({ clock: () => NOW, brand: buildDemoBrand({ now: NOW, conversations: 120 }) });

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
    const backend = mock();
    const seen: DeskEvent[] = [];
    const unsubscribe = backend.onEvent((event) => seen.push(event));
    backend.emit({ kind: 'storesChanged' });
    unsubscribe();
    backend.emit({ kind: 'focus', conversationId: 'c0001' });
    expect(seen).toEqual([{ kind: 'storesChanged' }]);
    expect(backend.subscriberCount).toBe(0);
  });

  it('orders the inbox by deadline, then by last message', async () => {
    const page = await mock().inboxPage({ store: null, filter: 'all', offset: 0, limit: 500 });
    expect(page.total).toBe(120);
    expect(page.now).toBe(NOW);
    const running = page.rows.filter((r) => r.deadlineAt !== null);
    expect(page.rows.slice(0, running.length)).toEqual(running);
    const deadlines = running.map((r) => r.deadlineAt as number);
    expect(deadlines).toEqual([...deadlines].sort((a, b) => a - b));
    const idle = page.rows.slice(running.length).map((r) => r.lastAt);
    expect(idle).toEqual([...idle].sort((a, b) => b - a));
  });

  it('filters by store and by chip', async () => {
    const backend = mock();
    const store = backend.brand.stores[1]?.epoiId ?? '';
    const byStore = await backend.inboxPage({ store, filter: 'all', offset: 0, limit: 500 });
    expect(byStore.rows.every((r) => r.storeId === store)).toBe(true);
    const riders = await backend.inboxPage({ store: null, filter: 'riderGroup', offset: 0, limit: 500 });
    expect(riders.rows.length).toBeGreaterThan(0);
    expect(riders.rows.every((r) => r.kind === 'riderGroup')).toBe(true);
    const urgent = await backend.inboxPage({ store: null, filter: 'urgent', offset: 0, limit: 500 });
    expect(urgent.rows.every((r) => r.deadlineAt !== null && (r.urgent || r.deadlineAt < NOW))).toBe(true);
  });

  it('pages history upward with a cursor until the beginning', async () => {
    const backend = mock();
    const all = backend.brand.conversations[0]?.messages.map((m) => m.key) ?? [];
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const page = await backend.conversationHistory('c0001', before, 30);
      seen.unshift(...page.messages.map((m) => m.key));
      before = page.olderCursor;
    } while (before !== null);
    expect(seen).toEqual(all);
  });

  it('coalesces a burst of incoming messages into one event', async () => {
    const backend = mock();
    const seen: DeskEvent[] = [];
    backend.onEvent((event) => seen.push(event));
    for (let i = 0; i < 1000; i++) backend.simulateIncoming(i % 2 ? 'c0010' : 'c0011', { text: `第 ${i} 条` });
    await Promise.resolve();
    expect(seen).toEqual([{ kind: 'conversationsChanged', ids: ['c0011', 'c0010'] }, { kind: 'storesChanged' }]);
  });

  it('refuses sends the core would refuse, with its codes', async () => {
    const backend = mock();
    const blocked = backend.brand.conversations.find((c) => c.row.blocked)?.row.id ?? 'none';
    const closed = backend.brand.conversations.find((c) => c.composeBlock === 'windowClosed')?.row.id ?? 'none';
    await expect(backend.sendText('c0001', '  ')).rejects.toMatchObject({ code: 'emptyText' });
    await expect(backend.sendText('c0001', '好'.repeat(501))).rejects.toMatchObject({ code: 'textTooLong' });
    await expect(backend.sendText(blocked, '你好')).rejects.toMatchObject({ code: 'customerBlocked' });
    await expect(backend.sendText(closed, '你好')).rejects.toMatchObject({ code: 'windowClosed' });
  });

  it('moves a send through sending, failed, retry and sent, and stops the clock', async () => {
    const backend = mock();
    const sent = await backend.sendText('c0001', '马上为您处理');
    expect(sent.sendState).toBe('sending');
    expect(backend.brand.conversations[0]?.row.deadlineAt).toBeNull();
    backend.failNextSend('平台限流');
    backend.deliverPending();
    const failed = backend.brand.conversations[0]?.messages.at(-1);
    expect(failed).toMatchObject({ sendState: 'failed', failReason: '平台限流' });
    await expect(backend.retrySend(sent.key)).resolves.toMatchObject({ sendState: 'sending' });
    backend.deliverPending();
    backend.markCustomerRead('c0001');
    expect(backend.brand.conversations[0]?.messages.at(-1)).toMatchObject({ sendState: 'sent', read: true });
  });

  it('searches text across stores, newest first, with filters', async () => {
    const backend = mock();
    backend.simulateIncoming('c0005', { text: '需要开发票' });
    const hits = await backend.searchMessages({ text: '发票', store: null, since: null, until: null, kind: null, limit: 50 });
    expect(hits[0]).toMatchObject({ conversationId: 'c0005', text: '需要开发票' });
    expect(hits.every((h) => h.text.includes('发票'))).toBe(true);
    const later = await backend.searchMessages({ text: '发票', store: null, since: NOW + 1, until: null, kind: null, limit: 50 });
    expect(later).toEqual([]);
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
