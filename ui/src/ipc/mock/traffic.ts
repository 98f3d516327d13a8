/**
 * Browser-preview only: customers keep writing to the demo brand, so the countdowns, the
 * re-ordering and the urgent alerts can be seen without a real platform.
 */
import type { MockBackend } from './backend';

const LINES = ['请问还要多久？', '骑手电话打不通', '饭菜有点凉了', '能帮我加一双筷子吗', '好的，谢谢', '少了一杯饮料'];

export function startDemoTraffic(backend: MockBackend, everyMs = 6000): () => void {
  let n = 0;
  const timer = setInterval(() => {
    const conversations = backend.brand.conversations.filter((c) => !c.row.blocked && c.composeBlock === null);
    const target = conversations[Math.floor(Math.random() * conversations.length)];
    if (!target) return;
    n += 1;
    const complaint = n % 7 === 0;
    backend.simulateIncoming(target.row.id, {
      text: complaint ? '菜品有异物，我要投诉！' : LINES[n % LINES.length],
      sceneTag: complaint ? 9003 : undefined,
    });
  }, everyMs);
  return () => clearInterval(timer);
}
