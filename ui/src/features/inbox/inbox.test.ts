import { describe, expect, it } from 'vitest';
import { settle, testBackend } from '../../test/brand';
import { Desk } from '../desk.svelte';
import { InboxState, PAGE_SIZE } from './inbox.svelte';

describe('InboxState', () => {
  it('loads the first page in deadline order', async () => {
    const { backend } = testBackend(250);
    const inbox = new InboxState(backend);
    await inbox.setQuery(null, 'all');
    expect(inbox.total).toBe(250);
    expect(inbox.pages.size).toBe(1);
    const first = inbox.rowAt(0);
    const second = inbox.rowAt(1);
    expect(first?.deadlineAt).not.toBeNull();
    expect((first?.deadlineAt ?? 0) <= (second?.deadlineAt ?? Infinity)).toBe(true);
  });

  it('fetches only the pages a window of rows needs', async () => {
    const { backend } = testBackend(250);
    const inbox = new InboxState(backend);
    await inbox.setQuery(null, 'all');
    backend.calls.length = 0;
    await inbox.showRange(110, 135);
    expect(backend.calls.map((c) => c.args[0])).toEqual([{ store: null, filter: 'all', offset: PAGE_SIZE, limit: PAGE_SIZE }]);
    expect(inbox.rowAt(130)?.id).toBeDefined();
    await inbox.showRange(115, 140);
    expect(backend.calls).toHaveLength(1);
  });

  it('lets a new urgent complaint jump ahead while the selection stays on its conversation', async () => {
    const { backend, advance } = testBackend(90);
    const desk = new Desk(backend);
    const stop = desk.start();
    await settle();
    const inbox = desk.inbox;
    const idleRows = backend.brand.conversations.filter((c) => c.row.deadlineAt === null && !c.row.blocked).map((c) => c.row.id);
    const selected = idleRows[0] ?? '';
    const idle = idleRows[1] ?? '';
    await desk.open(selected);
    const before = inbox.indexOf(idle);

    advance(1000);
    backend.simulateIncoming(idle, { text: '菜品有异物，我要投诉！', sceneTag: 9003 });
    await settle();

    const after = inbox.indexOf(idle);
    expect(after).toBeLessThan(before);
    expect(after).toBeLessThan(inbox.indexOf(selected));
    const complaint = inbox.rowAt(after);
    expect(complaint).toMatchObject({ urgent: true, sceneTag: 9003 });
    // Only clocks that run out sooner (already overdue ones) stay above it.
    for (let i = 0; i < after; i++) expect(inbox.rowAt(i)?.deadlineAt ?? Infinity).toBeLessThanOrEqual(complaint?.deadlineAt ?? 0);
    expect(inbox.selectedId).toBe(selected);
    expect(desk.chat.id).toBe(selected);
    stop();
  });

  it('reports how far the row at the top of the viewport moved, so the list keeps the agent’s place', async () => {
    const { backend, advance } = testBackend(120);
    const inbox = new InboxState(backend);
    await inbox.setQuery(null, 'all');
    await inbox.showRange(40, 60);
    const anchor = inbox.rowAt(40)?.id;
    const idle = backend.brand.conversations.find((c) => c.row.deadlineAt === null)?.row.id ?? '';
    advance(1000);
    backend.simulateIncoming(idle, { sceneTag: 9003 });
    await inbox.refresh();
    expect(inbox.scrollShift.rows).toBe(1);
    expect(inbox.rowAt(41)?.id).toBe(anchor);
  });

  it('collapses a burst of 1,000 messages into a couple of fetches', async () => {
    const { backend } = testBackend(120);
    const desk = new Desk(backend);
    const stop = desk.start();
    await settle();
    backend.calls.length = 0;
    for (let i = 0; i < 1000; i++) {
      backend.simulateIncoming(`c${String((i % 100) + 1).padStart(4, '0')}`, { text: `消息 ${i}` });
      if (i % 100 === 0) await Promise.resolve();
    }
    await settle(20);
    const inboxFetches = backend.calls.filter((c) => c.name === 'inboxPage').length;
    expect(inboxFetches).toBeGreaterThan(0);
    expect(inboxFetches).toBeLessThanOrEqual(4);
    stop();
  });

  it('keeps the last error for the list to show', async () => {
    const { backend } = testBackend(10);
    backend.inboxPage = () => Promise.reject({ code: 'internal', message: 'db locked' });
    const inbox = new InboxState(backend);
    await inbox.setQuery(null, 'all');
    expect(inbox.error).toEqual({ code: 'internal', message: 'db locked' });
  });

  it('recovers when the core reports its stores after a failed first page', async () => {
    const { backend } = testBackend(10);
    const real = backend.inboxPage.bind(backend);
    backend.inboxPage = () => Promise.reject({ code: 'internal', message: 'desk starting' });
    const desk = new Desk(backend);
    const stop = desk.start();
    await settle();
    expect(desk.inbox.error).toMatchObject({ code: 'internal' });
    backend.inboxPage = real;
    backend.emit({ kind: 'storesChanged' });
    await settle();
    expect(desk.inbox.error).toBeNull();
    expect(desk.inbox.total).toBe(10);
    stop();
  });
});
