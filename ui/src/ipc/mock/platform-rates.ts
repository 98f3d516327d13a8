/** The demo brand's rates page: 30 days per store, one store near its 5-minute target. */
import type { PlatformRatesPage, RatePoint, StorePlatformRates, StoreRight } from '../backend';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function demoPlatformRates(stores: { epoiId: string; name: string }[], now: number): PlatformRatesPage {
  const today = iso(now);
  const since = iso(now - 29 * DAY);
  const pages: StorePlatformRates[] = stores.map((s, i) => {
    // The second store slips towards its target: its review contact is at risk.
    const base = i === 1 ? 95.8 : 99.2 - (i % 3) * 0.5;
    const history: RatePoint[] = Array.from({ length: 30 }, (_, d) => {
      const wobble = Math.sin((d + i) / 3) * 0.8;
      const fiveMin = Math.round((base + wobble + (i === 1 ? (29 - d) * 0.05 : 0)) * 10) / 10;
      return {
        day: iso(now - (29 - d) * DAY),
        fiveMin,
        urgent: Math.round((93 + wobble * 2 - (i % 2)) * 10) / 10,
        localFiveMin: Math.min(100, Math.round((fiveMin + 0.6) * 10) / 10),
        localUrgent: null,
      };
    });
    const last = history[history.length - 1] as RatePoint;
    // The core's rule: less than 2 points above the 95% target.
    const atRisk = (last.fiveMin ?? 0) < 97;
    const rights: StoreRight[] = [
      { code: 1, name: '评价联系', state: atRisk ? 'atRisk' : 'unlocked', temporary: false, gate: 'fiveMin' },
      { code: 5, name: '邀请评价', state: atRisk ? 'atRisk' : 'unlocked', temporary: false, gate: 'fiveMin' },
      { code: 6, name: '屏蔽恶意顾客', state: 'unlocked', temporary: false, gate: 'urgent' },
      { code: 3, name: '实时评价动态', state: 'unlocked', temporary: false, gate: 'urgent' },
      { code: 9, name: '发券', state: 'locked', temporary: false, gate: 'fiveMin' },
    ];
    return {
      epoiId: s.epoiId,
      name: s.name,
      polledAt: now - 4 * 60_000,
      fiveMin: last.fiveMin,
      urgent: last.urgent,
      targetFiveMin: 95,
      targetUrgent: 90,
      localFiveMin: last.localFiveMin,
      localUrgent: 100,
      rights,
      atRisk,
      history,
    };
  });
  const brand: RatePoint[] = (pages[0]?.history ?? []).map((p, d) => {
    const mean = (pick: (r: RatePoint) => number | null) => {
      const vs = pages.map((s) => pick(s.history[d] as RatePoint)).filter((v): v is number => v !== null);
      return vs.length === 0 ? null : Math.round((vs.reduce((a, b) => a + b, 0) / vs.length) * 10) / 10;
    };
    return { day: p.day, fiveMin: mean((r) => r.fiveMin), urgent: mean((r) => r.urgent), localFiveMin: mean((r) => r.localFiveMin), localUrgent: null };
  });
  return { today, since, brand, stores: pages };
}
