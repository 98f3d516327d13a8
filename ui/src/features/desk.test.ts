// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { settle, testBackend } from '../test/brand';
import { Desk } from './desk.svelte';

function saveView(last: string): void {
  localStorage.setItem('imdesk.view', JSON.stringify({ store: null, filter: 'all', last }));
}

// Animation frames run when the test says the window painted.
let frames: FrameRequestCallback[] = [];
async function paint(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const due = frames;
    frames = [];
    for (const frame of due) frame(0);
    await settle();
  }
}

describe('Desk.start', () => {
  beforeEach(() => {
    frames = [];
    vi.spyOn(window, 'requestAnimationFrame').mockImplementation((frame) => frames.push(frame));
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('asks for the inbox alone, then, once it is painted, for the rail, the status and the last chat', async () => {
    saveView('c0002');
    const { backend } = testBackend(20);
    const desk = new Desk(backend);
    const stop = desk.start();
    expect(backend.calls.map((c) => c.name)).toEqual(['inboxPage']);
    await settle();
    expect(desk.inbox.loaded).toBe(true);
    expect(backend.calls.map((c) => c.name)).toEqual(['inboxPage']);
    await paint();
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
    await paint();
    expect(backend.calls.map((c) => c.name)).toContain('listStores');
    expect(desk.chat.id).toBe('c0005');
    expect(desk.inbox.selectedId).toBe('c0005');
    stop();
  });
});
