/** A fixed clock and a small seeded demo brand for tests. */
import { MockBackend } from '../ipc/mock/backend';
import { buildDemoBrand } from '../ipc/mock/brand';

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
