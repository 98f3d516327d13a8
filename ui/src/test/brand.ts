/** A fixed clock and a small seeded demo brand for tests. */
import { MockBackend } from '../ipc/mock/backend';
import { buildDemoBrand } from '../ipc/mock/brand';
import { afterNextPaint } from '../lib/paint';

export const NOW = Date.UTC(2026, 10, 28, 10, 2);

export function testBackend(conversations = 60, appInfo = { version: '0.3.1', dataDir: '/home/wang/.local/share/imdesk', demo: true }) {
  let now = NOW;
  const backend = new MockBackend({ appInfo, clock: () => now, brand: buildDemoBrand({ now: NOW, conversations }) });
  return { backend, advance: (ms: number) => (now += ms) };
}

/** Lets pending promises and coalesced events settle. */
export async function settle(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Settles the App's start: the first inbox page, the window painting it (jsdom's animation
 * frames), and the reads the desk makes once it is on screen (the rail, the status, the last
 * chat).
 */
export async function settleStart(): Promise<void> {
  await settle();
  await afterNextPaint();
  await settle();
}
