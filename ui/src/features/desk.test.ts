// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { settle, testBackend } from '../test/brand';
import { Desk } from './desk.svelte';

function saveView(last: string): void {
  localStorage.setItem('imdesk.view', JSON.stringify({ store: null, filter: 'all', last }));
}

describe('Desk.start', () => {
  it('asks for the inbox alone, then for the rail, the status and the last chat', async () => {
    saveView('c0002');
    const { backend } = testBackend(20);
    const desk = new Desk(backend);
    const stop = desk.start();
    expect(backend.calls.map((c) => c.name)).toEqual(['inboxPage']);
    await settle();
    const names = backend.calls.map((c) => c.name);
    expect(names[0]).toBe('inboxPage');
    expect(names).toContain('listStores');
    expect(names).toContain('appInfo');
    expect(desk.chat.id).toBe('c0002');
    stop();
  });

  it('does not reopen the last chat over one the agent opened meanwhile', async () => {
    saveView('c0002');
    const { backend } = testBackend(20);
    const desk = new Desk(backend);
    const stop = desk.start();
    await desk.open('c0005');
    await settle();
    expect(desk.chat.id).toBe('c0005');
    expect(desk.inbox.selectedId).toBe('c0005');
    stop();
  });
});
