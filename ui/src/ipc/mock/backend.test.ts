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

  it('resends a held team reply when confirmed and refuses to resend an uncertain one', async () => {
    const backend = mock();
    const held = await backend.sendText('c0001', '马上为您处理');
    backend.holdNextSend('customerWrote');
    backend.deliverPending();
    expect(backend.brand.conversations[0]?.messages.at(-1)).toMatchObject({ sendState: 'held', unseen: 'customerWrote' });
    await expect(backend.retrySend(held.key)).resolves.toMatchObject({ sendState: 'sending', unseen: null });
    backend.deliverPending();
    const lost = await backend.sendText('c0001', '已为您催单');
    backend.loseNextSend();
    backend.deliverPending();
    expect(backend.brand.conversations[0]?.messages.at(-1)).toMatchObject({ sendState: 'uncertain', key: lost.key });
    await expect(backend.retrySend(lost.key)).rejects.toMatchObject({ code: 'invalid' });
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

describe('MockBackend pictures and blocking', () => {
  const PNG = btoa(String.fromCharCode(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2));
  const chatIn = (backend: MockBackend, businessId: number) => {
    const stores = new Set(backend.brand.stores.filter((s) => s.businessId === businessId).map((s) => s.epoiId));
    const c = backend.brand.conversations.find((x) => x.row.kind === 'twoParty' && stores.has(x.row.storeId) && !x.row.blocked && !x.composeBlock);
    if (!c) throw new Error('no such conversation');
    return c;
  };

  it('queues a picture without a URL, then gives it the uploaded URL when sent', async () => {
    const backend = mock();
    const c = chatIn(backend, 16);
    expect(await backend.conversationDetail(c.row.id)).toMatchObject({ canSendImages: true, canBlock: true });
    const queued = await backend.sendImage(c.row.id, { name: 'a.png', dataBase64: PNG });
    expect(queued).toMatchObject({ author: 'merchant', body: 'image', text: null, sendState: 'sending' });
    expect(c.row.lastBody).toBe('image');
    backend.deliverPending();
    expect(c.messages.at(-1)).toMatchObject({ msgId: queued.msgId, sendState: 'sent', text: `data:image/png;base64,${PNG}` });
    expect(c.messages.at(-1)?.key).not.toBe(queued.key);
  });

  it('refuses GIFs, oversized pictures and stores without upload', async () => {
    const backend = mock();
    const ok = chatIn(backend, 16);
    const gif = { name: 'a.gif', dataBase64: btoa('GIF89a....') };
    await expect(backend.sendImage(ok.row.id, gif)).rejects.toMatchObject({ code: 'badImage' });
    const huge = { name: 'b.png', dataBase64: btoa(String.fromCharCode(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a) + 'x'.repeat(2 * 1024 * 1024)) };
    await expect(backend.sendImage(ok.row.id, huge)).rejects.toMatchObject({ code: 'badImage' });
    const legacy = chatIn(backend, 2);
    expect(await backend.conversationDetail(legacy.row.id)).toMatchObject({ canSendImages: false, canBlock: false });
    await expect(backend.sendImage(legacy.row.id, { name: 'a.png', dataBase64: PNG })).rejects.toMatchObject({ code: 'unsupported' });
    await expect(backend.blockCustomer(legacy.row.id, { reason: 'harassment', description: null, evidence: [{ name: 'a.png', dataBase64: PNG }] })).rejects.toMatchObject({ code: 'unsupported' });
    expect(ok.messages.filter((m) => m.body === 'image' && m.author === 'merchant')).toEqual([]);
  });

  it('blocks with 1-9 pictures and a description for other, closing the composer until unblocked', async () => {
    const backend = mock();
    const c = chatIn(backend, 16);
    const evidence = [{ name: 'a.png', dataBase64: PNG }];
    await expect(backend.blockCustomer(c.row.id, { reason: 'harassment', description: null, evidence: [] })).rejects.toMatchObject({ code: 'invalid' });
    await expect(backend.blockCustomer(c.row.id, { reason: 'harassment', description: null, evidence: Array(10).fill(evidence[0]) })).rejects.toMatchObject({ code: 'invalid' });
    await expect(backend.blockCustomer(c.row.id, { reason: 'other', description: '  ', evidence })).rejects.toMatchObject({ code: 'invalid' });
    expect(c.row.blocked).toBe(false);
    await backend.blockCustomer(c.row.id, { reason: 'other', description: '辱骂', evidence });
    expect(await backend.conversationDetail(c.row.id)).toMatchObject({ row: { blocked: true }, composeBlock: 'customerBlocked', canSendImages: false, canBlock: false });
    await expect(backend.sendText(c.row.id, '您好')).rejects.toMatchObject({ code: 'customerBlocked' });
    await backend.unblockCustomer(c.row.id);
    expect(await backend.conversationDetail(c.row.id)).toMatchObject({ row: { blocked: false }, composeBlock: null, canSendImages: true, canBlock: true });
  });
});
